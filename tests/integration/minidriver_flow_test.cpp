// The example minidriver (examples/drivers/avscam, written in C against the public driver API)
// end to end: ksimd loads the module named by the shipped configs, ksim-graphmgr negotiates from
// the framing its pin Create edited and commits, and a libksim client streams its frames. The
// content is avscam's documented pattern (pattern.h), checked byte for byte; on the kernel chain
// its own allocator is selected and its four routines are called (the counts come over the wire).
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdint>
#include <cstring>

#include "ksim/client/stream.hpp"
#include "stack.hpp"

namespace ksim::itest {
namespace {

// avscam's NV12 picture n (pattern.h): row y of the luma plane is 16 + ((y + 2n) mod 220), the
// chroma plane is 128, and the first 8 bytes are n (little-endian). Returns the first mismatch.
std::optional<std::string> pattern_mismatch(std::span<const std::byte> frame, std::uint32_t width,
                                            std::uint32_t height) {
    if (frame.size() != std::size_t{width} * height * 3 / 2) return "size " + std::to_string(frame.size());
    std::uint64_t n = 0;
    std::memcpy(&n, frame.data(), sizeof n);
    for (std::uint32_t y = 0; y < height; ++y)
        for (std::uint32_t x = 0; x < width; ++x) {
            const std::size_t at = std::size_t{y} * width + x;
            if (at < 8) continue;
            const auto want = static_cast<std::uint8_t>(16 + (y + 2 * n) % 220);
            if (static_cast<std::uint8_t>(frame[at]) != want)
                return "luma (" + std::to_string(x) + "," + std::to_string(y) + ") of picture " +
                       std::to_string(n);
        }
    for (std::size_t at = std::size_t{width} * height; at < frame.size(); ++at)
        if (static_cast<std::uint8_t>(frame[at]) != 128) return "chroma byte " + std::to_string(at);
    return std::nullopt;
}

void set_state(client::Client& c, const proto::PinRef& p, proto::PinState state) {
    auto r = c.set_state(p, state);
    ASSERT_TRUE(r) << p.to_string() << " -> " << proto::to_string(state) << ": " << r.error().message;
}

TEST(MinidriverFlow, Avscam_ToUserSink_FramesCarryItsPattern_AndItsAllocatorIsNeverInitialized) {
    const auto shm_before = ksim_dev_shm_entries();
    {
        Stack stack(configs_dir() / "minidriver-avscam-viewer.json");
        auto app = stack.connect(wire::Role::Client, "viewer");
        ASSERT_TRUE(app);
        ASSERT_TRUE(app->connection().subscribe());
        auto mgr = stack.start_graphmgr("manager");
        ASSERT_TRUE(wait_all_committed(*app, 1, 20s)) << mgr->stderr_text();

        const proto::PinRef sink{"viewer", "input"}, camera{"camera", "capture"};
        set_state(*app, sink, proto::PinState::Acquire);
        auto stream = app->open_stream(sink);
        ASSERT_TRUE(stream) << stream.error().message;
        set_state(*app, sink, proto::PinState::Run);
        set_state(*app, camera, proto::PinState::Run);
        std::uint64_t previous = 0;
        for (int i = 0; i < 6; ++i) {
            auto frame = (*stream)->next_frame(5s);
            ASSERT_TRUE(frame) << "frame " << i << ": " << frame.error().message;
            const auto wrong = pattern_mismatch(frame->bytes(), 640, 480);
            EXPECT_FALSE(wrong.has_value()) << "frame " << i << ": " << *wrong;
            std::uint64_t n = 0;
            std::memcpy(&n, frame->bytes().data(), sizeof n);
            EXPECT_GT(n, previous) << "picture numbers increase";
            previous = n;
        }
        auto stats = app->statistics(camera);
        ASSERT_TRUE(stats) << stats.error().message;
        ASSERT_TRUE(stats->vendor_allocator.has_value());
        EXPECT_EQ(stats->vendor_allocator->name, "avscam_dma");
        EXPECT_EQ(stats->vendor_allocator->calls, (wire::VendorAllocatorCalls{0, 0, 0, 0}))
            << "a user-mode connection never initializes the driver's allocator";
        set_state(*app, camera, proto::PinState::Stop);
        set_state(*app, sink, proto::PinState::Stop);
        stream->reset();
        mgr->signal(SIGTERM);
        EXPECT_EQ(mgr->wait(10s), 0) << mgr->stderr_text();
        EXPECT_EQ(stack.stop_daemon(), 0);
    }
    EXPECT_EQ(ksim_dev_shm_entries(), shm_before);
}

TEST(MinidriverFlow, Avscam_ToKernelSink_ItsOwnAllocatorServesEveryFrame) {
    const auto shm_before = ksim_dev_shm_entries();
    {
        Stack stack(configs_dir() / "minidriver-avscam-vendor-dma.json");
        auto app = stack.connect();
        ASSERT_TRUE(app);
        ASSERT_TRUE(app->connection().subscribe());
        const RunResult mgr = stack.run_graphmgr_once("manager");
        ASSERT_EQ(mgr.exit_code, 0) << mgr.err;
        const proto::PinRef camera{"camera", "capture"}, checker{"checker", "input"};
        set_state(*app, checker, proto::PinState::Run);
        set_state(*app, camera, proto::PinState::Run);
        // Frames raise no socket event: poll the sink's statistics until enough were checked.
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        std::uint64_t completed = 0;
        while (completed < 8 && std::chrono::steady_clock::now() < deadline) {
            auto s = app->statistics(checker);
            ASSERT_TRUE(s) << s.error().message;
            completed = s->completed;
            if (completed < 8) (void)app->connection().next_event(50ms);
        }
        ASSERT_GE(completed, 8u);
        auto cam = app->statistics(camera);
        ASSERT_TRUE(cam && cam->vendor_allocator);
        EXPECT_TRUE(cam->vendor_allocator->initialized);
        EXPECT_EQ(cam->vendor_allocator->calls.initialize, 1u);
        EXPECT_GE(cam->vendor_allocator->calls.allocate, 2u);
        set_state(*app, camera, proto::PinState::Stop);
        set_state(*app, checker, proto::PinState::Stop);
        cam = app->statistics(camera);
        ASSERT_TRUE(cam && cam->vendor_allocator);
        EXPECT_EQ(cam->vendor_allocator->calls.remove, 1u) << "DeleteAllocator at the last STOP";
        EXPECT_EQ(cam->vendor_allocator->calls.allocate, cam->vendor_allocator->calls.free);
        EXPECT_EQ(stack.stop_daemon(), 0);
    }
    EXPECT_EQ(ksim_dev_shm_entries(), shm_before);
}

}  // namespace
}  // namespace ksim::itest
