// Soak: random SIGKILLs of clients at random steps of their life (most of them in RUN holding
// frames) against one real ksimd, while a bystander streams camera2. About 200 kills by default
// (a minute or less on 2 cores); KSIM_SOAK_KILLS=N runs N, KSIM_SOAK_SEED=S replays a run. After
// every kill: the pins are back in STOP, no frame is out of its pool, the daemon answers; at the
// end the bystander's stream had no gap. The seed is printed with every failure.
#include <cstdlib>
#include <random>

#include "kill_support.hpp"

namespace ksim::client::test {
namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

class KsimdSoakTest : public KillFixture {};

TEST_F(KsimdSoakTest, RandomClientKills_LeakNothingAndNeverDisturbTheBystander) {
    const std::uint64_t kills = env_or("KSIM_SOAK_KILLS", 200);
    const std::uint64_t seed = env_or("KSIM_SOAK_SEED", std::random_device{}());
    SCOPED_TRACE("soak seed " + std::to_string(seed) + " (replay: KSIM_SOAK_SEED=" + std::to_string(seed) +
                 " KSIM_SOAK_KILLS=" + std::to_string(kills) + ")");
    std::mt19937_64 random(seed);
    start_with_bystander();
    Client& gm = *gm_;
    Client& watcher = *watcher_;
    Bystander& bystander = *bystander_;

    // Mostly clients holding frames; every other step now and then.
    const std::vector<KillStep> steps{KillStep::InRunHoldingFrames, KillStep::InRunHoldingFrames,
                                      KillStep::InRunHoldingFrames, KillStep::WithACreatedPin,
                                      KillStep::AfterHello,         KillStep::AfterAcquire,
                                      KillStep::AfterOpenStream};
    for (std::uint64_t i = 0; i < kills; ++i) {
        const KillStep step = steps[random() % steps.size()];
        SCOPED_TRACE("kill " + std::to_string(i) + " at " + to_string(step));
        const std::string error = kill_client_at(daemon_->socket_path(), step, &gm);
        ASSERT_EQ(error, "") << daemon_->log();
        for (const auto& pin : {kCamera, kViewer, kCamera3}) {
            auto state = state_reaching_stop(watcher, pin);
            ASSERT_TRUE(state) << "ksimd stopped answering\n" << daemon_->log();
            ASSERT_EQ(proto::to_string(*state), "STOP") << pin.to_string();
        }
        ASSERT_EQ(leaked_frames(watcher), 0u);
        ASSERT_FALSE(bystander.failed()) << daemon_->log();
    }
    EXPECT_TRUE(bystander.flows(5)) << "the bystander's stream stopped";
    bystander.stop();
    EXPECT_FALSE(bystander.failed());
    EXPECT_EQ(bystander.gaps(), 0u) << "over " << bystander.frames() << " frames";
    std::cout << "soak: " << kills << " kills, seed " << seed << ", bystander " << bystander.frames()
              << " frames, 0 gaps expected, " << bystander.gaps() << " seen\n";
}

}  // namespace
}  // namespace ksim::client::test
