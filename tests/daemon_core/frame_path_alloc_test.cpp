// The daemon's per-frame path allocates nothing in steady state. This executable replaces the
// global operator new/delete with counting versions (its own target, so the hook touches no other
// test), runs frames through the in-process Kernel on each route a frame can take, warms up, and
// checks that 2N frames cost exactly as many allocations as N frames: any per-frame allocation
// (a map node per held frame, a vector per queued frame, a list node per clone) makes the
// second count larger.
#include <array>
#include <atomic>
#include <boost/circular_buffer.hpp>
#include <cstdlib>
#include <new>
#include <optional>
#include <vector>

#include "kernel_fixture.hpp"

namespace {
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

// GCC sees through the inlined replacement below (malloc) into a delete (free) and flags the pair
// as mismatched; here both sides are ours and match by construction.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

// Counting replacements of the replaceable global allocation functions. Only the count is new;
// memory still comes from malloc. The sized/aligned forms forward here or to aligned_alloc.
void* operator new(std::size_t size) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
    return ::operator new(size);
}
void* operator new(std::size_t size, std::align_val_t align) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    const auto a = static_cast<std::size_t>(align);
    if (void* p = std::aligned_alloc(a, (size + a - 1) / a * a)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t align) {
    return ::operator new(size, align);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}

namespace ksim::daemon::testing {
namespace {

using proto::PinHosting;
using proto::PinState;

constexpr int kWarmUp = 64;
constexpr int kFrames = 200;  // N; the second run is 2N

// A client's rings without storage that grows: fixed-capacity boost::circular_buffers (no
// allocation after construction), so the fakes themselves never allocate while frames flow
// (a std::vector here would be counted against the kernel). Full rings refuse, as shm rings do.
using FixedRing = boost::circular_buffer<shm::FrameDescriptor>;

std::optional<shm::FrameDescriptor> take(FixedRing& ring) {
    if (ring.empty()) return std::nullopt;
    const shm::FrameDescriptor f = ring.front();
    ring.pop_front();
    return f;
}

// The sink side of a client stream: frames delivered to its ring, popped and released by the test.
struct SinkRing : DeliveryTarget {
    bool try_deliver(const shm::FrameDescriptor& f, const proto::StreamHeader&) override {
        if (ring.full()) return false;
        ring.push_back(f);
        return true;
    }
    void frame_freed() override {}
    FixedRing ring{16};
};

// The source side: a free-frame ring the kernel keeps topped up (as ksimd's stream rings do).
struct SourceRing : DeliveryTarget {
    bool try_deliver(const shm::FrameDescriptor&, const proto::StreamHeader&) override { return false; }
    void frame_freed() override { ++freed; }
    std::uint32_t free_frame_room() override { return static_cast<std::uint32_t>(ring.reserve()); }
    bool post_free_frame(const shm::FrameDescriptor& f) override {
        if (ring.full()) return false;
        ring.push_back(f);
        return true;
    }
    std::vector<shm::FrameDescriptor> retract_free_frames() override {
        std::vector<shm::FrameDescriptor> back(ring.begin(), ring.end());
        ring.clear();
        return back;
    }
    FixedRing ring{4};
    std::uint64_t freed = 0;
};

class FramePathAllocTest : public KernelTest {
protected:
    // Runs `step` kWarmUp times, then N and 2N times; returns {allocations over N, over 2N}.
    template <typename Step>
    std::pair<std::uint64_t, std::uint64_t> count_allocations(Step step) {
        for (int i = 0; i < kWarmUp; ++i) step();
        const std::uint64_t before = g_allocations.load();
        for (int i = 0; i < kFrames; ++i) step();
        const std::uint64_t middle = g_allocations.load();
        for (int i = 0; i < 2 * kFrames; ++i) step();
        const std::uint64_t after = g_allocations.load();
        return {middle - before, after - middle};
    }
    // Pops every frame the sink's ring holds and releases it, as a client's consumer does.
    void release_all(SinkRing& sink_ring) {
        while (auto f = take(sink_ring.ring)) {
            auto r = kernel->release_frame(kClient, *f);
            ASSERT_TRUE(r.has_value()) << r.error().message;
        }
    }
};

TEST_F(FramePathAllocTest, CaptureToKernelSink_AllocatesNothingPerFrame) {
    const auto t = camera_to_sink(false, PinHosting::Kernel, 4);
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t, 4)).has_value());
    set(sink, PinState::Run);
    set(camera, PinState::Run);
    const auto [n, two_n] = count_allocations([&] { run_periods(1); });
    EXPECT_EQ(stats(sink).completed, static_cast<std::uint64_t>(kWarmUp + 3 * kFrames));
    EXPECT_EQ(stats(camera).dropped, 0u);
    EXPECT_EQ(two_n, n) << "allocations over " << kFrames << " frames: " << n << ", over " << 2 * kFrames
                        << ": " << two_n;
}

TEST_F(FramePathAllocTest, CaptureToUserSinkWithDeliveryAndRelease_AllocatesNothingPerFrame) {
    const auto t = camera_to_sink(false, PinHosting::User, 4);
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t, 4)).has_value());
    set(sink, PinState::Acquire, kClient);
    ASSERT_TRUE(kernel->open_stream(kClient, sink).has_value());
    auto sink_ring = std::make_shared<SinkRing>();
    ASSERT_TRUE(kernel->attach_delivery(kClient, sink, sink_ring).has_value());
    set(sink, PinState::Run, kClient);
    set(camera, PinState::Run);
    const auto [n, two_n] = count_allocations([&] {
        run_periods(1);
        release_all(*sink_ring);
    });
    EXPECT_EQ(stats(sink).completed, static_cast<std::uint64_t>(kWarmUp + 3 * kFrames));
    EXPECT_EQ(stats(camera).dropped, 0u);
    EXPECT_EQ(two_n, n) << "allocations over " << kFrames << " frames: " << n << ", over " << 2 * kFrames
                        << ": " << two_n;
    EXPECT_TRUE(port.delivered.empty()) << "every hand-off went through the attached ring";
}

class UserSourceCopyAllocTest : public FramePathAllocTest {
protected:
    // Through the overlay: app (user source) -> overlay -> viewer (user sink), one pipe per
    // user-mode connection, so the overlay copies each frame into the viewer's pool. Direct:
    // app -> viewer, one pool for the whole route. Both client streams attached.
    enum class Route { ThroughOverlay, Direct };
    void start(Route route = Route::ThroughOverlay) {
        const bool direct = route == Route::Direct;
        make(direct ? user_source_user_sink() : user_inplace_user());
        auto commit = [&](std::vector<std::pair<PinRef, PinRef>> connections, PinRef provider) {
            auto r = kernel->commit(user_pipe_commit(std::move(connections), std::move(provider), 1024, 4));
            ASSERT_TRUE(r.has_value()) << r.error().message;
        };
        if (direct) {
            commit({{app, viewer}}, app);
        } else {
            commit({{app, overlay_in}}, app);
            commit({{overlay_out, viewer}}, viewer);
        }
        set(viewer, PinState::Acquire, kClient);
        set(app, PinState::Acquire, kClient);
        ASSERT_TRUE(kernel->open_stream(kClient, app).has_value());
        ASSERT_TRUE(kernel->open_stream(kClient, viewer).has_value());
        ASSERT_TRUE(kernel->attach_delivery(kClient, viewer, sink_ring).has_value());
        set(viewer, PinState::Run);  // downstream first
        if (!direct)
            for (const PinRef& k : {overlay_out, overlay_in}) set(k, PinState::Run);
        set(app, PinState::Run, kClient);
    }
    void submit(const shm::FrameDescriptor& f) {
        header.data_used = 512;
        ++header.picture_number;
        auto r = kernel->submit_frame(kClient, app, f, header);
        ASSERT_TRUE(r.has_value()) << r.error().message;
    }
    std::shared_ptr<SinkRing> sink_ring = std::make_shared<SinkRing>();
    proto::StreamHeader header{};
};

TEST_F(UserSourceCopyAllocTest, AcquireSubmitCopyDeliverRelease_AllocatesNothingPerFrame) {
    start();
    const auto [n, two_n] = count_allocations([&] {
        auto f = kernel->acquire_frame(kClient, app);
        ASSERT_TRUE(f.has_value()) << f.error().message;
        submit(*f);
        release_all(*sink_ring);
    });
    EXPECT_EQ(stats(viewer).completed, static_cast<std::uint64_t>(kWarmUp + 3 * kFrames));
    EXPECT_EQ(stats(viewer).dropped, 0u);
    EXPECT_EQ(two_n, n) << "allocations over " << kFrames << " frames: " << n << ", over " << 2 * kFrames
                        << ": " << two_n;
    EXPECT_TRUE(kernel->ledger().empty());
}

TEST_F(UserSourceCopyAllocTest, FreeFrameRingSubmitCopyDeliverRelease_AllocatesNothingPerFrame) {
    auto source_ring = std::make_shared<SourceRing>();
    start();
    ASSERT_TRUE(kernel->attach_delivery(kClient, app, source_ring).has_value());
    const auto [n, two_n] = count_allocations([&] {
        const auto f = take(source_ring->ring);
        ASSERT_TRUE(f) << "the kernel keeps the free-frame ring topped up";
        submit(*f);
        release_all(*sink_ring);
    });
    EXPECT_EQ(stats(viewer).completed, static_cast<std::uint64_t>(kWarmUp + 3 * kFrames));
    EXPECT_EQ(two_n, n) << "allocations over " << kFrames << " frames: " << n << ", over " << 2 * kFrames
                        << ": " << two_n;
    EXPECT_GE(source_ring->freed, static_cast<std::uint64_t>(kWarmUp + 3 * kFrames));
}

// One pool for the whole route and a free-frame ring as deep as the pool: after each submit every
// frame is out (in the ring or at the sink), so topping the ring up finds the pool empty.
TEST_F(UserSourceCopyAllocTest, FreeFrameRingWithEveryFrameOut_AllocatesNothingPerFrame) {
    auto source_ring = std::make_shared<SourceRing>();
    start(Route::Direct);
    ASSERT_TRUE(kernel->attach_delivery(kClient, app, source_ring).has_value());
    const auto [n, two_n] = count_allocations([&] {
        const auto f = take(source_ring->ring);
        ASSERT_TRUE(f) << "the kernel keeps the free-frame ring topped up";
        submit(*f);
        ASSERT_EQ(source_ring->ring.size(), 3u) << "the frame at the sink cannot be posted";
        release_all(*sink_ring);
    });
    EXPECT_EQ(stats(viewer).completed, static_cast<std::uint64_t>(kWarmUp + 3 * kFrames));
    EXPECT_EQ(two_n, n) << "allocations over " << kFrames << " frames: " << n << ", over " << 2 * kFrames
                        << ": " << two_n;
}

}  // namespace
}  // namespace ksim::daemon::testing
