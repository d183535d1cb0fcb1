#include "ksimd_process.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <utility>

namespace ksim::client::test {
namespace {

bool can_connect(const std::string& path) {
    shm::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
}

}  // namespace

KsimdProcess::KsimdProcess(const std::string& config, std::chrono::milliseconds timeout)
    : KsimdProcess(config, {}, timeout) {}

KsimdProcess::KsimdProcess(const std::string& config, std::vector<std::string> extra_args,
                           std::chrono::milliseconds timeout)
    : config_(config),
      extra_args_(std::move(extra_args)),
      dir_(test_support::make_temp_dir("ksim-client-test")) {
    socket_ = (dir_ / "ksimd.sock").string();
    start(timeout);
}

bool KsimdProcess::restart(std::chrono::milliseconds timeout) {
    if (child_.running()) return false;
    notify_.reset();
    std::filesystem::remove(dir_ / "notify");
    ready_ = false;
    start(timeout);
    return ready_;
}

void KsimdProcess::start(std::chrono::milliseconds timeout) {
    const std::string notify_path = (dir_ / "notify").string();
    notify_ = shm::UniqueFd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, notify_path.c_str(), sizeof(addr.sun_path) - 1);
    (void)::bind(notify_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));

    std::vector<std::string> argv{
        KSIM_KSIMD_PATH,         "--config",     config_,       "--socket", socket_, "--runtime-dir",
        (dir_ / "run").string(), "--foreground", "--log-level", "info"};
    argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
    child_ = ChildProcess::spawn(argv, dir_ / "ksimd.log",
                                 {"NOTIFY_SOCKET=" + notify_path, "XDG_RUNTIME_DIR=" + dir_.string()});
    // Wait for READY=1 on the notify socket, the daemon dying, or the deadline; between
    // notifications, poll-connect so a daemon built without libsystemd is found too. Nothing
    // reads the socket afterwards: ksimd's later status lines fill its queue and are dropped,
    // which every client test thereby checks ksimd survives (docs/ksimd.md, "systemd").
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (can_connect(socket_)) {
            ready_ = true;
            return;
        }
        pollfd fds[2] = {{notify_.get(), POLLIN, 0}, {child_.pidfd(), POLLIN, 0}};
        if (::poll(fds, 2, 50) > 0) {
            if (fds[1].revents != 0) return;  // exited before it was ready: see log()
            char buf[256];
            (void)::recv(notify_.get(), buf, sizeof buf, MSG_DONTWAIT);
        }
    }
}

KsimdProcess::~KsimdProcess() {
    if (child_.running()) (void)stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

std::string KsimdProcess::log() const {
    return test_support::read_file(dir_ / "ksimd.log");
}

std::optional<int> KsimdProcess::stop(std::chrono::milliseconds timeout) {
    if (!child_.running()) return std::nullopt;
    ::kill(child_.pid(), SIGTERM);
    return child_.wait(timeout);
}

std::optional<int> KsimdProcess::kill(std::chrono::milliseconds timeout) {
    if (!child_.running()) return std::nullopt;
    ::kill(child_.pid(), SIGKILL);
    return child_.wait(timeout);
}

}  // namespace ksim::client::test
