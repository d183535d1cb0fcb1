// The kernel side of a client source's free-frame ring (DeliveryTarget::post_free_frame and
// friends): posted frames are held by the client in the ledger, the ring is topped up after a
// submit and a free, never beyond its room, and STOP takes back what was not popped.
#include <deque>

#include "kernel_fixture.hpp"

namespace ksim::daemon::testing {
namespace {

using proto::PinState;

// A free-frame ring of `depth` slots, kept in memory: the test pops from `ring` as a client would.
struct FakeFreeRing : DeliveryTarget {
    explicit FakeFreeRing(std::uint32_t depth) : depth(depth) {}
    bool try_deliver(const shm::FrameDescriptor&, const proto::StreamHeader&) override { return true; }
    void frame_freed() override {}
    std::uint32_t free_frame_room() override { return depth - static_cast<std::uint32_t>(ring.size()); }
    bool post_free_frame(const shm::FrameDescriptor& f) override {
        ring.push_back(f);
        ++posted;
        return true;
    }
    std::vector<shm::FrameDescriptor> retract_free_frames() override {
        std::vector<shm::FrameDescriptor> back(ring.begin(), ring.end());
        ring.clear();
        return back;
    }
    shm::FrameDescriptor pop() {
        auto f = ring.front();
        ring.pop_front();
        return f;
    }
    std::uint32_t depth;
    std::deque<shm::FrameDescriptor> ring;
    int posted = 0;
};

class FreeFramesTest : public KernelTest {
protected:
    // app -> overlay (in place, one pipe of `frames`) -> viewer (its own pipe), all in RUN.
    void start(std::uint32_t frames) {
        make(user_inplace_user());
        auto commit = [&](std::vector<std::pair<PinRef, PinRef>> connections, PinRef provider) {
            auto r =
                kernel->commit(user_pipe_commit(std::move(connections), std::move(provider), 1024, frames));
            ASSERT_TRUE(r.has_value()) << r.error().message;
        };
        commit({{app, overlay_in}}, app);
        commit({{overlay_out, viewer}}, viewer);
        set(viewer, PinState::Acquire, kClient);
        set(app, PinState::Acquire, kClient);
        ASSERT_TRUE(kernel->open_stream(kClient, app).has_value());
        ASSERT_TRUE(kernel->open_stream(kClient, viewer).has_value());
        for (const PinRef& k : {viewer, overlay_out, overlay_in}) set(k, PinState::Run);
        set(app, PinState::Run, kClient);
    }
    std::size_t held_in_app_pool() {
        auto st = kernel->allocator_status(app);
        EXPECT_TRUE(st.has_value());
        return st ? st->allocated_frames : 0;
    }
};

TEST_F(FreeFramesTest, Attach_PostsUpToTheRoomAndRecordsTheFramesAsHeldByTheClient) {
    start(4);
    auto ring = std::make_shared<FakeFreeRing>(2);
    ASSERT_TRUE(kernel->attach_delivery(kClient, app, ring).has_value());
    EXPECT_EQ(ring->ring.size(), 2u);
    EXPECT_EQ(held_in_app_pool(), 2u);
    for (const auto& e : kernel->ledger()) EXPECT_EQ(e.owner, kClient);
    // A posted frame is the client's: it may submit it like an acquired one.
    proto::StreamHeader h;
    h.data_used = 8;
    ASSERT_TRUE(kernel->submit_frame(kClient, app, ring->pop(), h).has_value());
    // The copy into the viewer's pipe freed it at once; the ring is full again, never beyond.
    EXPECT_EQ(ring->ring.size(), 2u);
    EXPECT_EQ(ring->posted, 3);
    EXPECT_EQ(held_in_app_pool(), 2u);
}

TEST_F(FreeFramesTest, AnExhaustedPool_PostsTheNextFrameThatComesBack) {
    start(2);
    auto ring = std::make_shared<FakeFreeRing>(4);  // more room than the pool has frames
    ASSERT_TRUE(kernel->attach_delivery(kClient, app, ring).has_value());
    ASSERT_EQ(ring->ring.size(), 2u) << "only what the pool has";
    const auto a = ring->pop();
    auto extra = kernel->acquire_frame(kClient, app);
    ASSERT_FALSE(extra.has_value());
    EXPECT_EQ(extra.error().code, Errc::NoMoreEntries);
    // The client hands one back unused: it lands in the ring, not in the pool.
    ASSERT_TRUE(kernel->release_frame(kClient, a).has_value());
    EXPECT_EQ(ring->ring.size(), 2u);
    EXPECT_EQ(held_in_app_pool(), 2u);
}

TEST_F(FreeFramesTest, Stop_TakesBackTheUnpoppedFramesAndLeavesThePoolWhole) {
    start(4);
    auto ring = std::make_shared<FakeFreeRing>(3);
    ASSERT_TRUE(kernel->attach_delivery(kClient, app, ring).has_value());
    const auto popped = ring->pop();  // in the client's hand at STOP
    set(app, PinState::Stop, kClient);
    EXPECT_TRUE(ring->ring.empty());
    // overlay.input keeps the pipe alive: only the popped frame is still out, held by the client.
    EXPECT_EQ(held_in_app_pool(), 1u);
    ASSERT_TRUE(kernel->release_frame(kClient, popped).has_value());
    EXPECT_EQ(held_in_app_pool(), 0u);
    EXPECT_TRUE(ring->ring.empty()) << "nothing is posted to a source in STOP";
}

TEST_F(FreeFramesTest, ClientGone_ReclaimsPostedFramesWithoutPostingThemAgain) {
    start(4);
    auto ring = std::make_shared<FakeFreeRing>(3);
    ASSERT_TRUE(kernel->attach_delivery(kClient, app, ring).has_value());
    (void)ring->pop();
    const int posted = ring->posted;
    kernel->client_gone(kClient);
    EXPECT_TRUE(kernel->ledger().empty());
    EXPECT_EQ(ring->posted, posted) << "the reclaimed frames must not go back into the dead client's ring";
}

}  // namespace
}  // namespace ksim::daemon::testing
