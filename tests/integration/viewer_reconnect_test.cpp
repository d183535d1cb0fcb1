// The capture viewer outlives a ksimd crash: ksimd is SIGKILLed after the viewer's first frame
// and restarted on the same socket; the running graph manager re-commits, the viewer reconnects,
// the remaining frames arrive and the gap is reported on its stderr.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <algorithm>

#include "stack.hpp"

namespace ksim::itest {
namespace {

std::size_t lines(const std::string& text) {
    return static_cast<std::size_t>(std::ranges::count(text, '\n'));
}

TEST(ViewerReconnect, CaptureViewer_KsimdKilledAndRestarted_KeepsGoingAndReportsTheGap) {
    Stack stack(configs_dir() / "demo-capture-1080p.json");
    auto gm = stack.start_graphmgr("gm");
    constexpr unsigned kFrames = 20;
    const auto out = stack.dir() / "frames";
    Process viewer({KSIM_ITEST_VIEWER, "--socket", stack.socket(), "--pin", "viewer.input", "--count",
                    std::to_string(kFrames), "--out", out.string()},
                   stack.dir(), "viewer");
    // Its first frame path on stdout: wait on its pidfd between looks (returns early if it dies).
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (lines(viewer.stdout_text()) < 1 && std::chrono::steady_clock::now() < deadline) {
        pollfd p{viewer.pidfd(), POLLIN, 0};
        if (::poll(&p, 1, 20) > 0) break;
    }
    ASSERT_GE(lines(viewer.stdout_text()), 1u) << viewer.stderr_text();
    ASSERT_LT(lines(viewer.stdout_text()), kFrames) << "the crash must come mid-stream";

    stack.crash_and_restart_daemon();

    EXPECT_EQ(viewer.wait(60s), 0) << viewer.stderr_text() << gm->stderr_text();
    EXPECT_EQ(lines(viewer.stdout_text()), kFrames) << viewer.stdout_text();
    const std::string err = viewer.stderr_text();
    EXPECT_NE(err.find("ksimd closed the connection; reconnecting"), std::string::npos) << err;
    EXPECT_NE(err.find("reconnected to ksimd after "), std::string::npos) << err;
    EXPECT_NE(err.find("frames in flight were lost"), std::string::npos) << err;
    gm->signal(SIGTERM);
    EXPECT_EQ(gm->wait(10s), 0) << gm->stderr_text();
    EXPECT_TRUE(ksim_dev_shm_entries().empty());
}

}  // namespace
}  // namespace ksim::itest
