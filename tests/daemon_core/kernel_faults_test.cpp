// Faults injected from the topology's /faults (docs/config.md): each test shows the outcome the
// docs promise a client.
#include "kernel_fixture.hpp"

namespace ksim::daemon::testing {
namespace {

using proto::FaultKind;
using proto::PinHosting;
using proto::PinState;

proto::Fault fault_on(FaultKind kind, const PinRef& pin) {
    proto::Fault f;
    f.kind = kind;
    f.pin = proto::PinRef{pin.filter, pin.pin};
    f.pointer = "/faults/0";
    return f;
}

AllocatorCommit vendor_commit(const proto::Topology& t, const PinRef& provider) {
    auto c = default_commit(t);
    c.kind = AllocatorCommit::Kind::Vendor;
    c.provider = provider;
    c.memory_type = kVendorDma;
    c.alignment_mask = proto::file_alignment::kPage;
    return c;
}

TEST_F(KernelTest, Fault_VendorInitializeFails_AcquireFailsNamingAllocatorPinAndFault) {
    auto t = camera_to_sink(true, PinHosting::Kernel);
    auto f = fault_on(FaultKind::VendorInitializeFails, camera);
    f.status = 0xC00000A3u;  // STATUS_DEVICE_NOT_READY
    t.faults.push_back(f);
    make(t);
    ASSERT_TRUE(kernel->commit(vendor_commit(t, camera)).has_value());

    auto r = kernel->set_state(camera, PinState::Acquire, kDaemon);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::InsufficientResources);
    for (std::string_view needle : {"InitializeAllocator", "\"vendor_dma\"", "camera.capture",
                                    "STATUS_DEVICE_NOT_READY", "vendor_initialize_fails", "/faults/0"})
        EXPECT_NE(r.error().message.find(needle), std::string::npos) << needle << " in " << r.error().message;

    // The pin stays in STOP, no allocator instance or region exists, nothing is held.
    EXPECT_EQ(kernel->filters()[0].pins[0].state, PinState::Stop);
    auto status = kernel->allocator_status(camera);
    ASSERT_TRUE(status.has_value());
    EXPECT_FALSE(status->active);
    EXPECT_TRUE(kernel->ledger().empty());
    const auto s = stats(camera);
    EXPECT_EQ(s.vendor_calls->initialize, 1u);  // the callback ran and failed
    EXPECT_FALSE(s.vendor_initialized);
    // A second attempt fails the same way (the fault is not used up).
    EXPECT_FALSE(kernel->set_state(camera, PinState::Acquire, kDaemon).has_value());
}

TEST_F(KernelTest, Fault_VendorInitializeFails_JoinsThePipesRecord_UntilAnotherDecision) {
    auto t = camera_to_sink(true, PinHosting::Kernel);
    auto f = fault_on(FaultKind::VendorInitializeFails, camera);
    f.status = 0xC00000A3u;  // STATUS_DEVICE_NOT_READY
    t.faults.push_back(f);
    make(t);
    const AllocatorCommit c = vendor_commit(t, camera);
    ASSERT_TRUE(kernel->commit(c).has_value());
    ASSERT_FALSE(kernel->set_state(sink, PinState::Acquire, kDaemon).has_value());

    const auto connections = kernel->connections();
    ASSERT_EQ(connections.size(), 1u);
    ASSERT_TRUE(connections[0].allocator_failure.has_value());
    const AllocatorFailure& record = *connections[0].allocator_failure;
    EXPECT_EQ(record.routine, "InitializeAllocator");
    EXPECT_EQ(record.status, 0xC00000A3u);
    EXPECT_EQ(record.status_name, "STATUS_DEVICE_NOT_READY (0xC00000A3)");
    EXPECT_EQ(record.framing,
              proto::make_create_request(c.frames, c.frame_size, c.alignment_mask, c.memory_type));
    EXPECT_EQ(record.caps.name, "vendor_dma");  // the declared capabilities
    EXPECT_EQ(record.caps.max_frames, t.find_pin(proto::PinRef{"camera", "capture"})->allocator->max_frames);
    EXPECT_EQ(record.provider, camera);
    EXPECT_EQ(record.asked_by, sink);
    EXPECT_EQ(record.fault, "/faults/0");
    ASSERT_TRUE(stats(camera).vendor_failure.has_value());
    EXPECT_EQ(events.of(KernelEvent::Type::AllocatorFailed).size(), 1u);

    // The record belongs to the decision: another commit for the connection starts clean.
    ASSERT_TRUE(kernel->commit(default_commit(t)).has_value());
    EXPECT_FALSE(kernel->connections().at(0).allocator_failure.has_value());
    EXPECT_FALSE(stats(camera).vendor_failure.has_value());
    set(sink, PinState::Acquire);
}

TEST_F(KernelTest, Fault_VendorInitializeFails_OnlyWhenTheVendorAllocatorIsSelected) {
    auto t = camera_to_sink(true, PinHosting::Kernel);
    t.faults.push_back(fault_on(FaultKind::VendorInitializeFails, camera));
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t)).has_value());  // the default pool: no vendor call
    set(camera, PinState::Acquire);
    EXPECT_EQ(stats(camera).vendor_calls->initialize, 0u);
}

TEST_F(KernelTest, Fault_PoolExhaustion_CaptureDropsPeriodsUntilAFrameComesBack) {
    // 4 frames committed, at most 1 handed out: the capture pin has one frame in its queue; while
    // the client holds it, the hardware finds no buffer and counts dropped periods.
    auto t = camera_to_sink(false, PinHosting::User, 4);
    auto f = fault_on(FaultKind::PoolExhaustion, sink);
    f.frames = 1;
    t.faults.push_back(f);
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t, 4)).has_value());
    set(sink, PinState::Acquire, kClient);
    ASSERT_TRUE(kernel->open_stream(kClient, sink).has_value());
    set(sink, PinState::Run, kClient);
    set(camera, PinState::Run);

    run_periods(4);
    ASSERT_EQ(port.delivered.size(), 1u);  // one frame out, held by the client
    EXPECT_EQ(stats(camera).dropped, 3u);  // the three periods after it had no buffer
    EXPECT_EQ(stats(camera).in_flight, 1u);
    EXPECT_FALSE(events.of(KernelEvent::Type::FrameDropped).empty());

    // Streaming recovers as frames come back: one frame per period while the client returns them.
    ASSERT_TRUE(kernel->release_frame(kClient, port.delivered.back().frame).has_value());
    for (int i = 0; i < 3; ++i) {
        run_periods(1);
        ASSERT_EQ(port.delivered.size(), static_cast<std::size_t>(i + 2));
        ASSERT_TRUE(kernel->release_frame(kClient, port.delivered.back().frame).has_value());
    }
    EXPECT_EQ(stats(camera).dropped, 3u);
}

TEST_F(KernelTest, Fault_PoolExhaustion_UserSourceAcquireFailsWithNoMoreEntries) {
    auto t = user_source_to_sink();
    auto f = fault_on(FaultKind::PoolExhaustion, app);
    f.frames = 1;
    t.faults.push_back(f);
    make(t);
    auto c = default_commit(t);
    c.frame_size = 1024;
    c.provider = app;
    ASSERT_TRUE(kernel->commit(c).has_value());
    set(PinRef{"checker", "input"}, PinState::Run);
    set(app, PinState::Acquire, kClient);
    ASSERT_TRUE(kernel->open_stream(kClient, app).has_value());
    set(app, PinState::Run, kClient);

    auto first = kernel->acquire_frame(kClient, app);
    ASSERT_TRUE(first.has_value()) << first.error().message;
    auto second = kernel->acquire_frame(kClient, app);
    ASSERT_FALSE(second.has_value());
    EXPECT_EQ(second.error().code, Errc::NoMoreEntries);
    EXPECT_NE(second.error().message.find("pool_exhaustion"), std::string::npos) << second.error().message;
    // The frame comes back through the sink; the source can acquire again.
    proto::StreamHeader h;
    h.data_used = 1024;
    h.picture_number = 1;
    ASSERT_TRUE(kernel->submit_frame(kClient, app, *first, h).has_value());
    EXPECT_TRUE(kernel->acquire_frame(kClient, app).has_value());
}

TEST_F(KernelTest, Fault_DropInterrupts_FramesDoneMeanwhileCompleteAtTheNextInterrupt) {
    auto t = camera_to_sink(false, PinHosting::Kernel);
    auto f = fault_on(FaultKind::DropInterrupts, camera);
    f.every = 2;
    t.faults.push_back(f);
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t)).has_value());
    set(sink, PinState::Run);
    set(camera, PinState::Run);
    // Interrupts 2 and 4 are lost: their frames were filled by the DMA and complete with the
    // frame of the next interrupt, so the sink sees 1, 1, 3, 3, 5 and nothing is dropped.
    const std::uint64_t expected[] = {1, 1, 3, 3, 5};
    for (std::uint64_t want : expected) {
        run_periods(1);
        EXPECT_EQ(stats(sink).completed, want);
    }
    EXPECT_EQ(stats(camera).dropped, 0u);
    EXPECT_EQ(stats(sink).check_failures, 0u);  // frame numbers still increase one by one
}

TEST_F(KernelTest, Fault_DelayInterrupts_FrameCompletesExactlyTheDelayAfterItsTick) {
    auto t = camera_to_sink(false, PinHosting::Kernel);
    auto f = fault_on(FaultKind::DelayInterrupts, camera);
    f.microseconds = 5000;
    t.faults.push_back(f);
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t)).has_value());
    set(sink, PinState::Run);
    set(camera, PinState::Run);
    const Ticks delay = 5000 * 10;
    run_periods(1);  // the first tick: the DMA fills the frame, its interrupt is still on its way
    EXPECT_EQ(stats(sink).completed, 0u);
    clock->advance(delay - 1);
    kernel->advance_time();
    EXPECT_EQ(stats(sink).completed, 0u);
    clock->advance(1);
    kernel->advance_time();
    EXPECT_EQ(stats(sink).completed, 1u);
    // Steady state: one frame per period, each one delay late; none lost.
    clock->advance(kPeriod - delay);
    run_periods(3);
    EXPECT_EQ(stats(sink).completed, 4u);
    EXPECT_EQ(stats(camera).dropped, 0u);
}

TEST_F(KernelTest, Fault_DelayLongerThanAPeriod_InterruptsStayInOrder) {
    auto t = camera_to_sink(false, PinHosting::Kernel, 4);
    auto f = fault_on(FaultKind::DelayInterrupts, camera);
    f.microseconds = 50'000;  // 1.5 periods at 30 fps
    t.faults.push_back(f);
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t, 4)).has_value());
    set(sink, PinState::Run);
    set(camera, PinState::Run);
    // The interrupt of the tick at period k arrives at k + 1.5; the ISR reads the hardware's
    // completed count when it runs, so it also completes what the DMA finished since its tick.
    run_periods(2);
    EXPECT_EQ(stats(sink).completed, 0u);
    run_periods(1);  // 3 periods: the first interrupt (at 2.5) completes the frames of ticks 1 and 2
    EXPECT_EQ(stats(sink).completed, 2u);
    run_periods(7);  // 10 periods: the interrupt at 9.5 has completed everything through tick 9
    EXPECT_EQ(stats(sink).completed, 9u);
    EXPECT_EQ(stats(sink).check_failures, 0u);
}

// --- stall_releases ------------------------------------------------------------------------------

// The frames of the ledger held by `pin` (ksimd is their owner: the pin holds them, no client).
std::size_t held_by(const std::vector<LedgerEntry>& ledger, const PinRef& pin) {
    std::size_t n = 0;
    for (const auto& e : ledger)
        if (e.holder == pin && e.owner == kDaemon) ++n;
    return n;
}

TEST_F(KernelTest, Fault_StallReleases_KernelSinkHoldsItsFramesUntilTheStallEndsThenAllReturnAtOnce) {
    auto t = camera_to_sink(false, PinHosting::Kernel);  // a pool of 2 frames
    auto f = fault_on(FaultKind::StallReleases, sink);
    f.microseconds = 150'000;  // 4.5 periods at 30 fps
    t.faults.push_back(f);
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t)).has_value());
    set(sink, PinState::Run);
    set(camera, PinState::Run);

    run_periods(1);  // frame 1 reaches the sink: giving it back starts the stall
    const Ticks stall_end = clock->now() + 150'000 * 10;
    run_periods(1);  // frame 2 too: both frames of the pool are held by the sink pin
    EXPECT_EQ(stats(sink).completed, 2u);
    EXPECT_EQ(held_by(kernel->ledger(), sink), 2u);
    EXPECT_EQ(stats(camera).in_flight, 2u);
    run_periods(3);  // the pool is dry: the camera finds no buffer at its next three ticks
    EXPECT_EQ(stats(camera).dropped, 3u);
    EXPECT_EQ(stats(sink).completed, 2u);
    EXPECT_EQ(held_by(kernel->ledger(), sink), 2u);

    // Exactly at the stall's end, on the kernel's clock, both frames go back together.
    clock->advance(stall_end - 1 - clock->now());
    kernel->advance_time();
    EXPECT_EQ(held_by(kernel->ledger(), sink), 2u);
    clock->advance(1);
    kernel->advance_time();
    EXPECT_EQ(held_by(kernel->ledger(), sink), 0u);
    EXPECT_EQ(held_by(kernel->ledger(), camera), 2u);  // back in the capture queue at once

    // Streaming resumes at the next tick (ticks 6 to 9), and the stall does not come back
    // within this RUN.
    run_periods(4);
    EXPECT_EQ(stats(sink).completed, 6u);
    EXPECT_EQ(stats(camera).dropped, 3u);
    EXPECT_EQ(held_by(kernel->ledger(), sink), 0u);
    EXPECT_EQ(stats(sink).check_failures, 0u);
}

TEST_F(KernelTest, Fault_StallReleases_UserSinkReleasesStayWithThePinAndTheUserSourceFindsNoFreeFrame) {
    auto t = user_source_user_sink();
    auto f = fault_on(FaultKind::StallReleases, viewer);
    f.microseconds = 20'000;
    t.faults.push_back(f);
    make(t);
    ASSERT_TRUE(kernel->commit(user_pipe_commit({{app, viewer}}, app, 1024, 2)).has_value());
    set(viewer, PinState::Acquire, kClient);
    set(app, PinState::Acquire, kClient);
    ASSERT_TRUE(kernel->open_stream(kClient, app).has_value());
    ASSERT_TRUE(kernel->open_stream(kClient, viewer).has_value());
    set(viewer, PinState::Run, kClient);
    set(app, PinState::Run, kClient);

    proto::StreamHeader h;
    h.data_used = 512;
    for (int i = 0; i < 2; ++i) {  // the client sends both frames of the pool and releases them
        auto frame = kernel->acquire_frame(kClient, app);
        ASSERT_TRUE(frame.has_value()) << frame.error().message;
        h.picture_number = i + 1;
        ASSERT_TRUE(kernel->submit_frame(kClient, app, *frame, h).has_value());
        ASSERT_EQ(port.delivered.size(), static_cast<std::size_t>(i + 1));
        ASSERT_TRUE(kernel->release_frame(kClient, port.delivered.back().frame).has_value());
    }
    // Released, but held by the pin (not by the client): the source has no free frame.
    const auto ledger = kernel->ledger();
    EXPECT_EQ(ledger.size(), 2u);
    EXPECT_EQ(held_by(ledger, viewer), 2u);
    auto dry = kernel->acquire_frame(kClient, app);
    ASSERT_FALSE(dry.has_value());
    EXPECT_EQ(dry.error().code, Errc::NoMoreEntries);

    clock->advance(20'000 * 10);
    kernel->advance_time();  // the stall ends: the frames are free again
    EXPECT_TRUE(kernel->ledger().empty());
    EXPECT_TRUE(kernel->acquire_frame(kClient, app).has_value());
}

TEST_F(KernelTest, Fault_StallReleases_StopEndsTheStallAndTheFramesGoHome) {
    auto t = camera_to_sink(false, PinHosting::User);
    auto f = fault_on(FaultKind::StallReleases, sink);
    f.microseconds = 4'000'000'000u;  // longer than the test
    t.faults.push_back(f);
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t)).has_value());
    set(sink, PinState::Acquire, kClient);
    ASSERT_TRUE(kernel->open_stream(kClient, sink).has_value());
    set(sink, PinState::Run, kClient);
    set(camera, PinState::Run);
    run_periods(1);
    ASSERT_EQ(port.delivered.size(), 1u);
    ASSERT_TRUE(kernel->release_frame(kClient, port.delivered[0].frame).has_value());
    EXPECT_EQ(held_by(kernel->ledger(), sink), 1u);

    set(sink, PinState::Stop, kClient);
    EXPECT_EQ(held_by(kernel->ledger(), sink), 0u);
    set(camera, PinState::Stop);
    EXPECT_TRUE(kernel->ledger().empty());
    EXPECT_FALSE(kernel->allocator_status(camera)->active);  // the pool was deleted with every frame home
}

// --- disconnect_client -----------------------------------------------------------------------

TEST_F(KernelTest, Fault_DisconnectClient_AsksOnceForTheSinkHostsSessionAtItsNthFrame) {
    auto t = camera_to_sink(false, PinHosting::User, 4);
    auto f = fault_on(FaultKind::DisconnectClient, sink);
    f.frames = 3;
    t.faults.push_back(f);
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t, 4)).has_value());
    set(sink, PinState::Acquire, kClient);
    ASSERT_TRUE(kernel->open_stream(kClient, sink).has_value());
    set(sink, PinState::Run, kClient);
    set(camera, PinState::Run);
    for (std::size_t n = 1; n <= 5; ++n) {
        run_periods(1);
        ASSERT_EQ(port.delivered.size(), n);
        ASSERT_TRUE(kernel->release_frame(kClient, port.delivered.back().frame).has_value());
        EXPECT_EQ(events.of(KernelEvent::Type::ClientDisconnectDue).size(), n < 3 ? 0u : 1u) << "frame " << n;
    }
    const auto due = events.of(KernelEvent::Type::ClientDisconnectDue);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].client, kClient);
    EXPECT_EQ(due[0].pin, sink);
    for (std::string_view needle : {"disconnect_client", "/faults/0", "3 frame(s) crossed sink.input"})
        EXPECT_NE(due[0].detail.find(needle), std::string::npos) << needle << " in " << due[0].detail;

    // What the server does with it: the session ends as when the client dies.
    kernel->client_gone(kClient);
    EXPECT_EQ(kernel->filters()[1].pins[0].state, PinState::Stop);
    EXPECT_EQ(held_by(kernel->ledger(), sink), 0u);
}

TEST_F(KernelTest, Fault_DisconnectClient_CountsASourcesSubmittedFrames) {
    auto t = user_source_to_sink();
    auto f = fault_on(FaultKind::DisconnectClient, app);
    f.frames = 2;
    t.faults.push_back(f);
    make(t);
    auto c = default_commit(t);
    c.frame_size = 1024;
    c.provider = app;
    ASSERT_TRUE(kernel->commit(c).has_value());
    set(PinRef{"checker", "input"}, PinState::Run);
    set(app, PinState::Acquire, kClient);
    ASSERT_TRUE(kernel->open_stream(kClient, app).has_value());
    set(app, PinState::Run, kClient);
    proto::StreamHeader h;
    h.data_used = 1024;
    for (int i = 1; i <= 2; ++i) {
        EXPECT_TRUE(events.of(KernelEvent::Type::ClientDisconnectDue).empty());
        auto frame = kernel->acquire_frame(kClient, app);
        ASSERT_TRUE(frame.has_value()) << frame.error().message;
        h.picture_number = i;
        ASSERT_TRUE(kernel->submit_frame(kClient, app, *frame, h).has_value());
    }
    const auto due = events.of(KernelEvent::Type::ClientDisconnectDue);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].client, kClient);
    EXPECT_EQ(due[0].pin, app);
}

}  // namespace
}  // namespace ksim::daemon::testing
