// The user source outlives a ksimd crash through libksim's reconnect: ksimd is SIGKILLed once
// the kernel sink has completed a frame from it and restarted on the same socket; the running
// graph manager re-commits, the source's acquire_frame resumes on the new pool, every frame
// asked for is submitted and the gap is reported on its stderr and in its summary.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include "stack.hpp"

namespace ksim::itest {
namespace {

TEST(UserSourceReconnect, UserSource_KsimdKilledAndRestarted_SubmitsEveryFrameAndReportsTheGap) {
    Stack stack(KSIM_ITEST_USER_SOURCE_CONFIG);
    auto gm = stack.start_graphmgr("gm");
    constexpr unsigned kFrames = 60;  // 2 s at 30 frames/s: the crash comes well before the end
    Process source({KSIM_ITEST_USER_SOURCE, "--socket", stack.socket(), "--pin", "app.output", "--frames",
                    std::to_string(kFrames), "--fps", "30"},
                   stack.dir(), "user-source");
    // Frames flowing: the kernel sink completed one. Look between waits on the source's pidfd
    // (returns early if it dies).
    auto observer = stack.connect(wire::Role::Client, "observer");
    ASSERT_TRUE(observer) << observer.error().message;
    const proto::PinRef sink{"sink", "input"};
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    bool flowing = false;
    while (!flowing && std::chrono::steady_clock::now() < deadline) {
        auto stats = observer->statistics(sink);
        flowing = stats && stats->completed > 0;
        pollfd p{source.pidfd(), POLLIN, 0};
        if (!flowing && ::poll(&p, 1, 20) > 0) break;
    }
    ASSERT_TRUE(flowing) << source.stderr_text() << gm->stderr_text();
    ASSERT_TRUE(source.running()) << "the crash must come mid-stream";

    stack.crash_and_restart_daemon();

    EXPECT_EQ(source.wait(60s), 0) << source.stderr_text() << gm->stderr_text();
    const std::string out = source.stdout_text(), err = source.stderr_text();
    EXPECT_NE(out.find("submitted " + std::to_string(kFrames) + " frames"), std::string::npos) << out;
    EXPECT_NE(out.find("1 reconnect(s) to ksimd"), std::string::npos) << out;
    EXPECT_NE(err.find("ksim-user-source: ksimd closed the connection; reconnecting"), std::string::npos)
        << err;
    EXPECT_NE(err.find("ksim-user-source: reconnected to ksimd after "), std::string::npos) << err;
    gm->signal(SIGTERM);
    EXPECT_EQ(gm->wait(10s), 0) << gm->stderr_text();
    EXPECT_TRUE(ksim_dev_shm_entries().empty());
}

}  // namespace
}  // namespace ksim::itest
