// Helpers for shm tests: forked children with a timeout (pidfd + poll, no sleeps) and a
// snapshot of /dev/shm to prove nothing is left behind.
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <system_error>

#include "ksim/test_support/files.hpp"

namespace ksim::shm::test {

using test_support::dev_shm_entries;  // the set of names in /dev/shm now

// A forked child running `body`; its return value is the exit status. The child never returns
// into gtest. wait() reaps it with a timeout and kills it if it overruns.
class Child {
public:
    explicit Child(const std::function<int()>& body) {
        pid_ = ::fork();
        if (pid_ == 0) {
            int code = 100;
            try {
                code = body();
            } catch (...) {
                code = 101;
            }
            ::_exit(code);
        }
        if (pid_ > 0) pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() {
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
        if (pidfd_ >= 0) ::close(pidfd_);
    }

    [[nodiscard]] bool started() const { return pid_ > 0 && pidfd_ >= 0; }
    [[nodiscard]] pid_t pid() const { return pid_; }

    // Waits up to `timeout` for the child to end; returns its wait status, or -1 on timeout
    // (the child is then killed and reaped).
    int wait(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
        pollfd pfd{pidfd_, POLLIN, 0};
        const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
        int status = 0;
        if (ready <= 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            reaped_ = true;
            return -1;
        }
        ::waitpid(pid_, &status, 0);
        reaped_ = true;
        return status;
    }

    void kill_now() { ::kill(pid_, SIGKILL); }

    // True when no process with this pid is alive (reaped).
    [[nodiscard]] bool gone() const { return reaped_ && ::kill(pid_, 0) != 0; }

private:
    pid_t pid_ = -1;
    int pidfd_ = -1;
    bool reaped_ = false;
};

inline bool exited_with(int status, int code) {
    return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

inline bool killed_by_fault(int status) {
    return status >= 0 && WIFSIGNALED(status) && (WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS);
}

}  // namespace ksim::shm::test
