// ksimd's per-frame cost on the user source -> ksimd -> user sink route: what the drain threads do
// per frame (Kernel::submit_frame, which hands the frame to the sink's ring, and
// Kernel::release_frame when the sink gives it back), in-process, without sockets or rings.
// Fake delivery targets stand in for the client's rings (fixed arrays: they cost next to nothing).
//
// Baseline, measured in the same run: the least a frame hand-off through a daemon must do. Submit
// and release are two separate calls from two drain threads, so each takes the kernel's lock once,
// checks the descriptor against a flat who-holds-what table (the daemon never trusts a client's
// descriptor) and moves one descriptor through a ring (submit: into the sink's ring; release:
// back into the source's free-frame ring). Two lock/unlock pairs, two table checks, two ring
// push/pop pairs; the ratio Kernel / baseline is what the kernel's bookkeeping costs on top.
#include <benchmark/benchmark.h>

#include <array>
#include <boost/circular_buffer.hpp>
#include <mutex>

#include "ksim/daemon/kernel.hpp"
#include "null_kernel_peers.hpp"

namespace {

using namespace ksim;
using namespace ksim::daemon;
using bench::NullEvents;
using bench::NullPort;

constexpr ClientId kClient = 7;
constexpr std::uint32_t kFrames = 4;
constexpr std::uint32_t kFrameSize = 4096;

// A client's descriptor ring, in plain memory: a fixed-capacity boost::circular_buffer, which
// never allocates after construction (push refuses when full, as a shared-memory ring does).
using DescriptorRing = boost::circular_buffer<shm::FrameDescriptor>;
bool push(DescriptorRing& ring, const shm::FrameDescriptor& f) {
    if (ring.full()) return false;
    ring.push_back(f);
    return true;
}
bool pop(DescriptorRing& ring, shm::FrameDescriptor& f) {
    if (ring.empty()) return false;
    f = ring.front();
    ring.pop_front();
    return true;
}

// The sink client's to-client ring.
struct SinkTarget : DeliveryTarget {
    bool try_deliver(const shm::FrameDescriptor& f, const proto::StreamHeader&) override {
        return push(ring, f);
    }
    void frame_freed() override {}
    DescriptorRing ring{kFrames};
};

// The source client's free-frame ring, kept topped up by the kernel (as ksimd's stream rings).
struct SourceTarget : DeliveryTarget {
    bool try_deliver(const shm::FrameDescriptor&, const proto::StreamHeader&) override { return false; }
    void frame_freed() override {}
    std::uint32_t free_frame_room() override { return static_cast<std::uint32_t>(kFrames - ring.size()); }
    bool post_free_frame(const shm::FrameDescriptor& f) override { return push(ring, f); }
    std::vector<shm::FrameDescriptor> retract_free_frames() override {
        std::vector<shm::FrameDescriptor> back;
        for (shm::FrameDescriptor f; pop(ring, f);) back.push_back(f);
        return back;
    }
    DescriptorRing ring{kFrames};
};

proto::Topology user_to_user() {
    const auto framing =
        proto::make_simple_framing(proto::memory_type::kUser, proto::RequirementFlags::PreferencesOnly,
                                   kFrames, 0, kFrameSize, kFrameSize);
    proto::Topology t;
    t.name = "user-to-user";
    proto::FilterDescriptor app;
    app.id = "app";
    app.kind = proto::FilterKind::UserSource;
    app.pins.push_back(proto::PinDescriptor{});
    app.pins.back().id = "output";
    app.pins.back().direction = proto::PinDirection::Out;
    app.pins.back().hosting = proto::PinHosting::User;
    app.pins.back().framing = framing;
    proto::FilterDescriptor viewer;
    viewer.id = "viewer";
    viewer.kind = proto::FilterKind::UserSink;
    viewer.pins.push_back(proto::PinDescriptor{});
    viewer.pins.back().id = "input";
    viewer.pins.back().direction = proto::PinDirection::In;
    viewer.pins.back().hosting = proto::PinHosting::User;
    viewer.pins.back().framing = framing;
    t.filters = {app, viewer};
    t.connections.push_back(proto::Connection{{"app", "output"}, {"viewer", "input"}, ""});
    return t;
}

void BM_Baseline_TwoLockedDescriptorHandOffs(benchmark::State& state) {
    std::mutex mu;
    std::array<std::uint64_t, kFrames> holder{};  // who holds each frame (0 = free)
    DescriptorRing free_ring{kFrames}, sink_ring{kFrames};
    for (std::uint32_t i = 0; i < kFrames; ++i) (void)push(free_ring, shm::FrameDescriptor{1, i, 1, 0});
    holder.fill(kClient);
    std::uint64_t frames = 0;
    for (auto _ : state) {
        shm::FrameDescriptor f;
        (void)pop(free_ring, f);
        {  // submit: validate, hand to the sink's ring
            std::lock_guard lock(mu);
            if (f.index >= kFrames || holder[f.index] != kClient) state.SkipWithError("bad descriptor");
            holder[f.index] = kClient + 1;
            (void)push(sink_ring, f);
        }
        (void)pop(sink_ring, f);
        {  // release: validate, back into the source's free-frame ring
            std::lock_guard lock(mu);
            if (f.index >= kFrames || holder[f.index] != kClient + 1) state.SkipWithError("bad descriptor");
            holder[f.index] = kClient;
            (void)push(free_ring, f);
        }
        benchmark::DoNotOptimize(f);
        ++frames;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(frames));
}

void BM_Kernel_UserSourceSubmitToUserSinkRelease(benchmark::State& state) {
    NullEvents events;
    NullPort port;
    KernelOptions o;
    o.shm_prefix = "ksim-bench-user-frame";
    o.clock = std::make_shared<FakeClock>(0);
    o.streaming_threads = false;
    auto kernel = std::move(Kernel::create(user_to_user(), o, events, port).value());
    const PinRef app{"app", "output"}, viewer{"viewer", "input"};
    AllocatorCommit c;
    c.connections = {{app, viewer}};
    c.provider = viewer;
    c.memory_type = proto::memory_type::kUser;
    c.frame_size = kFrameSize;
    c.frames = kFrames;
    c.alignment_mask = 7;
    auto source = std::make_shared<SourceTarget>();
    auto sink = std::make_shared<SinkTarget>();
    bool ok = kernel->commit(c).has_value();
    ok = ok && kernel->set_state(viewer, proto::PinState::Acquire, kClient).has_value();
    ok = ok && kernel->set_state(app, proto::PinState::Acquire, kClient).has_value();
    ok = ok && kernel->open_stream(kClient, app).has_value() &&
         kernel->open_stream(kClient, viewer).has_value();
    ok = ok && kernel->attach_delivery(kClient, viewer, sink).has_value();
    ok = ok && kernel->attach_delivery(kClient, app, source).has_value();
    ok = ok && kernel->set_state(viewer, proto::PinState::Run, kClient).has_value();
    ok = ok && kernel->set_state(app, proto::PinState::Run, kClient).has_value();
    if (!ok) {
        state.SkipWithError("setting up the user source -> user sink route failed");
        return;
    }
    proto::StreamHeader header{};
    header.data_used = kFrameSize;
    std::uint64_t frames = 0;
    for (auto _ : state) {
        shm::FrameDescriptor f;
        if (!pop(source->ring, f)) {
            state.SkipWithError("the free-frame ring ran dry");
            break;
        }
        ++header.picture_number;
        if (!kernel->submit_frame(kClient, app, f, header)) state.SkipWithError("submit refused");
        if (!pop(sink->ring, f)) {
            state.SkipWithError("nothing delivered to the sink");
            break;
        }
        if (!kernel->release_frame(kClient, f)) state.SkipWithError("release refused");
        ++frames;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(frames));
    kernel->shutdown();
}

}  // namespace

BENCHMARK(BM_Baseline_TwoLockedDescriptorHandOffs);
BENCHMARK(BM_Kernel_UserSourceSubmitToUserSinkRelease);
