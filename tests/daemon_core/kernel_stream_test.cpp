// Frames through the in-process Kernel: capture -> kernel sink / in-place chain / user pins,
// STOP returning frames, drop accounting, stream headers, client reclaim, descriptor checks.
#include "kernel_fixture.hpp"
#include "ksim/daemon/content.hpp"
#include "ksim/daemon/hwsim.hpp"
#include "ksim/shm/mapping.hpp"

namespace ksim::daemon::testing {
namespace {

using proto::PinHosting;
using proto::PinState;
using proto::StreamHeaderOptions;

class KernelStreamTest : public KernelTest {
protected:
    // camera -> user sink, committed, client 7 hosting the sink, both pins in RUN.
    void start_user_sink(std::uint32_t frames = 2) {
        const auto t = camera_to_sink(false, PinHosting::User, frames);
        make(t);
        ASSERT_TRUE(kernel->commit(default_commit(t, frames)).has_value());
        set(sink, PinState::Acquire, kClient);
        auto grant = kernel->open_stream(kClient, sink);
        ASSERT_TRUE(grant.has_value()) << grant.error().message;
        set(sink, PinState::Run, kClient);
        set(camera, PinState::Run);
    }
    std::size_t held_by(ClientId c) {
        std::size_t n = 0;
        for (const auto& e : kernel->ledger()) n += e.owner == c;
        return n;
    }
};

TEST_F(KernelStreamTest, Kernel_CaptureToKernelSink_DeliversOneFramePerPeriodInOrder) {
    const auto t = camera_to_sink(false, PinHosting::Kernel);
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t)).has_value());
    set(sink, PinState::Run);
    set(camera, PinState::Run);
    run_periods(10);
    EXPECT_EQ(stats(camera).completed, 10u);
    EXPECT_EQ(stats(camera).dropped, 0u);
    EXPECT_EQ(stats(sink).completed, 10u);
    EXPECT_EQ(stats(sink).check_failures, 0u);  // frame numbers strictly increasing, data present
}

TEST_F(KernelStreamTest, Kernel_LateTimerWakeUp_RunsEveryMissedPeriodWithoutDrift) {
    const auto t = camera_to_sink(false, PinHosting::Kernel);
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t)).has_value());
    set(sink, PinState::Run);
    set(camera, PinState::Run);
    clock->advance(kPeriod * 7 + kPeriod / 2);
    kernel->advance_time();
    // Two frames are queued; periods that found no buffer are drops, the rest were filled.
    EXPECT_EQ(stats(camera).completed + stats(camera).dropped, 7u);
    clock->advance(kPeriod - kPeriod / 2 - 1);  // one tick short of the 8th deadline
    kernel->advance_time();
    EXPECT_EQ(stats(camera).completed + stats(camera).dropped, 7u);
    clock->advance(1);  // exactly start + 8 periods
    kernel->advance_time();
    EXPECT_EQ(stats(camera).completed + stats(camera).dropped, 8u);
}

TEST_F(KernelStreamTest, Kernel_UserSinkThatNeverReturnsFrames_GetsThePoolThenDropsAreCounted) {
    start_user_sink(2);
    run_periods(10);
    ASSERT_EQ(port.delivered.size(), 2u);
    EXPECT_EQ(stats(camera).completed, 2u);
    EXPECT_EQ(stats(camera).dropped, 8u);
    EXPECT_FALSE(events.of(KernelEvent::Type::FrameDropped).empty());
    EXPECT_EQ(held_by(kClient), 2u);
}

TEST_F(KernelStreamTest, Kernel_FramesBeyondAFullScatterGatherTable_PendUntilAnInterruptFreesRoom) {
    // The default allocator maps a frame as one S/G entry, so 130 frames overfill the 128-entry
    // table: Process programs 128 and pends. The client keeps every frame, so no arrival runs
    // Process again; only the interrupts that complete frames may (avshws: KsPinAttemptProcessing
    // from CompleteMappings when I/O pended). Without that, the last two periods would be drops.
    constexpr std::uint32_t kFrames = HardwareSimulation::kMaxMappings + 2;
    start_user_sink(kFrames);
    run_periods(static_cast<int>(kFrames));
    EXPECT_EQ(stats(camera).completed, kFrames);
    EXPECT_EQ(stats(camera).dropped, 0u);
    EXPECT_EQ(held_by(kClient), kFrames);
    run_periods(1);  // and then the pool is empty: a drop, not a partial fill
    EXPECT_EQ(stats(camera).dropped, 1u);
}

TEST_F(KernelStreamTest, Kernel_StreamHeaders_CarryTimeDurationFrameNumberAndFlags) {
    start_user_sink(2);
    run_periods(2);
    ASSERT_EQ(port.delivered.size(), 2u);
    for (int i = 0; i < 2; ++i) {
        const proto::StreamHeader& h = port.delivered[i].header;
        EXPECT_EQ(h.picture_number, i + 1);
        EXPECT_EQ(h.presentation_time.time, kPeriod * (i + 1));
        EXPECT_EQ(h.duration, kPeriod);
        EXPECT_EQ(h.data_used, kImage);
        EXPECT_EQ(h.drop_count, 0);
        EXPECT_TRUE(proto::has_all(h.options_flags, StreamHeaderOptions::TimeValid |
                                                        StreamHeaderOptions::DurationValid |
                                                        StreamHeaderOptions::FrameInfo));
        EXPECT_EQ(port.delivered[i].owner, kClient);
        EXPECT_EQ(port.delivered[i].pin, sink);
    }
}

TEST_F(KernelStreamTest, Kernel_FrameContent_ShowsAnAdvancingCounterInTheClientsMapping) {
    start_user_sink(2);
    auto grant = kernel->open_stream(kClient, sink);
    ASSERT_TRUE(grant.has_value());
    ASSERT_EQ(grant->regions.size(), 1u);
    EXPECT_EQ(grant->regions[0].access, shm::Access::ReadOnly);
    auto fd = grant->regions[0].region->share(shm::Access::ReadOnly);
    ASSERT_TRUE(fd.has_value());
    auto map = shm::ReadOnlyMapping::map_fd(fd->get(), grant->regions[0].size);
    ASSERT_TRUE(map.has_value()) << map.error().message;
    const proto::VideoParams v{proto::VideoFormat::Nv12, kWidth, kHeight, 30, 1};
    std::optional<std::uint64_t> last;
    for (int i = 0; i < 4; ++i) {
        run_periods(1);
        ASSERT_EQ(port.delivered.size(), static_cast<std::size_t>(i + 1));
        const auto d = port.delivered.back();
        // DefaultAllocator layout: frame i at i * frame size rounded up to the alignment (8 here).
        const std::size_t stride = (kImage + 7) & ~std::size_t{7};
        auto bytes = map->slice(d.frame.index * stride, kImage);
        auto counter = read_frame_counter(bytes, v);
        ASSERT_TRUE(counter.has_value());
        if (last) {
            EXPECT_GT(*counter, *last);
        }
        last = counter;
        ASSERT_TRUE(kernel->release_frame(kClient, d.frame).has_value());
    }
}

TEST_F(KernelStreamTest, Kernel_ReleasedFramesGoBackToThePoolAndStreamingContinues) {
    start_user_sink(2);
    for (int i = 0; i < 6; ++i) {
        run_periods(1);
        ASSERT_EQ(port.delivered.size(), static_cast<std::size_t>(i + 1));
        ASSERT_TRUE(kernel->release_frame(kClient, port.delivered.back().frame).has_value());
    }
    EXPECT_EQ(stats(camera).dropped, 0u);
    EXPECT_EQ(held_by(kClient), 0u);
    EXPECT_EQ(stats(sink).latency_samples, 6u);
}

TEST_F(KernelStreamTest, Kernel_ReleaseFrame_RejectsStaleForgedAndForeignDescriptors) {
    start_user_sink(2);
    run_periods(1);
    ASSERT_EQ(port.delivered.size(), 1u);
    const shm::FrameDescriptor good = port.delivered[0].frame;
    shm::FrameDescriptor stale = good;
    stale.generation += 1;
    EXPECT_EQ(kernel->release_frame(kClient, stale).error().code, Errc::StaleDescriptor);
    shm::FrameDescriptor forged = good;
    forged.region += 1000;
    EXPECT_EQ(kernel->release_frame(kClient, forged).error().code, Errc::NotFound);
    EXPECT_EQ(kernel->release_frame(kClient + 1, good).error().code, Errc::PermissionDenied);
    ASSERT_TRUE(kernel->release_frame(kClient, good).has_value());
    EXPECT_FALSE(kernel->release_frame(kClient, good).has_value());  // a double release is refused
}

TEST_F(KernelStreamTest, Kernel_RefusedHandOff_CountsADropAndReturnsTheFrame) {
    start_user_sink(2);
    port.accept = false;
    run_periods(3);
    EXPECT_EQ(stats(sink).dropped, 3u);
    EXPECT_EQ(held_by(kClient), 0u);
    EXPECT_EQ(stats(camera).dropped, 0u);  // the camera always had a buffer: frames came back
}

TEST_F(KernelStreamTest, Kernel_ClientGone_ReclaimsItsFramesExactlyOnceAndStopsItsPins) {
    start_user_sink(2);
    run_periods(4);
    ASSERT_EQ(held_by(kClient), 2u);
    kernel->client_gone(kClient);
    EXPECT_EQ(held_by(kClient), 0u);
    const auto gone = events.of(KernelEvent::Type::ClientGone);
    ASSERT_EQ(gone.size(), 1u);
    EXPECT_NE(gone[0].detail.find("2 frames reclaimed"), std::string::npos) << gone[0].detail;
    EXPECT_EQ(kernel->filters()[1].pins[0].state, PinState::Stop);
    EXPECT_EQ(kernel->filters()[1].pins[0].owner, kDaemon);
    kernel->client_gone(kClient);
    const auto again = events.of(KernelEvent::Type::ClientGone);
    ASSERT_EQ(again.size(), 2u);
    EXPECT_NE(again[1].detail.find("0 frames reclaimed"), std::string::npos) << again[1].detail;
    // The camera got its frames back: with the sink in STOP they are now dropped at the sink.
    run_periods(2);
    EXPECT_EQ(stats(camera).completed, 4u);
}

TEST_F(KernelStreamTest, Kernel_CaptureLeavingPause_CompletesQueuedFramesAndReturnsThemToThePool) {
    const auto t = camera_to_sink(false, PinHosting::Kernel, 3);
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t, 3)).has_value());
    set(sink, PinState::Run);
    set(camera, PinState::Pause);
    auto queued = kernel->allocator_status(camera);
    ASSERT_TRUE(queued.has_value());
    EXPECT_EQ(queued->allocated_frames, 3u);  // the requestor queued the whole pool
    EXPECT_EQ(kernel->ledger().size(), 3u);
    set(camera, PinState::Stop);
    auto after = kernel->allocator_status(camera);
    ASSERT_TRUE(after.has_value());
    EXPECT_TRUE(after->active);  // the sink, still in RUN, keeps the pipe's allocator alive
    EXPECT_EQ(after->allocated_frames, 0u);
    EXPECT_TRUE(kernel->ledger().empty());
    EXPECT_EQ(stats(sink).completed, 0u);  // cancelled frames are not delivered
}

TEST_F(KernelStreamTest, Kernel_InPlaceChain_ModifiesFramesWhereTheyAreAndDeliversToTheChecker) {
    const auto t = inplace_chain();
    make(t);
    auto c = default_commit(t, 3);
    c.alignment_mask = proto::file_alignment::kQuad;
    ASSERT_TRUE(kernel->commit(c).has_value()) << kernel->commit(c).error().message;
    const PinRef checker{"checker", "input"};
    for (const PinRef& k : {checker, PinRef{"overlay", "output"}, PinRef{"overlay", "input"}, camera})
        set(k, PinState::Run);
    run_periods(6);
    EXPECT_EQ(stats(PinRef{"overlay", "input"}).completed, 6u);
    EXPECT_EQ(stats(PinRef{"overlay", "output"}).completed, 6u);
    EXPECT_EQ(stats(checker).completed, 6u);
    EXPECT_EQ(stats(checker).check_failures, 0u);
    EXPECT_EQ(stats(camera).dropped, 0u);
}

TEST_F(KernelStreamTest, Kernel_CopyChain_ScalesIntoASecondPipesFrames) {
    const auto t = copy_chain();
    make(t);
    AllocatorCommit up = default_commit(t);
    up.connections.resize(1);  // camera -> scaler: full-size frames
    AllocatorCommit down = default_commit(t);
    down.connections.erase(down.connections.begin());  // scaler -> checker: quarter-size frames
    down.frame_size = kImage / 4;
    down.provider = PinRef{"scaler", "output"};
    ASSERT_TRUE(kernel->commit(up).has_value());
    ASSERT_TRUE(kernel->commit(down).has_value());
    const PinRef checker{"checker", "input"};
    for (const PinRef& k : {checker, PinRef{"scaler", "output"}, PinRef{"scaler", "input"}, camera})
        set(k, PinState::Run);
    run_periods(5);
    EXPECT_EQ(stats(checker).completed, 5u);
    EXPECT_EQ(stats(checker).check_failures, 0u);
    EXPECT_EQ(stats(PinRef{"scaler", "output"}).dropped, 0u);
    EXPECT_EQ(kernel->connections().size(), 2u);
    EXPECT_EQ(kernel->connections()[1].decision->frame_size, kImage / 4);
}

TEST_F(KernelStreamTest, Kernel_UserSource_SubmitsFramesToAKernelSink) {
    const auto t = user_source_to_sink();
    make(t);
    auto c = default_commit(t);
    c.frame_size = 1024;
    c.provider = PinRef{"app", "output"};
    ASSERT_TRUE(kernel->commit(c).has_value());
    const PinRef checker{"checker", "input"};
    set(checker, PinState::Run);
    set(app, PinState::Acquire, kClient);
    auto grant = kernel->open_stream(kClient, app);
    ASSERT_TRUE(grant.has_value()) << grant.error().message;
    EXPECT_EQ(grant->regions[0].access, shm::Access::ReadWrite);
    set(app, PinState::Run, kClient);
    for (int i = 1; i <= 5; ++i) {
        auto f = kernel->acquire_frame(kClient, app);
        ASSERT_TRUE(f.has_value()) << f.error().message;
        proto::StreamHeader h;
        h.data_used = 1024;
        h.picture_number = i;
        ASSERT_TRUE(kernel->submit_frame(kClient, app, *f, h).has_value());
    }
    EXPECT_EQ(stats(checker).completed, 5u);
    EXPECT_EQ(stats(checker).check_failures, 0u);
    EXPECT_TRUE(kernel->ledger().empty());
    // Another client can neither acquire from nor change the state of the pin it does not host.
    EXPECT_EQ(kernel->acquire_frame(kClient + 1, app).error().code, Errc::PermissionDenied);
    EXPECT_EQ(kernel->set_state(app, PinState::Stop, kClient + 1).error().code, Errc::PermissionDenied);
}

TEST_F(KernelStreamTest, Kernel_UserSource_ExhaustingThePool_ReturnsNoMoreEntries) {
    const auto t = user_source_to_sink();
    make(t);
    auto c = default_commit(t);
    c.frame_size = 1024;
    ASSERT_TRUE(kernel->commit(c).has_value());
    set(app, PinState::Acquire, kClient);
    ASSERT_TRUE(kernel->open_stream(kClient, app).has_value());
    ASSERT_TRUE(kernel->acquire_frame(kClient, app).has_value());
    ASSERT_TRUE(kernel->acquire_frame(kClient, app).has_value());
    EXPECT_EQ(kernel->acquire_frame(kClient, app).error().code, Errc::NoMoreEntries);
    kernel->client_gone(kClient);
    EXPECT_TRUE(kernel->ledger().empty());
}

TEST_F(KernelStreamTest, Kernel_CreateUserPinAndConnect_BuildAClientHostedSink) {
    const auto t = camera_to_sink(false, PinHosting::Kernel);
    make(t);
    proto::PinDescriptor d;
    d.id = "in";
    d.direction = proto::PinDirection::In;
    auto key = kernel->create_user_pin(kClient, d, "viewer");
    ASSERT_TRUE(key.has_value()) << key.error().message;
    EXPECT_EQ(key->to_string(), "viewer.in");
    EXPECT_EQ(kernel->create_user_pin(kClient, d, "viewer").error().code, Errc::AlreadyExists);
    EXPECT_EQ(kernel->create_user_pin(kClient + 1, d, "viewer").error().code, Errc::PermissionDenied);
    EXPECT_EQ(kernel->connect(kClient, camera, *key).error().code,
              Errc::AlreadyExists);  // camera is connected
    d.id = "in2";
    auto bad = kernel->connect(kClient, *key, camera);
    EXPECT_EQ(bad.error().code, Errc::InvalidArgument);
}

TEST_F(KernelStreamTest, Kernel_Shutdown_StopsEveryPinAndIsIdempotent) {
    start_user_sink(2);
    run_periods(3);
    kernel->shutdown();
    for (const auto& f : kernel->filters())
        for (const auto& p : f.pins) EXPECT_EQ(p.state, PinState::Stop);
    kernel->shutdown();
    EXPECT_EQ(kernel->set_state(camera, PinState::Acquire, kDaemon).error().code, Errc::InvalidState);
}

}  // namespace
}  // namespace ksim::daemon::testing
