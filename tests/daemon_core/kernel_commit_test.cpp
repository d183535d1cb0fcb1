// Kernel::commit re-validates every decision and names what is wrong; states need a commit.
#include "kernel_fixture.hpp"

namespace ksim::daemon::testing {
namespace {

using proto::PinHosting;
using proto::PinState;

void expect_error(const Result<void>& r, Errc code, std::string_view needle) {
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, code) << r.error().message;
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
}

TEST_F(KernelTest, Kernel_PinWithoutCommit_CannotLeaveStop) {
    make(camera_to_sink(false, PinHosting::Kernel));
    auto r = kernel->set_state(camera, PinState::Run, kDaemon);
    expect_error(r, Errc::NotCommitted, "camera.capture");
    EXPECT_EQ(kernel->filters()[0].pins[0].state, PinState::Stop);
    EXPECT_TRUE(events.of(KernelEvent::Type::StateChanged).empty());
}

TEST_F(KernelTest, Kernel_Commit_FrameSizeOutsideAPinsPhysicalRange_IsRejectedNamingThePin) {
    const auto t = camera_to_sink(false, PinHosting::Kernel);
    make(t);
    auto c = default_commit(t);
    c.frame_size = kImage + 8;  // the capture pin's framing is min = max = image size
    expect_error(kernel->commit(c), Errc::NegotiationFailed, "physical range of camera.capture");
}

TEST_F(KernelTest, Kernel_Commit_FewerFramesThanAPinRequires_IsRejected) {
    const auto t = camera_to_sink(false, PinHosting::Kernel, 4);
    make(t);
    expect_error(kernel->commit(default_commit(t, 3)), Errc::NegotiationFailed, "requires at least 4");
}

TEST_F(KernelTest, Kernel_Commit_WeakerAlignmentThanAPinRequires_IsRejected) {
    const auto t = camera_to_sink(false, PinHosting::Kernel);
    make(t);
    auto c = default_commit(t);
    c.alignment_mask = proto::file_alignment::kWord;  // the sink requires FILE_QUAD
    expect_error(kernel->commit(c), Errc::NegotiationFailed, "sink.input");
}

TEST_F(KernelTest, Kernel_Commit_MalformedValues_AreInvalidArgument) {
    const auto t = camera_to_sink(false, PinHosting::Kernel);
    make(t);
    auto c = default_commit(t);
    c.alignment_mask = 6;
    expect_error(kernel->commit(c), Errc::InvalidArgument, "2^n - 1");
    c = default_commit(t);
    c.frames = 0;
    expect_error(kernel->commit(c), Errc::InvalidArgument, "frame_size and frames must be > 0");
    c = default_commit(t);
    c.connections.clear();
    expect_error(kernel->commit(c), Errc::InvalidArgument, "no connection");
}

TEST_F(KernelTest, Kernel_Commit_UnknownConnectionOrForeignProvider_IsRejected) {
    const auto t = camera_to_sink(false, PinHosting::Kernel);
    make(t);
    auto c = default_commit(t);
    c.connections = {{PinRef{"sink", "input"}, PinRef{"camera", "capture"}}};
    expect_error(kernel->commit(c), Errc::NotFound, "not a connection");
    c = default_commit(t);
    c.provider = PinRef{"nope", "pin"};
    expect_error(kernel->commit(c), Errc::InvalidArgument, "not a pin of the committed pipe");
}

// camera -> overlay (in place) -> checker is one pipe: a commit of its first connection alone
// would leave the rest unable to leave STOP, so ksimd refuses it with the engine's rule.
TEST_F(KernelTest, Kernel_Commit_PartOfAnInPlacePipe_IsRefusedAsAPartialPipe) {
    const auto t = inplace_chain();
    make(t);
    auto c = default_commit(t);
    ASSERT_EQ(c.connections.size(), 2u);
    c.connections.pop_back();
    expect_error(kernel->commit(c), Errc::NegotiationFailed, "commit.partial-pipe: ");
    EXPECT_FALSE(kernel->connections().front().decision) << "nothing was committed";
    auto whole = kernel->commit(default_commit(t, 3));
    EXPECT_TRUE(whole.has_value()) << whole.error().message;
}

TEST_F(KernelTest, Kernel_Commit_VendorAllocatorOnAUserConnection_IsRejectedByTheModeRule) {
    const auto t = camera_to_sink(true, PinHosting::User);
    make(t);
    auto c = default_commit(t);
    c.kind = AllocatorCommit::Kind::Vendor;
    c.provider = camera;
    c.memory_type = kVendorDma;
    expect_error(kernel->commit(c), Errc::NegotiationFailed, "mode.kernel-allocator-on-user-connection");
}

TEST_F(KernelTest, Kernel_Commit_VendorCapsExceeded_AreRejectedWithTheCapName) {
    const auto t = camera_to_sink(true, PinHosting::Kernel);
    make(t);
    auto c = default_commit(t);
    c.kind = AllocatorCommit::Kind::Vendor;
    c.provider = camera;
    c.memory_type = kVendorDma;
    c.frames = 9;
    expect_error(kernel->commit(c), Errc::NegotiationFailed, "caps.max-frames");
    c.frames = 2;
    c.memory_type = proto::memory_type::kUser;
    expect_error(kernel->commit(c), Errc::NegotiationFailed, "caps.memory-type");
    c.memory_type = kVendorDma;
    c.alignment_mask = 0x1FFF;
    expect_error(kernel->commit(c), Errc::NegotiationFailed, "caps.alignment");
    c.alignment_mask = 0xFFF;
    EXPECT_TRUE(kernel->commit(c).has_value());
}

TEST_F(KernelTest, Kernel_Commit_KernelMemoryOnAPipeWithAUserPin_IsRejected) {
    const auto t = camera_to_sink(false, PinHosting::User);
    make(t);
    expect_error(kernel->commit(default_commit(t, 2, proto::memory_type::kKernelNonPaged)),
                 Errc::NegotiationFailed, "never maps");
}

TEST_F(KernelTest, Kernel_Commit_WhileAPinIsAboveStop_IsInvalidState) {
    const auto t = camera_to_sink(false, PinHosting::Kernel);
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t)).has_value());
    set(camera, PinState::Acquire);
    expect_error(kernel->commit(default_commit(t)), Errc::InvalidState, "STOP first");
}

TEST_F(KernelTest, Kernel_Commit_Valid_IsReportedOnConnectionsPinsAndAsAnEvent) {
    const auto t = camera_to_sink(false, PinHosting::Kernel);
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t)).has_value());
    const auto conns = kernel->connections();
    ASSERT_EQ(conns.size(), 1u);
    ASSERT_TRUE(conns[0].decision.has_value());
    EXPECT_EQ(conns[0].decision->frame_size, kImage);
    EXPECT_TRUE(conns[0].kernel_mode);
    EXPECT_EQ(kernel->filters()[0].pins[0].allocator, "default");
    EXPECT_EQ(events.of(KernelEvent::Type::AllocatorCommitted).size(), 1u);
    auto status = kernel->allocator_status(camera);
    ASSERT_TRUE(status.has_value());
    EXPECT_FALSE(status->active);  // allocators only exist from ACQUIRE on
    EXPECT_EQ(status->framing.frame_size, kImage);
}

TEST_F(KernelTest, Kernel_AllocatorFramingEx_IsTheFormatEditedFraming) {
    make(camera_to_sink(false, PinHosting::Kernel));
    auto f = kernel->allocator_framing_ex(camera);
    ASSERT_TRUE(f.has_value());
    ASSERT_EQ(f->items.size(), 1u);
    EXPECT_EQ(f->items[0].physical_range.min_frame_size, kImage);
    EXPECT_EQ(f->items[0].physical_range.max_frame_size, kImage);
    auto missing = kernel->allocator_framing_ex(PinRef{"camera", "nope"});
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, Errc::NotFound);
}

TEST_F(KernelTest, Kernel_SetState_StopToRun_IsWalkedWithOneEventPerStep) {
    const auto t = camera_to_sink(false, PinHosting::Kernel);
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t)).has_value());
    set(camera, PinState::Run);
    const auto changes = events.of(KernelEvent::Type::StateChanged);
    ASSERT_EQ(changes.size(), 3u);
    EXPECT_EQ(changes[0].state, PinState::Acquire);
    EXPECT_EQ(changes[1].state, PinState::Pause);
    EXPECT_EQ(changes[2].state, PinState::Run);
    set(camera, PinState::Stop);
    EXPECT_EQ(events.of(KernelEvent::Type::StateChanged).size(), 6u);
}

TEST_F(KernelTest, Kernel_VendorAllocatorNotSelected_InitializeIsNeverCalled) {
    const auto t = camera_to_sink(true, PinHosting::Kernel);
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t)).has_value());
    set(sink, PinState::Run);
    set(camera, PinState::Run);
    run_periods(3);
    set(camera, PinState::Stop);
    auto s = stats(camera);
    ASSERT_TRUE(s.vendor_calls.has_value());
    EXPECT_EQ(s.vendor_calls->initialize, 0u);
    EXPECT_EQ(s.vendor_calls->allocate, 0u);
    EXPECT_EQ(s.allocator, "default");
}

TEST_F(KernelTest, Kernel_VendorAllocatorSelected_IsInitializedOnlyAtAcquireAndDeletedAtStop) {
    const auto t = camera_to_sink(true, PinHosting::Kernel);
    make(t);
    auto c = default_commit(t);
    c.kind = AllocatorCommit::Kind::Vendor;
    c.provider = camera;
    c.memory_type = kVendorDma;
    c.alignment_mask = proto::file_alignment::kPage;
    ASSERT_TRUE(kernel->commit(c).has_value());
    EXPECT_EQ(stats(camera).vendor_calls->initialize, 0u);
    set(camera, PinState::Acquire);
    EXPECT_EQ(stats(camera).vendor_calls->initialize, 1u);
    set(sink, PinState::Run);
    set(camera, PinState::Run);
    run_periods(5);
    EXPECT_EQ(stats(sink).completed, 5u);
    EXPECT_EQ(stats(sink).check_failures, 0u);
    set(camera, PinState::Stop);
    EXPECT_EQ(stats(camera).vendor_calls->remove, 0u);  // the sink still holds the pipe in RUN
    set(sink, PinState::Stop);
    const auto calls = *stats(camera).vendor_calls;
    EXPECT_EQ(calls.initialize, 1u);
    EXPECT_EQ(calls.remove, 1u);
    EXPECT_EQ(calls.allocate, calls.free);
}

}  // namespace
}  // namespace ksim::daemon::testing
