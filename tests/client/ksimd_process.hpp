// The real ksimd binary in a child process for one test: its own temp directory, socket, runtime
// directory and NOTIFY_SOCKET. Readiness is its READY=1 notification or a successful connect,
// waited for with poll() and a deadline (never a sleep). stop() sends SIGTERM and reaps it; the
// destructor SIGKILLs a daemon a failed test left running and removes the directory.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ksim/shm/unique_fd.hpp"
#include "ksim/test_support/child_process.hpp"
#include "ksim/test_support/files.hpp"

namespace ksim::client::test {

using test_support::ChildProcess;
using test_support::dev_shm_entries;

class KsimdProcess {
public:
    // Starts ksimd on `config` and waits until it accepts connections (or fails the test's
    // expectations: check ready()).
    explicit KsimdProcess(const std::string& config,
                          std::chrono::milliseconds timeout = std::chrono::seconds(20));
    // The same with `extra_args` after ksimd's own (e.g. --busy-poll-drain), kept for restart().
    KsimdProcess(const std::string& config, std::vector<std::string> extra_args,
                 std::chrono::milliseconds timeout = std::chrono::seconds(20));
    ~KsimdProcess();

    [[nodiscard]] bool ready() const { return ready_; }
    [[nodiscard]] const std::string& socket_path() const { return socket_; }
    [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
    // ksimd's log so far (for failure messages).
    [[nodiscard]] std::string log() const;

    // SIGTERM, then the exit status (nullopt when it did not exit within `timeout`).
    std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // SIGKILL (a crash: no clean-up in ksimd), then the wait status.
    std::optional<int> kill(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    [[nodiscard]] bool running() const { return child_.running(); }
    // After kill() or stop(): a new ksimd on the same config, socket and runtime directory (a
    // restarted daemon, as its clients see it); ready() says whether it accepts connections.
    bool restart(std::chrono::milliseconds timeout = std::chrono::seconds(20));

private:
    void start(std::chrono::milliseconds timeout);
    std::string config_;
    std::vector<std::string> extra_args_;
    std::filesystem::path dir_;
    std::string socket_;
    shm::UniqueFd notify_;
    ChildProcess child_;
    bool ready_ = false;
};

}  // namespace ksim::client::test
