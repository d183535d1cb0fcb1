// Stack: one ksimd (unique socket and runtime dir in a fresh temp dir) for one test, plus helpers
// to start ksim-graphmgr and to connect clients. Readiness is polling connect() against a
// deadline while watching the daemon's pidfd, never a sleep. Binary paths come from CMake.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ksim/client/client.hpp"
#include "process.hpp"

namespace ksim::itest {

std::string ksimd_path();
std::string graphmgr_path();
std::string ksimctl_path();
std::filesystem::path configs_dir();
// The shipped configs (configs/*.json except the schema), sorted.
std::vector<std::filesystem::path> shipped_configs();

class Stack {
public:
    // Starts ksimd on `config` and waits until it accepts connections. Throws on failure.
    explicit Stack(const std::filesystem::path& config, std::chrono::milliseconds ready_timeout = 20s);
    ~Stack();
    Stack(const Stack&) = delete;
    Stack& operator=(const Stack&) = delete;

    [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
    [[nodiscard]] std::string socket() const { return (dir_ / "ksimd.sock").string(); }
    [[nodiscard]] const std::filesystem::path& config() const { return config_; }
    [[nodiscard]] Process& daemon() { return *daemon_; }

    // ksim-graphmgr with this stack's socket (nothing else), plus `extra` arguments.
    std::vector<std::string> graphmgr_argv(std::vector<std::string> extra = {}) const;
    std::unique_ptr<Process> start_graphmgr(const std::string& label, std::vector<std::string> extra = {});
    RunResult run_graphmgr_once(const std::string& label, std::vector<std::string> extra = {});

    Result<client::Client> connect(wire::Role role = wire::Role::Client,
                                   const std::string& name = "itest") const;

    // Stops ksimd with SIGTERM and returns its exit code (nullopt when it had to be killed).
    std::optional<int> stop_daemon(std::chrono::milliseconds timeout = 10s);
    // SIGKILLs ksimd (a crash), then starts a new one on the same config, socket and runtime
    // directory and waits until it accepts connections. Throws on failure.
    void crash_and_restart_daemon(std::chrono::milliseconds ready_timeout = 20s);
    // Starts a new ksimd on the same config, socket and runtime directory once the old one has
    // exited (SIGKILLing it if it has not) and waits until it accepts connections. Throws on failure.
    void restart_daemon(std::chrono::milliseconds ready_timeout = 20s);

private:
    void start_daemon(std::chrono::milliseconds ready_timeout);

    std::filesystem::path dir_;
    std::filesystem::path config_;
    std::unique_ptr<Process> daemon_;
};

// Polls connect() on `socket` until ksimd (`daemon`) accepts, watching its pidfd between tries;
// false when it exited or `timeout` passed first.
bool wait_until_connectable(const std::string& socket, Process& daemon, std::chrono::milliseconds timeout);

// Waits until every connection of the daemon has a committed decision (the manager's pass is
// done), using the AllocatorCommitted events of a subscribed client and re-reading on each.
bool wait_all_committed(client::Client& observer, std::size_t expected_connections,
                        std::chrono::milliseconds timeout);

// Walks a pin to `state`, failing the test with the daemon's message otherwise.
inline void set_state(client::Client& c, const proto::PinRef& p, proto::PinState state) {
    auto r = c.set_state(p, state);
    ASSERT_TRUE(r) << p.to_string() << " -> " << proto::to_string(state) << ": " << r.error().message;
    ASSERT_EQ(*r, state);
}

}  // namespace ksim::itest
