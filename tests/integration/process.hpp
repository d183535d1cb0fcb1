// Child processes for the end-to-end tests: real binaries (test_support::ChildProcess) with
// stdout and stderr captured to files named after a label, and exit codes as a shell shows them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ksim/test_support/child_process.hpp"

namespace ksim::itest {

using namespace std::chrono_literals;

class Process {
public:
    // Starts `argv[0]` with `argv`; stdout and stderr go to files in `log_dir` named after
    // `label`. Throws std::runtime_error when the process cannot be started (a binary that cannot
    // be executed exits 127).
    // `env`: extra environment entries "K=V".
    Process(std::vector<std::string> argv, const std::filesystem::path& log_dir, const std::string& label,
            std::vector<std::string> env = {});
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    [[nodiscard]] pid_t pid() const { return child_.pid(); }
    [[nodiscard]] int pidfd() const { return child_.pidfd(); }
    // True while the process has not exited (does not reap it).
    [[nodiscard]] bool running() const;
    // Waits for exit; the exit code, 128+signal when killed, nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    void signal(int sig) const;
    // SIGKILL and reap (no-op when already reaped).
    void kill_and_reap();

    [[nodiscard]] std::string stdout_text() const;
    [[nodiscard]] std::string stderr_text() const;

private:
    test_support::ChildProcess child_;  // killed and reaped by its destructor
    std::optional<int> exit_code_;
    std::filesystem::path out_, err_;
};

// Runs to completion (killed after `timeout`) and returns {exit code, stdout, stderr}.
struct RunResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};
RunResult run(std::vector<std::string> argv, const std::filesystem::path& log_dir, const std::string& label,
              std::chrono::milliseconds timeout = 30s);

// Names in /dev/shm containing "ksim" (memfd regions never appear there; named shm would).
std::vector<std::string> ksim_dev_shm_entries();

using test_support::has_live_children;

}  // namespace ksim::itest
