// Client-hosted pins around a kernel transform, and the per-stream delivery target: an in-place
// transform whose two connections landed in different pipes copies into the output pipe's
// frames; one pipe keeps the frame where it is; the built-in copy transform's input frames wait
// for an output frame; an attached target gets the hand-offs directly and hears about frames
// going back to a client source's pool.
#include <algorithm>

#include "kernel_fixture.hpp"
#include "ksim/shm/mapping.hpp"

namespace ksim::daemon::testing {
namespace {

using proto::PinState;

constexpr std::uint32_t kFrameSize = 1024;

class UserTransformTest : public KernelTest {
protected:
    AllocatorCommit commit_for(std::vector<std::pair<PinRef, PinRef>> connections, PinRef provider) {
        return user_pipe_commit(std::move(connections), std::move(provider), kFrameSize, 2);
    }
    // Commits the two pipes, brings every pin to RUN and opens both client streams.
    void start() {
        make(user_inplace_user());
        ASSERT_TRUE(kernel->commit(commit_for({{app, overlay_in}}, app)).has_value());
        ASSERT_TRUE(kernel->commit(commit_for({{overlay_out, viewer}}, viewer)).has_value());
        set(viewer, PinState::Acquire, kClient);
        set(app, PinState::Acquire, kClient);
        auto in = kernel->open_stream(kClient, app);
        auto out = kernel->open_stream(kClient, viewer);
        ASSERT_TRUE(in.has_value()) << in.error().message;
        ASSERT_TRUE(out.has_value()) << out.error().message;
        source_grant = std::move(*in);
        sink_grant = std::move(*out);
        for (const PinRef& k : {viewer, overlay_out, overlay_in}) set(k, PinState::Run);
        set(app, PinState::Run, kClient);
    }
    // The client's view of one granted frame.
    template <shm::Access A>
    static auto frame_of(const shm::Mapping<A>& map, const RegionGrant& g, std::uint32_t index) {
        return map.slice(g.frame_offsets.at(index), kFrameSize);
    }
    std::size_t held() { return kernel->ledger().size(); }
    // The client source submits frame `i`: picture number i, 100 + i bytes used.
    void submit(int i) {
        auto f = kernel->acquire_frame(kClient, app);
        ASSERT_TRUE(f.has_value()) << "frame " << i << ": " << f.error().message;
        proto::StreamHeader h;
        h.data_used = 100 + i;
        h.picture_number = i;
        ASSERT_TRUE(kernel->submit_frame(kClient, app, *f, h).has_value());
    }

    StreamGrant source_grant, sink_grant;
};

TEST_F(UserTransformTest, InPlaceTransformAcrossTwoPipes_CopiesIntoTheOutputPipesFramesIntact) {
    start();
    const RegionGrant& src = source_grant.regions.at(0);
    const RegionGrant& dst = sink_grant.regions.at(0);
    ASSERT_NE(src.region_id, dst.region_id) << "two commits must give two pools";
    auto wfd = src.region->share(shm::Access::ReadWrite);
    auto rfd = dst.region->share(shm::Access::ReadOnly);
    ASSERT_TRUE(wfd && rfd);
    auto wmap = shm::WritableMapping::map_fd(wfd->get(), src.size);
    auto rmap = shm::ReadOnlyMapping::map_fd(rfd->get(), dst.size);
    ASSERT_TRUE(wmap && rmap);

    for (int i = 1; i <= 5; ++i) {
        auto f = kernel->acquire_frame(kClient, app);
        ASSERT_TRUE(f.has_value()) << "frame " << i << ": " << f.error().message;
        auto bytes = frame_of(*wmap, src, f->index);
        for (std::size_t b = 0; b < bytes.size(); ++b) bytes[b] = static_cast<std::byte>((b + i) & 0xFF);
        proto::StreamHeader h;
        h.data_used = 100 + i;
        h.picture_number = i;
        ASSERT_TRUE(kernel->submit_frame(kClient, app, *f, h).has_value());

        ASSERT_EQ(port.delivered.size(), static_cast<std::size_t>(i));
        const Delivered d = port.delivered.back();
        EXPECT_EQ(d.pin, viewer);
        EXPECT_EQ(d.frame.region, dst.region_id) << "the viewer must get a frame of its own pipe's pool";
        EXPECT_EQ(d.header.picture_number, i);
        ASSERT_EQ(d.header.data_used, 100u + i);
        auto seen = frame_of(*rmap, dst, d.frame.index);
        for (std::size_t b = 0; b < d.header.data_used; ++b)
            ASSERT_EQ(seen[b], static_cast<std::byte>(~((b + i) & 0xFF) & 0xFF))
                << "frame " << i << " byte " << b;
        // The source's frame went home at once (the copy is done), the copy is the client's.
        EXPECT_EQ(held(), 1u);
        ASSERT_TRUE(kernel->release_frame(kClient, d.frame).has_value());
        EXPECT_EQ(held(), 0u);
    }
    EXPECT_EQ(stats(overlay_out).completed, 5u);
    EXPECT_EQ(stats(viewer).dropped, 0u);
    for (const PinRef& k : {app, overlay_in, overlay_out, viewer})
        set(k, PinState::Stop, k == app || k == viewer ? kClient : kDaemon);
    EXPECT_TRUE(kernel->ledger().empty());
    for (const PinRef& k : {app, viewer}) {
        auto st = kernel->allocator_status(k);
        ASSERT_TRUE(st.has_value());
        EXPECT_EQ(st->allocated_frames, 0u) << k.to_string();
    }
}

TEST_F(UserTransformTest, CopyWithTheOutputPoolExhausted_InputFrameWaitsAndIsCopiedWhenAFrameReturns) {
    // Two pools of two frames; the viewer keeps what it gets. The third frame cannot be copied
    // at once: it waits in the transform (not dropped) and goes on when the viewer releases one.
    start();
    submit(1);
    submit(2);
    ASSERT_EQ(port.delivered.size(), 2u);
    submit(3);
    EXPECT_EQ(port.delivered.size(), 2u) << "no output frame is free: the copy must wait";
    EXPECT_EQ(stats(overlay_out).dropped, 0u);
    EXPECT_EQ(held(), 3u);  // two copies with the viewer, the waiting input frame in the transform

    ASSERT_TRUE(kernel->release_frame(kClient, port.delivered.front().frame).has_value());
    ASSERT_EQ(port.delivered.size(), 3u) << "the released frame must carry the waiting copy";
    EXPECT_EQ(port.delivered.back().header.picture_number, 3);
    EXPECT_EQ(port.delivered.back().header.data_used, 103u);
    EXPECT_EQ(stats(overlay_out).dropped, 0u);
    EXPECT_EQ(stats(overlay_in).dropped, 0u);

    // A frame still waiting when the transform stops is given back (and counted) at once.
    submit(4);
    EXPECT_EQ(port.delivered.size(), 3u);
    set(overlay_in, PinState::Stop);
    EXPECT_EQ(stats(overlay_in).dropped, 1u);
    EXPECT_FALSE(events.of(KernelEvent::Type::FrameDropped).empty());
    EXPECT_EQ(held(), 2u);  // only the viewer's two copies
    for (std::size_t i = 1; i < port.delivered.size(); ++i)
        ASSERT_TRUE(kernel->release_frame(kClient, port.delivered[i].frame).has_value());
    for (const PinRef& k : {app, overlay_out, viewer})
        set(k, PinState::Stop, k == overlay_out ? kDaemon : kClient);
    EXPECT_TRUE(kernel->ledger().empty());
}

TEST_F(UserTransformTest, CopyTransformWithTheOutputPoolExhausted_InputFrameWaitsInItsQueueAndIsCopiedLater) {
    // The built-in copy transform between two client pools of two frames; the viewer keeps what
    // it gets. The third frame finds no output frame: it waits in the input pin's queue (not in
    // the class driver, not dropped) and is copied when the viewer releases one.
    const PinRef in{"converter", "input"}, out{"converter", "output"};
    make(user_copy_user());
    ASSERT_TRUE(kernel->commit(commit_for({{app, in}}, app)).has_value());
    ASSERT_TRUE(kernel->commit(commit_for({{out, viewer}}, viewer)).has_value());
    set(viewer, PinState::Acquire, kClient);
    set(app, PinState::Acquire, kClient);
    ASSERT_TRUE(kernel->open_stream(kClient, app).has_value());
    ASSERT_TRUE(kernel->open_stream(kClient, viewer).has_value());
    for (const PinRef& k : {viewer, out, in}) set(k, PinState::Run);
    set(app, PinState::Run, kClient);
    submit(1);
    submit(2);
    ASSERT_EQ(port.delivered.size(), 2u);
    submit(3);
    EXPECT_EQ(port.delivered.size(), 2u) << "no output frame is free: the copy must wait";
    EXPECT_EQ(stats(in).in_flight, 1u) << "the waiting frame stays out of the input pool";
    EXPECT_EQ(stats(in).dropped, 0u);

    ASSERT_TRUE(kernel->release_frame(kClient, port.delivered.front().frame).has_value());
    ASSERT_EQ(port.delivered.size(), 3u) << "the released frame must carry the waiting copy";
    EXPECT_EQ(port.delivered.back().header.picture_number, 3);
    EXPECT_EQ(port.delivered.back().header.data_used, 103u);  // no pictures: the bytes as they are
    EXPECT_EQ(stats(in).in_flight, 0u);
    EXPECT_EQ(stats(out).dropped, 0u);

    // A frame still waiting when the input pin stops goes back with the queue's flush.
    submit(4);
    EXPECT_EQ(stats(in).in_flight, 1u);
    set(in, PinState::Stop);
    EXPECT_EQ(stats(in).in_flight, 0u);
    EXPECT_EQ(held(), 2u);  // only the viewer's two copies
    for (std::size_t i = 1; i < port.delivered.size(); ++i)
        ASSERT_TRUE(kernel->release_frame(kClient, port.delivered[i].frame).has_value());
    for (const PinRef& k : {app, out, viewer}) set(k, PinState::Stop, k == out ? kDaemon : kClient);
    EXPECT_TRUE(kernel->ledger().empty());
}

// A user-mode connection always ends a pipe (KsProxy pipes only kernel pins), so a commit that
// puts both user-mode connections of an in-place user transform into one pool is refused with
// the engine's rule: it spans two pipes.
TEST_F(UserTransformTest, InPlaceTransformAsOnePipe_IsRefusedBecauseUserConnectionsEndAPipe) {
    make(user_inplace_user());
    auto r = kernel->commit(commit_for({{app, overlay_in}, {overlay_out, viewer}}, viewer));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::NegotiationFailed);
    EXPECT_TRUE(r.error().message.starts_with("commit.spans-pipes:")) << r.error().message;
}

struct FakeTarget : DeliveryTarget {
    bool try_deliver(const shm::FrameDescriptor& f, const proto::StreamHeader& h) override {
        if (!accept) return false;
        frames.push_back(f);
        headers.push_back(h);
        return true;
    }
    void frame_freed() override { ++freed; }
    bool accept = true;
    std::vector<shm::FrameDescriptor> frames;
    std::vector<proto::StreamHeader> headers;
    int freed = 0;
};

TEST_F(UserTransformTest, AttachedTarget_GetsTheHandOffsInsteadOfThePortAndHearsOfFreedSourceFrames) {
    start();
    auto sink_target = std::make_shared<FakeTarget>();
    auto source_target = std::make_shared<FakeTarget>();
    ASSERT_TRUE(kernel->attach_delivery(kClient, viewer, sink_target).has_value());
    ASSERT_TRUE(kernel->attach_delivery(kClient, app, source_target).has_value());
    EXPECT_EQ(kernel->attach_delivery(kClient + 1, viewer, sink_target).error().code, Errc::PermissionDenied);
    EXPECT_EQ(kernel->attach_delivery(kClient, overlay_in, sink_target).error().code, Errc::PermissionDenied);

    auto f = kernel->acquire_frame(kClient, app);
    ASSERT_TRUE(f.has_value());
    proto::StreamHeader h;
    h.data_used = 8;
    h.picture_number = 41;
    h.drop_count = 3;
    ASSERT_TRUE(kernel->submit_frame(kClient, app, *f, h).has_value());
    EXPECT_TRUE(port.delivered.empty()) << "an attached target replaces the port";
    ASSERT_EQ(sink_target->frames.size(), 1u);
    EXPECT_EQ(sink_target->headers[0].picture_number, 41);
    EXPECT_EQ(sink_target->headers[0].drop_count, 3);
    // The copy freed the source's frame: its client hears of it (acquire_frame waiters wake).
    EXPECT_GE(source_target->freed, 1);

    // A refused hand-off is a drop and the frame goes back to the viewer's pool.
    sink_target->accept = false;
    auto g = kernel->acquire_frame(kClient, app);
    ASSERT_TRUE(g.has_value());
    ASSERT_TRUE(kernel->submit_frame(kClient, app, *g, h).has_value());
    EXPECT_EQ(stats(viewer).dropped, 1u);
    EXPECT_EQ(held(), 1u);  // only the first, accepted frame
    kernel->client_gone(kClient);
    EXPECT_TRUE(kernel->ledger().empty());
}

}  // namespace
}  // namespace ksim::daemon::testing
