#include "ksimd_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "fake_daemon.hpp"  // make_temp_dir

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

std::set<std::string> dev_shm_entries() {
    std::set<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/dev/shm", ec)) out.insert(e.path().filename());
    return out;
}

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv, const std::filesystem::path& log,
                                 const std::vector<std::string>& env) {
    ChildProcess c;
    pid_t pid = ::fork();
    if (pid == 0) {
        int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (out >= 0) {
            ::dup2(out, STDOUT_FILENO);
            ::dup2(out, STDERR_FILENO);
        }
        for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    c.pid_ = pid;
    c.pidfd_ = shm::UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    return c;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), pidfd_(std::move(other.pidfd_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        kill_and_reap();
        pid_ = std::exchange(other.pid_, -1);
        pidfd_ = std::move(other.pidfd_);
    }
    return *this;
}

ChildProcess::~ChildProcess() {
    kill_and_reap();
}

void ChildProcess::kill_and_reap() noexcept {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return std::nullopt;
    pollfd p{pidfd_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    int status = 0;
    if (::waitpid(pid_, &status, 0) != pid_) return std::nullopt;
    pid_ = -1;
    return status;
}

KsimdProcess::KsimdProcess(const std::string& config, std::chrono::milliseconds timeout)
    : config_(config), dir_(make_temp_dir("ksim-client-test")) {
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

    child_ = ChildProcess::spawn({KSIM_KSIMD_PATH, "--config", config_, "--socket", socket_, "--runtime-dir",
                                  (dir_ / "run").string(), "--foreground", "--log-level", "info"},
                                 dir_ / "ksimd.log",
                                 {"NOTIFY_SOCKET=" + notify_path, "XDG_RUNTIME_DIR=" + dir_.string()});
    // Wait for READY=1 on the notify socket, the daemon dying, or the deadline; between
    // notifications, poll-connect so a daemon built without libsystemd is found too.
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
    std::ifstream in(dir_ / "ksimd.log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
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
