#include "stack.hpp"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <stdexcept>

#include "ksim/test_support/files.hpp"

namespace ksim::itest {

std::string ksimd_path() {
    return KSIM_ITEST_KSIMD;
}
std::string graphmgr_path() {
    return KSIM_ITEST_GRAPHMGR;
}
std::string ksimctl_path() {
    return KSIM_ITEST_KSIMCTL;
}
std::filesystem::path configs_dir() {
    return KSIM_ITEST_CONFIGS;
}

std::vector<std::filesystem::path> shipped_configs() {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(configs_dir()))
        if (e.path().extension() == ".json" && e.path().filename() != "topology.schema.json")
            out.push_back(e.path());
    std::ranges::sort(out);
    return out;
}

Stack::Stack(const std::filesystem::path& config, std::chrono::milliseconds ready_timeout) : config_(config) {
    dir_ = test_support::make_temp_dir("ksim-itest");
    start_daemon(ready_timeout);
}

void Stack::crash_and_restart_daemon(std::chrono::milliseconds ready_timeout) {
    daemon_->signal(SIGKILL);
    restart_daemon(ready_timeout);
}

void Stack::restart_daemon(std::chrono::milliseconds ready_timeout) {
    daemon_->kill_and_reap();
    start_daemon(ready_timeout);
}

void Stack::start_daemon(std::chrono::milliseconds ready_timeout) {
    daemon_ = std::make_unique<Process>(
        std::vector<std::string>{ksimd_path(), "--config", config_.string(), "--socket", socket(),
                                 "--runtime-dir", (dir_ / "run").string(), "--log-level", "warn"},
        dir_, "ksimd");
    if (!wait_until_connectable(socket(), *daemon_, ready_timeout))
        throw std::runtime_error("ksimd not ready or exited during start-up:\n" + daemon_->stderr_text());
}

bool wait_until_connectable(const std::string& socket, Process& daemon, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        client::ConnectOptions o;
        o.socket_path = socket;
        o.name = "itest-ready";
        if (client::Connection::connect(o)) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        // Wait a little on the daemon's pidfd: returns early if it died.
        pollfd p{daemon.pidfd(), POLLIN, 0};
        if (::poll(&p, 1, 20) > 0) return false;
    }
}

Stack::~Stack() {
    if (daemon_) {
        stop_daemon();
        daemon_.reset();
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

std::vector<std::string> Stack::graphmgr_argv(std::vector<std::string> extra) const {
    // The socket is all the manager needs: every driver fact comes from ksimd.
    std::vector<std::string> argv{graphmgr_path(), "--socket", socket(), "--log-level", "info"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}

std::unique_ptr<Process> Stack::start_graphmgr(const std::string& label, std::vector<std::string> extra) {
    return std::make_unique<Process>(graphmgr_argv(std::move(extra)), dir_, label);
}

RunResult Stack::run_graphmgr_once(const std::string& label, std::vector<std::string> extra) {
    extra.insert(extra.begin(), "--once");
    return run(graphmgr_argv(std::move(extra)), dir_, label);
}

Result<client::Client> Stack::connect(wire::Role role, const std::string& name) const {
    client::ConnectOptions o;
    o.socket_path = socket();
    o.role = role;
    o.name = name;
    o.timeout = std::chrono::milliseconds(2000);
    return client::Client::connect(o);
}

std::optional<int> Stack::stop_daemon(std::chrono::milliseconds timeout) {
    daemon_->signal(SIGTERM);
    auto code = daemon_->wait(timeout);
    if (!code) daemon_->kill_and_reap();
    return code;
}

bool wait_all_committed(client::Client& observer, std::size_t expected, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        auto conns = observer.connections();
        if (conns && conns->size() >= expected &&
            std::ranges::all_of(*conns, [](const auto& c) { return c.decision.has_value(); }))
            return true;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        // Any event (a commit, a state change) is a reason to look again; time out otherwise.
        (void)observer.connection().next_event(std::min(left, std::chrono::milliseconds(200)));
    }
}

}  // namespace ksim::itest
