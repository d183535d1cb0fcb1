// The ring data path against the real ksimd binary: frame info (picture number, drop count)
// reaches the client through the 64-byte ring entries; an in-place kernel transform between a
// client source and a client sink (two pools) delivers intact content and returns every frame to
// its own pool; acquire_frame waits for a frame to come back instead of failing.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <future>
#include <thread>

#include "ksim/client/client.hpp"
#include "ksim/client/stream.hpp"
#include "ksim/daemon/content.hpp"
#include "ksim/proto/memory_types.hpp"
#include "ksimd_fixture.hpp"

namespace ksim::client {
namespace {

using namespace std::chrono_literals;
using test::KsimdProcess;
using Clock = std::chrono::steady_clock;

const std::string kUserInplaceUser = std::string(KSIM_TEST_CONFIGS_DIR) + "/user-inplace-user.json";
const proto::PinRef kOverlayIn{"overlay", "input"};
const proto::PinRef kOverlayOut{"overlay", "output"};
constexpr std::uint32_t kSmallFrame = 4096;

class KsimdDatapathTest : public test::KsimdFixture {
protected:
    Client connect(wire::Role role = wire::Role::Client) {
        return KsimdFixture::connect(role, "ksimd-datapath-test");
    }
    void commit(std::vector<std::pair<proto::PinRef, proto::PinRef>> connections, proto::PinRef provider,
                proto::Guid memory, std::uint32_t frame_size, std::uint32_t frames) {
        Client gm = connect(wire::Role::GraphManager);
        wire::CommitRequest c;
        c.connections = std::move(connections);
        c.decision = {wire::AllocatorKind::User, std::move(provider), memory, frame_size, frames, 0};
        auto r = gm.commit(c);
        ASSERT_TRUE(r) << r.error().message << "\n" << daemon_->log();
    }
    void set(Client& c, const proto::PinRef& pin, proto::PinState s) {
        auto r = c.set_state(pin, s);
        ASSERT_TRUE(r) << pin.to_string() << ": " << r.error().message;
    }
    // Frames the ledger shows outside their pools.
    std::size_t outstanding(Client& c) {
        auto entries = c.ledger();
        EXPECT_TRUE(entries) << entries.error().message;
        return entries ? entries->size() : 0;
    }
};

TEST_F(KsimdDatapathTest, RingPath_CarriesPictureNumbersMatchingTheContentAndTheDropCount) {
    start(kDemoConfig);
    Client c = connect();
    commit({{kCamera, kViewer}}, kViewer, proto::memory_type::kUser, kDemoFrameSize, 2);
    set(c, kViewer, proto::PinState::Acquire);
    auto stream = c.open_stream(kViewer);
    ASSERT_TRUE(stream) << stream.error().message;
    ASSERT_TRUE((*stream)->uses_rings());
    ASSERT_TRUE(c.connection().subscribe());
    set(c, kViewer, proto::PinState::Run);
    set(c, kCamera, proto::PinState::Run);
    const proto::VideoParams video{proto::VideoFormat::Nv12, 1920, 1080, 30, 1};

    std::int64_t last_picture = 0;
    std::int64_t last_drops = 0;
    auto check = [&](const FrameView& f) {
        const auto& h = f.header();
        EXPECT_GT(h.picture_number, last_picture) << "picture numbers must strictly increase";
        last_picture = h.picture_number;
        EXPECT_GE(h.drop_count, last_drops) << "DropCount is cumulative";
        last_drops = h.drop_count;
        EXPECT_TRUE(proto::has_any(h.options_flags, proto::StreamHeaderOptions::FrameInfo));
        EXPECT_EQ(h.duration, 333'333);
        EXPECT_EQ(h.frame_extent, kDemoFrameSize);
        auto counter = daemon::read_frame_counter(f.bytes(), video);
        ASSERT_TRUE(counter.has_value()) << "frame counter unreadable";
        EXPECT_EQ(static_cast<std::int64_t>(*counter) + 1, h.picture_number)
            << "the header must name the frame drawn";
    };
    for (int i = 0; i < 3; ++i) {
        auto f = (*stream)->next_frame(5s);
        ASSERT_TRUE(f) << f.error().message;
        check(*f);
    }
    // Hold the whole pool: the capture hardware finds no buffer and skips periods (drops).
    std::vector<FrameView> held;
    for (int i = 0; i < 2; ++i) {
        auto f = (*stream)->next_frame(5s);
        ASSERT_TRUE(f) << f.error().message;
        check(*f);
        held.push_back(std::move(*f));
    }
    auto camera_drops = [&] {
        auto st = c.statistics(kCamera);
        EXPECT_TRUE(st) << st.error().message;
        return st ? st->dropped : 0;
    };
    const std::uint64_t dropped_at_hold = camera_drops();
    bool dropped = false;
    for (auto deadline = Clock::now() + 10s; !dropped && Clock::now() < deadline;) {
        (void)c.connection().next_event(1s);  // FrameDropped events pace the re-check
        dropped = camera_drops() > dropped_at_hold;
    }
    ASSERT_TRUE(dropped) << "no drop counted while the client held every frame";
    const std::int64_t drops_before = last_drops;
    held.clear();
    auto f = (*stream)->next_frame(5s);
    ASSERT_TRUE(f) << f.error().message;
    check(*f);
    EXPECT_GT(f->header().drop_count, drops_before)
        << "the skipped periods must show in KS_FRAME_INFO.DropCount";
}

TEST_F(KsimdDatapathTest, InPlaceTransformBetweenTwoUserPins_DeliversIntactContentAndBalancesTheLedger) {
    start(kUserInplaceUser);
    Client c = connect();
    // What the negotiation engine decides for this topology (ksimctl negotiate --explain): two
    // user-mode pipes, app.output -> overlay.input and overlay.output -> viewer.input.
    commit({{kApp, kOverlayIn}}, kApp, proto::memory_type::kUser, kSmallFrame, 2);
    commit({{kOverlayOut, kViewer}}, kOverlayOut, proto::memory_type::kUser, kSmallFrame, 2);
    set(c, kApp, proto::PinState::Acquire);
    set(c, kViewer, proto::PinState::Acquire);
    auto source = c.open_stream(kApp);
    auto sink = c.open_stream(kViewer);
    ASSERT_TRUE(source) << source.error().message;
    ASSERT_TRUE(sink) << sink.error().message;
    ASSERT_TRUE((*source)->writable());
    for (const auto& p : {kViewer, kOverlayOut, kOverlayIn, kApp}) set(c, p, proto::PinState::Run);

    for (int i = 1; i <= 6; ++i) {
        auto w = (*source)->acquire_frame(5s);
        ASSERT_TRUE(w) << w.error().message;
        const std::uint32_t used = 1000 + i;
        for (std::uint32_t b = 0; b < used; ++b) w->bytes()[b] = static_cast<std::byte>((b * 7 + i) & 0xFF);
        w->header().picture_number = i;
        const auto submitted_at = std::chrono::steady_clock::now();
        ASSERT_TRUE(w->submit(used));

        auto f = (*sink)->next_frame(5s);
        const auto received_at = std::chrono::steady_clock::now();
        ASSERT_TRUE(f) << f.error().message << "\n" << daemon_->log();
        EXPECT_EQ(f->header().picture_number, i);
        // ksimd stamped the hand-off on its clock, which is ours: after the submission, before now.
        EXPECT_GE(f->delivered_at(), submitted_at) << "frame " << i;
        EXPECT_LE(f->delivered_at(), received_at) << "frame " << i;
        ASSERT_EQ(f->bytes().size(), used);
        for (std::uint32_t b = 0; b < used; ++b)
            ASSERT_EQ(f->bytes()[b], static_cast<std::byte>(~(b * 7 + i) & 0xFF))
                << "frame " << i << " byte " << b;
        // The release travels on the ring; wait until the ledger shows both pools whole again,
        // so the transform always finds a free output frame (otherwise it drops, as KS would).
        // Whole but for the one frame (pool of 2 -> depth 1) the daemon keeps posted in the
        // source's free-frame ring, held by this client.
        ASSERT_TRUE(f->release());
        std::size_t left = outstanding(c);
        for (auto deadline = Clock::now() + 5s; left != 1 && Clock::now() < deadline;) left = outstanding(c);
        ASSERT_EQ(left, 1u) << "frame " << i << ": both frames must be back in their pools";
    }
    for (const auto& p : {kApp, kOverlayIn, kOverlayOut, kViewer}) set(c, p, proto::PinState::Stop);
    EXPECT_EQ(outstanding(c), 0u) << "every frame must be back in its own pool after STOP";
    for (const auto& p : {kApp, kViewer}) {
        auto st = c.allocator_status(p);
        ASSERT_TRUE(st) << st.error().message;
        EXPECT_EQ(st->allocated_frames, 0u) << p.to_string();
    }
    auto out = c.statistics(kOverlayOut);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(out->completed, 6u);
    auto viewer = c.statistics(kViewer);
    ASSERT_TRUE(viewer);
    EXPECT_EQ(viewer->dropped, 0u);
}

TEST_F(KsimdDatapathTest, AcquireFrame_OnAnExhaustedPool_WaitsForTheConsumerToReturnOne) {
    start(kUserSourceSink);
    Client c = connect();
    commit({{kApp, kViewer}}, kViewer, proto::memory_type::kUser, kSmallFrame, 2);
    set(c, kApp, proto::PinState::Acquire);
    set(c, kViewer, proto::PinState::Acquire);
    auto source = c.open_stream(kApp);
    auto sink = c.open_stream(kViewer);
    ASSERT_TRUE(source && sink);
    set(c, kViewer, proto::PinState::Run);
    set(c, kApp, proto::PinState::Run);

    // The consumer takes both frames and sits on them.
    std::vector<FrameView> consumed;
    for (int i = 0; i < 2; ++i) {
        auto w = (*source)->acquire_frame(5s);
        ASSERT_TRUE(w) << w.error().message;
        ASSERT_TRUE(w->submit(16));
        auto f = (*sink)->next_frame(5s);
        ASSERT_TRUE(f) << f.error().message;
        consumed.push_back(std::move(*f));
    }
    // Exhausted: acquire waits its whole timeout, then says Timeout (not NoMoreEntries).
    const auto t0 = Clock::now();
    auto none = (*source)->acquire_frame(300ms);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, Errc::Timeout) << none.error().message;
    EXPECT_GE(Clock::now() - t0, 300ms);

    // A waiting producer wakes when the slow consumer gives one back.
    std::promise<void> asking;
    auto waiter = std::async(std::launch::async, [&] {
        asking.set_value();
        const auto start = Clock::now();
        auto w = (*source)->acquire_frame(10s);
        return std::make_pair(w.has_value() ? Errc{} : w.error().code, Clock::now() - start);
    });
    asking.get_future().wait();
    ASSERT_TRUE(consumed.front().release());
    auto [code, waited] = waiter.get();
    EXPECT_EQ(code, Errc{}) << "acquire_frame must succeed once a frame is back";
    EXPECT_LT(waited, 5s) << "woken by the release, not by its timeout";
    EXPECT_TRUE((*source)->uses_free_frame_ring());
    EXPECT_EQ(c.connection().requests_sent(wire::MessageType::AcquireFrame), 0u)
        << "waiting on the free-frame ring, not asking the daemon again and again";
}

// Lazy release: a whole pool given back at once fits the consumer's ring (more slots than the
// pool has frames), costs the client no wait for space and at most one wake-up per half pool,
// and is in the ledger by the next request (ksimd takes releases before it answers).
TEST_F(KsimdDatapathTest, ReleasingTheWholePoolAtOnce_FitsTheRing_WakesKsimdRarely_AndReachesTheLedger) {
    constexpr std::uint32_t kFrames = 64;  // the daemon's default ring capacity
    start(kUserSourceSink);
    Client c = connect();
    commit({{kApp, kViewer}}, kViewer, proto::memory_type::kUser, kSmallFrame, kFrames);
    set(c, kApp, proto::PinState::Acquire);
    set(c, kViewer, proto::PinState::Acquire);
    auto source = c.open_stream(kApp);
    auto sink = c.open_stream(kViewer);
    ASSERT_TRUE(source && sink);
    set(c, kViewer, proto::PinState::Run);
    set(c, kApp, proto::PinState::Run);

    std::vector<FrameView> consumed;
    for (std::uint32_t i = 0; i < kFrames; ++i) {
        auto w = (*source)->acquire_frame(5s);
        ASSERT_TRUE(w) << "frame " << i << ": " << w.error().message;
        ASSERT_TRUE(w->submit(16));
        auto f = (*sink)->next_frame(5s);
        ASSERT_TRUE(f) << f.error().message;
        consumed.push_back(std::move(*f));
    }
    ASSERT_EQ(outstanding(c), kFrames);      // every frame of the pool is in the viewer's hands
    constexpr std::uint32_t kFreeDepth = 4;  // the source's free-frame ring, topped up from returns
    // A few releases, well under half the pool: all quiet, ksimd is not woken...
    constexpr std::uint32_t kFew = 10;
    auto before = (*sink)->ring_syscalls().to_daemon;
    for (std::uint32_t i = 0; i < kFew; ++i) ASSERT_TRUE(consumed[i].release());
    EXPECT_EQ(((*sink)->ring_syscalls().to_daemon - before).producer_wakes, 0u)
        << "a quiet release woke ksimd";
    // ...yet the next request sees them (no polling: ksimd takes releases before it answers;
    // its drain thread would only look 10 ms later).
    EXPECT_EQ(outstanding(c), kFrames - kFew + kFreeDepth);
    // The rest at once.
    before = (*sink)->ring_syscalls().to_daemon;
    for (std::uint32_t i = kFew; i < kFrames; ++i) ASSERT_TRUE(consumed[i].release());
    const auto spent = (*sink)->ring_syscalls().to_daemon - before;
    EXPECT_EQ(spent.producer_sleeps, 0u) << "a release waited for space on its ring";
    EXPECT_LE(spent.producer_wakes, 2u) << "releases are quiet but for one per half pool";
    EXPECT_EQ(outstanding(c), kFreeDepth);
    for (const auto& p : {kApp, kViewer}) set(c, p, proto::PinState::Stop);
    EXPECT_EQ(outstanding(c), 0u);
}

}  // namespace
}  // namespace ksim::client
