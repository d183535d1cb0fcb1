// A gtest fixture that runs one real ksimd per test and checks, when the test ends, what every
// multi-process client test must: ksimd exits 0 on SIGTERM and leaves nothing in /dev/shm.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ksim/client/client.hpp"
#include "ksimd_process.hpp"

namespace ksim::client {

// Configs and pins the ksimd-backed client tests share.
inline const std::string kDemoConfig = std::string(KSIM_CONFIGS_DIR) + "/demo-capture-1080p.json";
inline const std::string kUserSourceSink = std::string(KSIM_TEST_CONFIGS_DIR) + "/user-source-sink.json";
inline const proto::PinRef kCamera{"camera", "capture"};
inline const proto::PinRef kApp{"app", "output"};
inline const proto::PinRef kViewer{"viewer", "input"};
inline constexpr std::uint32_t kDemoFrameSize = 1920 * 1080 * 3 / 2;
}  // namespace ksim::client

namespace ksim::client::test {

class KsimdFixture : public ::testing::Test {
protected:
    void start(const std::string& config, std::vector<std::string> extra_args = {}) {
        shm_before_ = dev_shm_entries();
        daemon_ = std::make_unique<KsimdProcess>(config, std::move(extra_args));
        ASSERT_TRUE(daemon_->ready()) << "ksimd did not start:\n" << daemon_->log();
    }
    void TearDown() override {
        if (!daemon_) return;
        if (!daemon_->running()) {  // killed by the test (kill_daemon)
            daemon_.reset();
            EXPECT_EQ(dev_shm_entries(), shm_before_) << "something was left in /dev/shm";
            return;
        }
        auto status = daemon_->stop();
        ASSERT_TRUE(status) << "ksimd did not exit after SIGTERM";
        EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << daemon_->log();
        daemon_.reset();
        EXPECT_EQ(dev_shm_entries(), shm_before_) << "something was left in /dev/shm";
    }
    Client connect(wire::Role role = wire::Role::Client, std::string name = "ksimd-client-test") {
        ConnectOptions o;
        o.socket_path = daemon_->socket_path();
        o.role = role;
        o.name = std::move(name);
        auto c = Client::connect(o);
        EXPECT_TRUE(c) << c.error().message;
        return std::move(*c);
    }

    // SIGKILLs ksimd (it gets no chance to clean up) and reaps it.
    void kill_daemon() {
        auto status = daemon_->kill();
        ASSERT_TRUE(status && WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL) << daemon_->log();
    }

    std::unique_ptr<KsimdProcess> daemon_;

private:
    std::set<std::string> shm_before_;
};

}  // namespace ksim::client::test
