// ksim-graphmgr: parse the command line, connect as the graph manager, negotiate and commit,
// then keep managing the graph until SIGTERM/SIGINT (or once with --once). Everything it needs
// comes from ksimd over the protocol; the stable interface is `ksim-graphmgr [--socket PATH]`.
// Exit codes: 0 done, 1 daemon unreachable (or lost, with --no-reconnect), 2 bad arguments, 3 a pipe is
// unsatisfied or refused (--once), 4 another graph manager is connected.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <iostream>

#include "graph_manager.hpp"
#include "ksim/cli/command_line.hpp"
#include "ksim/client/socket_path.hpp"
#include "ksim/negotiation/record_json.hpp"

namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

extern "C" void on_stop_signal(int) {
    g_stop.store(true);
}

int exit_for(const ksim::Error& e, const std::string& socket) {
    if (e.code == ksim::Errc::Busy) {
        std::cerr << "ksim-graphmgr: another graph manager is already connected to ksimd at " << socket
                  << " (" << e.message << "); only one may run at a time\n";
        return 4;
    }
    std::cerr << "ksim-graphmgr: " << e.message << "\n";
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ksim-graphmgr: negotiates allocators for ksimd's connections and commits them"};
    std::string socket, catalog_path, log_level = "info";
    bool once = false, json = false, no_reconnect = false;
    int rescan_ms = 0;
    app.add_option("--socket", socket,
                   "ksimd's control socket (default: $KSIM_SOCKET, else $XDG_RUNTIME_DIR/ksim/ksimd.sock)");
    // Accepted so that old unit files and scripts keep starting; ksimd now reports every fact
    // the catalog used to supply (docs/graphmgr.md).
    app.add_option("--driver-catalog", catalog_path,
                   "deprecated and ignored: ksimd reports allocator caps, media and memory types itself");
    app.add_flag("--once", once, "negotiate and commit once, then exit");
    app.add_flag("--json", json, "with --once: print the decision records (ksim.negotiation/1) on stdout");
    app.add_option("--rescan-ms", rescan_ms,
                   "safety net: also re-read the connections every N ms (0 = off, the default; "
                   "ksimd announces every change as an event)")
        ->check(CLI::Range(0, 3600000));
    app.add_flag("--no-reconnect", no_reconnect,
                 "exit (1) when ksimd goes away instead of reconnecting with back-off and re-committing");
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical, off")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
    ksim::cli::add_version_flag(app, "ksim-graphmgr");
    if (auto done = ksim::cli::parse(app, argc, argv)) return *done;
    if (rescan_ms > 0 && rescan_ms < 10) {
        std::cerr << "ksim-graphmgr: --rescan-ms " << rescan_ms
                  << " is too short; use 0 (off) or at least 10\n";
        return ksim::cli::kExitUsage;
    }

    auto logger = spdlog::stderr_color_mt("ksim-graphmgr");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(log_level));
    spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%n] %v");
    std::signal(SIGPIPE, SIG_IGN);
    std::signal(SIGTERM, on_stop_signal);
    std::signal(SIGINT, on_stop_signal);

    ksim::graphmgr::ManagerOptions options;
    options.socket_path = ksim::client::resolve_socket_path(socket);
    options.rescan_interval = std::chrono::milliseconds(rescan_ms);
    options.reconnect = !no_reconnect;
    if (!catalog_path.empty())
        spdlog::warn(
            "--driver-catalog is deprecated and ignored ({}): ksimd reports vendor allocator "
            "capabilities, media, legacy framing and memory types over the protocol",
            catalog_path);
    const std::string socket_path = options.socket_path;
    auto manager = ksim::graphmgr::GraphManager::connect(std::move(options));
    if (!manager) return exit_for(manager.error(), socket_path);

    if (once) {
        auto report = (*manager)->negotiate_and_commit();
        if (!report) return exit_for(report.error(), socket_path);
        for (const auto& w : report->warnings) spdlog::warn("{}", w);
        for (const auto& plan : report->plans) {
            using ksim::graphmgr::PipeAction;
            const bool refused = plan.action == PipeAction::Commit && !plan.reason.empty();
            const bool explain = !plan.reason.empty() && plan.action != PipeAction::Unsatisfied;
            // A pipe left without an allocator is a problem to look at, not progress.
            const auto level = refused                                  ? spdlog::level::err
                               : plan.action == PipeAction::Unsatisfied ? spdlog::level::warn
                                                                        : spdlog::level::info;
            spdlog::log(level, "{}: {}{}", refused ? "refused" : ksim::graphmgr::to_string(plan.action),
                        ksim::graphmgr::describe(plan), explain ? " - " + plan.reason : "");
        }
        if (json) std::cout << ksim::negotiation::to_json(report->result).dump(2) << "\n";
        return report->complete() ? 0 : 3;
    }
    auto r = (*manager)->run(g_stop);
    if (!r) return exit_for(r.error(), socket_path);
    return 0;
}
