// `ksimctl capture --reconnect` outlives a ksimd crash the way the viewer does, through libksim's
// reconnect: ksimd is SIGKILLed after the first frame file appears and restarted on the same
// socket; the running graph manager re-commits, capture resumes, writes every frame asked for,
// reports the gap on stderr and lists it under "gaps" in its JSON.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "stack.hpp"

namespace ksim::itest {
namespace {

std::size_t files_in(const std::filesystem::path& dir) {
    std::error_code ec;
    std::size_t n = 0;
    for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::end(it);
         it.increment(ec))
        ++n;
    return n;
}

TEST(CaptureReconnect, KsimctlCapture_KsimdKilledAndRestarted_ResumesAndReportsTheGap) {
    Stack stack(configs_dir() / "demo-capture-1080p.json");
    auto gm = stack.start_graphmgr("gm");
    {  // capture (unlike the viewer) expects the allocator committed when it starts
        auto observer = stack.connect(wire::Role::Client, "observer");
        ASSERT_TRUE(observer);
        ASSERT_TRUE(wait_all_committed(*observer, 1, 20s)) << gm->stderr_text();
    }
    constexpr unsigned kFrames = 20;
    const auto out = stack.dir() / "frames";
    Process capture({ksimctl_path(), "--socket", stack.socket(), "--json", "capture", "viewer.input",
                     "--count", std::to_string(kFrames), "--out", out.string(), "--reconnect", "30"},
                    stack.dir(), "capture");
    // Its first frame file: wait on its pidfd between looks (returns early if it dies).
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (files_in(out) < 1 && std::chrono::steady_clock::now() < deadline) {
        pollfd p{capture.pidfd(), POLLIN, 0};
        if (::poll(&p, 1, 20) > 0) break;
    }
    ASSERT_GE(files_in(out), 1u) << capture.stderr_text();
    ASSERT_LT(files_in(out), kFrames) << "the crash must come mid-stream";

    stack.crash_and_restart_daemon();

    EXPECT_EQ(capture.wait(60s), 0) << capture.stderr_text() << gm->stderr_text();
    EXPECT_EQ(files_in(out), kFrames);
    const std::string err = capture.stderr_text();
    EXPECT_NE(err.find("ksimctl: capture: ksimd closed the connection; reconnecting"), std::string::npos)
        << err;
    EXPECT_NE(err.find("ksimctl: capture: reconnected to ksimd after "), std::string::npos) << err;
    const auto report = nlohmann::json::parse(capture.stdout_text(), nullptr, false);
    ASSERT_TRUE(report.is_object()) << capture.stdout_text();
    EXPECT_EQ(report["frames"].size(), kFrames);
    ASSERT_EQ(report["gaps"].size(), 1u) << report.dump();
    EXPECT_GT(report["gaps"][0]["duration_ms"].get<long>(), 0);
    EXPECT_GE(report["gaps"][0]["attempts"].get<unsigned>(), 1u);
    gm->signal(SIGTERM);
    EXPECT_EQ(gm->wait(10s), 0) << gm->stderr_text();
    EXPECT_TRUE(ksim_dev_shm_entries().empty());
}

}  // namespace
}  // namespace ksim::itest
