// A client SIGKILLed at each step of its life, against the real ksimd: the pins it started go
// back to STOP, the pin it created goes away, no frame leaks, the daemon lives on and a
// bystander's stream on another camera has no gap.
#include "kill_support.hpp"

namespace ksim::client::test {
namespace {

class KsimdKillTest : public KillFixture, public ::testing::WithParamInterface<KillStep> {};

TEST_P(KsimdKillTest, ClientKilled_LeavesPinsInStopNoFramesAndTheBystanderStreaming) {
    start_with_bystander();
    Client& gm = *gm_;
    Client& watcher = *watcher_;
    Bystander& bystander = *bystander_;

    const std::string error = kill_client_at(daemon_->socket_path(), GetParam(), &gm);
    ASSERT_EQ(error, "") << daemon_->log();

    for (const auto& pin : {kCamera, kViewer}) {
        auto state = state_reaching_stop(watcher, pin);
        ASSERT_TRUE(state) << "daemon gone?\n" << daemon_->log();
        EXPECT_EQ(proto::to_string(*state), "STOP") << pin.to_string();
    }
    if (GetParam() == KillStep::WithACreatedPin) {
        auto state = state_reaching_stop(watcher, kCamera3);
        ASSERT_TRUE(state);
        EXPECT_EQ(proto::to_string(*state), "STOP");
        auto filters = watcher.list();
        ASSERT_TRUE(filters);
        for (const auto& f : *filters) EXPECT_NE(f.id, kCreated.filter) << "the created pin must go";
        EXPECT_TRUE(gm.commit(user_pool(kCamera, kViewer))) << "the graph manager can recommit";
    } else {
        auto r = gm.commit(user_pool(kCamera, kViewer));
        EXPECT_TRUE(r) << "recommit after the kill: " << (r ? "" : r.error().message);
    }
    EXPECT_EQ(leaked_frames(watcher), 0u);
    EXPECT_TRUE(bystander.flows(5)) << "the bystander's stream stopped\n" << daemon_->log();
    bystander.stop();
    EXPECT_FALSE(bystander.failed());
    EXPECT_EQ(bystander.gaps(), 0u);
}

INSTANTIATE_TEST_SUITE_P(EveryStep, KsimdKillTest,
                         ::testing::Values(KillStep::AfterHello, KillStep::AfterAcquire,
                                           KillStep::AfterOpenStream, KillStep::InRunHoldingFrames,
                                           KillStep::WithACreatedPin),
                         [](const auto& info) { return std::string(to_string(info.param)); });

}  // namespace
}  // namespace ksim::client::test
