#include "ksim/test_support/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace ksim::test_support {
namespace {

// In the child, between fork and exec: only async-signal-safe calls.
void redirect(const std::filesystem::path& path, int target, bool truncate) {
    const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : O_APPEND);
    const int fd = ::open(path.c_str(), flags, 0600);
    if (fd >= 0) ::dup2(fd, target);  // dup2 clears O_CLOEXEC on the target
}

}  // namespace

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
    if (argv.empty()) throw std::runtime_error("spawn: empty argv");
    // Everything the child needs is built before fork: after it, no allocation.
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
    if (pid == 0) {
        if (options.nofile && ::setrlimit(RLIMIT_NOFILE, &*options.nofile) != 0) ::_exit(126);
        if (options.core && ::setrlimit(RLIMIT_CORE, &*options.core) != 0) ::_exit(126);
        if (!options.out.empty()) {
            redirect(options.out, STDOUT_FILENO, options.truncate);
            if (options.err.empty()) ::dup2(STDOUT_FILENO, STDERR_FILENO);
        }
        if (!options.err.empty()) redirect(options.err, STDERR_FILENO, options.truncate);
        for (const auto& e : options.env) ::putenv(const_cast<char*>(e.c_str()));
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    return adopt(pid);
}

ChildProcess ChildProcess::adopt(pid_t pid) {
    ChildProcess c;
    c.pid_ = pid;
    c.pidfd_ = shm::UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!c.pidfd_) {
        const int e = errno;
        c.kill_and_reap();
        throw std::runtime_error("pidfd_open: " + std::string(std::strerror(e)));
    }
    return c;
}

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv, const std::filesystem::path& log,
                                 const std::vector<std::string>& env) {
    SpawnOptions options;
    options.out = log;
    options.env = env;
    return spawn(argv, options);
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

std::optional<int> ChildProcess::kill_and_reap() noexcept {
    if (pid_ <= 0) return std::nullopt;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
}

bool ChildProcess::exited() const {
    if (pid_ <= 0) return true;
    pollfd p{pidfd_.get(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
}

void ChildProcess::signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return std::nullopt;
    pollfd p{pidfd_.get(), POLLIN, 0};
    int rc;
    do {
        rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (rc < 0 && errno == EINTR);
    if (rc != 1) return std::nullopt;
    int status = 0;
    if (::waitpid(pid_, &status, 0) != pid_) return std::nullopt;
    pid_ = -1;
    return status;
}

int exit_code(int wait_status) {
    return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

bool has_live_children() {
    siginfo_t info{};
    // WNOWAIT: look without reaping; ECHILD means no children at all.
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0) return false;
    return info.si_pid == 0;  // children exist and none has exited: live ones
}

}  // namespace ksim::test_support
