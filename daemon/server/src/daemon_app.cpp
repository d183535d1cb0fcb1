#include "ksim/daemon/server/daemon_app.hpp"

#include <grp.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>

#include "fd_limit.hpp"
#include "kernel_bridge.hpp"
#include "ksim/cli/version.hpp"
#include "ksim/daemon/kernel.hpp"
#include "ksim/daemon/server/bugcheck.hpp"
#include "ksim/daemon/server/socket_path.hpp"
#include "ksim/shm/run_registry.hpp"
#include "logging.hpp"
#include "request_handler.hpp"
#include "server.hpp"
#include "session_set.hpp"
#include "stream_rings.hpp"
#include "systemd_notify.hpp"

namespace ksim::daemon::server {

std::string daemon_version() {
    return std::string(cli::kVersion);
}

namespace {
// The group's name for refusal texts, looked up once (not per connection: NSS may be slow).
std::string group_name(std::optional<gid_t> gid) {
    if (!gid) return {};
    std::vector<char> buf(16384);
    group g{};
    group* found = nullptr;
    if (::getgrgid_r(*gid, &g, buf.data(), buf.size(), &found) != 0 || found == nullptr) return {};
    return g.gr_name;
}
}  // namespace

// Declaration order is destruction order reversed: the kernel (and its streaming threads) goes
// before the bridge and rings it calls, and the io_context outlives everything that posts to it.
struct DaemonApp::Impl {
    DaemonOptions options;
    boost::asio::io_context io;
    std::optional<shm::RunDirectory> run_dir;
    SessionSet sessions;
    StreamRings rings;
    KernelBridge bridge{io, sessions, rings};
    std::unique_ptr<Kernel> kernel;
    std::optional<RequestHandler> handler;
    std::optional<Server> server;
    ServiceNotifier notifier{
        io, [this] { return service_status(kernel->filters(), kernel->connections(), sessions.size()); }};
    bool stopped = false;

    void shutdown() {
        if (stopped) return;
        stopped = true;
        notifier.stopping();
        server->stop();      // no new clients; socket file removed
        kernel->shutdown();  // STOP every pin: outstanding frames return to their pools
        sessions.stop_all("ksimd shutting down");
        rings.close_all();
        logger("server")->info("shutdown complete");
        io.stop();
    }
};

DaemonApp::DaemonApp(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

DaemonApp::~DaemonApp() {
    if (!impl_) return;
    if (!impl_->stopped) impl_->shutdown();
    impl_->kernel.reset();
}

Result<std::unique_ptr<DaemonApp>> DaemonApp::create(DaemonOptions options) {
    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    auto& o = impl->options;
    if (o.raise_fd_limit) {
        const auto limit = raise_fd_limit();
        if (!limit.error.empty())
            logger("server")->warn("descriptor limit stays {} (hard {}): {}", limit.before, limit.hard,
                                   limit.error);
        else if (limit.soft != limit.before)
            logger("server")->info("descriptor limit raised from {} to {} (the hard limit)", limit.before,
                                   limit.soft);
        else
            logger("server")->info("descriptor limit {} (the hard limit)", limit.soft);
    }
    if (o.socket_path.empty()) o.socket_path = default_socket_path();
    if (o.runtime_dir.empty()) o.runtime_dir = o.socket_path.parent_path();

    // The run-directory lock catches a second daemon on the same directory; the socket probe
    // catches one on the same socket from another directory.
    auto run_dir = shm::RunDirectory::acquire(o.runtime_dir);
    if (!run_dir) return std::unexpected(run_dir.error());
    impl->run_dir.emplace(std::move(*run_dir));
    for (const auto& left : impl->run_dir->leftovers_removed())
        logger("server")->info("removed leftover of a previous run: {}", left);
    if (auto claimed = claim_socket_path(o.socket_path, o.allow_group); !claimed)
        return std::unexpected(claimed.error());
    // From here a driver's crash may remove the socket: no other daemon can be using it.
    if (o.bugcheck_reports) arm_bugcheck_reports(o.runtime_dir, o.socket_path);
    if (o.socket_path.parent_path() == o.runtime_dir)
        (void)impl->run_dir->register_file(o.socket_path.filename().string());

    KernelOptions kernel_options;
    kernel_options.shm_prefix = o.shm_prefix;
    kernel_options.drivers = o.drivers;
    if (o.streaming_slice) kernel_options.streaming_slice = *o.streaming_slice;
    auto kernel = Kernel::create(o.topology, kernel_options, impl->bridge, impl->bridge);
    if (!kernel) return std::unexpected(kernel.error());
    impl->kernel = std::move(*kernel);
    impl->bridge.set_kernel(impl->kernel.get());
    impl->rings.set_kernel(impl->kernel.get());
    impl->rings.set_busy_poll_drain(impl->options.busy_poll_drain);
    impl->handler.emplace(*impl->kernel, impl->rings, daemon_version(), o.ring_capacity,
                          ClientCaps{o.max_pins_per_client, o.max_framing_bytes_per_client});

    ServerOptions server_options;
    server_options.socket_path = o.socket_path;
    server_options.access = AccessRule{::geteuid(), o.allow_group, group_name(o.allow_group)};
    server_options.credentials_hook = o.credentials_hook;
    server_options.handle_signals = o.handle_signals;
    server_options.limits.max_queued_messages = o.max_queued_messages;
    Impl* raw = impl.get();
    impl->server.emplace(impl->io, server_options, impl->sessions, *impl->handler,
                         [raw](int) { raw->shutdown(); });
    if (auto listening = impl->server->listen(); !listening) return std::unexpected(listening.error());

    logger("server")->info("ksimd {} ready: topology '{}' ({} filters), socket {}", daemon_version(),
                           o.topology.name, o.topology.filters.size(), o.socket_path.string());
    if (o.notify_systemd) impl->notifier.ready();
    return std::unique_ptr<DaemonApp>(new DaemonApp(std::move(impl)));
}

void DaemonApp::run() {
    auto work = boost::asio::make_work_guard(impl_->io);  // keep running while idle
    impl_->io.run();
}

void DaemonApp::request_stop() {
    boost::asio::post(impl_->io, [impl = impl_.get()] { impl->shutdown(); });
}

std::vector<ClientUsage> DaemonApp::client_usage() const {
    std::promise<std::vector<ClientUsage>> answer;
    auto future = answer.get_future();
    boost::asio::post(impl_->io, [&] { answer.set_value(impl_->sessions.usage()); });
    return future.get();
}

const std::filesystem::path& DaemonApp::socket_path() const {
    return impl_->options.socket_path;
}

}  // namespace ksim::daemon::server
