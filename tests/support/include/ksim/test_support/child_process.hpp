// A real binary in a child process for one test: fork + exec with stdout/stderr to files, waited
// for through a pidfd with a deadline (never a sleep), killed and reaped by the destructor so no
// test leaves a live child behind.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ksim/shm/unique_fd.hpp"

namespace ksim::test_support {

struct SpawnOptions {
    std::filesystem::path out;     // stdout; empty: inherited
    std::filesystem::path err;     // stderr; empty: the same file as `out`
    bool truncate = false;         // start the files empty instead of appending
    std::vector<std::string> env;  // extra environment entries "K=V"
    std::optional<rlimit> nofile;  // RLIMIT_NOFILE set before exec (as prlimit would)
    std::optional<rlimit> core;    // RLIMIT_CORE set before exec ({0, 0}: a crash leaves no core file)
};

class ChildProcess {
public:
    // fork + exec `argv` (argv[0] is the path). An exec failure is exit code 127; a failure to
    // set the limit is 126. Throws std::runtime_error when fork or pidfd_open fails.
    static ChildProcess spawn(const std::vector<std::string>& argv, const SpawnOptions& options);
    // stdout and stderr appended to `log`, extra environment entries "K=V".
    static ChildProcess spawn(const std::vector<std::string>& argv, const std::filesystem::path& log,
                              const std::vector<std::string>& env = {});
    // A child this process forked itself (no exec), so that the test can wait for it too.
    static ChildProcess adopt(pid_t pid);
    ChildProcess() = default;
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ~ChildProcess();  // SIGKILL + reap if still running

    // The wait status once it exited (reaps it), nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    // True until wait() or kill_and_reap() reaped it.
    [[nodiscard]] bool running() const { return pid_ > 0; }
    // True once it exited, reaped or not (does not reap it).
    [[nodiscard]] bool exited() const;
    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] int pidfd() const { return pidfd_.get(); }
    void signal(int sig) const;
    // SIGKILL and reap; the wait status (nullopt when it was already reaped).
    std::optional<int> kill_and_reap() noexcept;

private:
    pid_t pid_ = -1;
    shm::UniqueFd pidfd_;
};

// A wait status as one number: the exit code, or 128 + the signal that killed it (as a shell).
int exit_code(int wait_status);

// True when this process has children that have not exited yet.
bool has_live_children();

}  // namespace ksim::test_support
