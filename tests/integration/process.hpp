// Child processes for the end-to-end tests: real binaries started with posix_spawn, stdout and
// stderr captured to files, waited for through a pidfd with a deadline (no sleeps), killed and
// reaped by the destructor so no test leaves a live child behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ksim::itest {

using namespace std::chrono_literals;

class Process {
public:
    // Starts `argv[0]` with `argv`; stdout and stderr go to files in `log_dir` named after
    // `label`. Throws std::runtime_error when the process cannot be started.
    Process(std::vector<std::string> argv, const std::filesystem::path& log_dir, const std::string& label);
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] int pidfd() const { return pidfd_; }
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
    pid_t pid_ = -1;
    int pidfd_ = -1;
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

// Live (not yet reaped) children of this process.
bool has_live_children();

}  // namespace ksim::itest
