// ksimd: parse the command line, load the topology, run the daemon.
#include <grp.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <optional>

#include "ksim/cli/command_line.hpp"
#include "ksim/daemon/server/bugcheck.hpp"
#include "ksim/daemon/server/daemon_app.hpp"
#include "ksim/daemon/server/log_target.hpp"
#include "ksim/ddk_host/driver_host.hpp"
#include "ksim/proto/topology_loader.hpp"
#include "ksim/wire/socket_path.hpp"

int main(int argc, char** argv) {
    CLI::App app{"ksimd: the ksim kernel-streaming daemon"};
    std::string config, socket, runtime_dir, log_level = "info", log_target = "auto", allow_group;
    bool foreground = false, busy_poll_drain = false;
    app.add_option("--config", config, "topology config (JSON)")->required()->check(CLI::ExistingFile);
    app.add_option("--socket", socket,
                   "control socket path (default: $KSIM_SOCKET, else $XDG_RUNTIME_DIR/ksim/ksimd.sock)");
    app.add_option("--runtime-dir", runtime_dir,
                   "runtime directory, locked while running (default: the socket's)");
    app.add_flag("--foreground", foreground,
                 "stay in the foreground (ksimd never forks; accepted for systemd units)");
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical, off")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
    app.add_option("--log-target", log_target,
                   "auto (the journal when stdout is systemd's journal stream), console, journal")
        ->check(CLI::IsMember({"auto", "console", "journal"}));
    app.add_option("--allow-group", allow_group, "also accept clients of this group (name or gid)");
    app.add_flag("--busy-poll-drain", busy_poll_drain,
                 "source streams' drain threads poll their submit rings instead of sleeping, for up to "
                 "1 s after the last submission (one CPU each while streaming; see docs/memory.md)");
    std::optional<std::int64_t> streaming_slice_us;
    app.add_option("--streaming-slice-us", streaming_slice_us,
                   "time slice the streaming threads ask the scheduler for, in us (default 20000; Linux "
                   "6.12+; 0: the kernel's default; see docs/performance.md)")
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{100'000}));
    ksim::cli::add_version_flag(app, "ksimd");
    if (auto done = ksim::cli::parse(app, argc, argv)) return *done;

    spdlog::set_level(spdlog::level::from_str(log_level));
    ksim::daemon::server::configure_logging(*ksim::daemon::server::parse_log_target(log_target));
    std::signal(SIGPIPE, SIG_IGN);  // a vanished client is an error code, not a signal
    // Before any module loads: DriverEntry and the descriptors' Create are driver code too.
    ksim::daemon::server::install_bugcheck_handler();

    // Driver modules load with the config: their pins exist (and report their framing) from the
    // start, as the offline tools see them.
    ksim::ddk_host::HostOptions host_options;
    host_options.log = [](unsigned level, const std::string& object, const std::string& text) {
        auto log = spdlog::get("driver") ? spdlog::get("driver") : spdlog::default_logger();
        const auto lvl = level <= KSIM_LOG_ERROR     ? spdlog::level::err
                         : level == KSIM_LOG_WARNING ? spdlog::level::warn
                         : level == KSIM_LOG_INFO    ? spdlog::level::info
                                                     : spdlog::level::debug;
        log->log(lvl, "[driver {}] {}", object, text);
    };
    auto drivers = std::make_shared<ksim::ddk_host::DriverHost>(std::move(host_options));
    auto topology = ksim::proto::load_topology_file(config, ksim::proto::LoadOptions{drivers.get()});
    if (!topology) {
        for (const auto& d : topology.error()) std::cerr << d.to_string() << "\n";
        return 2;
    }
    ksim::daemon::server::DaemonOptions options;
    options.topology = std::move(*topology);
    options.drivers = std::move(drivers);
    options.socket_path = ksim::wire::resolve_socket_path(socket);
    options.runtime_dir = runtime_dir;
    options.bugcheck_reports = true;
    options.busy_poll_drain = busy_poll_drain;
    if (streaming_slice_us) options.streaming_slice = std::chrono::microseconds(*streaming_slice_us);
    if (!allow_group.empty()) {
        group* g = std::isdigit(static_cast<unsigned char>(allow_group[0]))
                       ? ::getgrgid(std::stoul(allow_group))
                       : ::getgrnam(allow_group.c_str());
        if (g == nullptr) {
            std::cerr << "ksimd: unknown group '" << allow_group << "'\n";
            return 2;
        }
        options.allow_group = g->gr_gid;
    }
    auto daemon = ksim::daemon::server::DaemonApp::create(std::move(options));
    if (!daemon) {
        std::cerr << "ksimd: " << daemon.error().message << "\n";
        return daemon.error().code == ksim::Errc::Busy ? 3 : 1;
    }
    (*daemon)->run();
    return 0;
}
