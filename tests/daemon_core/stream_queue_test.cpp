#include "ksim/daemon/stream_queue.hpp"

#include <gtest/gtest.h>

#include <list>
#include <vector>

namespace ksim::daemon {
namespace {

// A queue plus the frames it completed, in completion order.
struct QueueFixture {
    explicit QueueFixture(StreamQueue::Options o = {})
        : queue(o, clock, [this](QueuedFrame&& f) { completed.push_back(std::move(f)); }) {}

    void add(std::uint64_t token, std::uint32_t size = 100, std::uint32_t mappings = 0) {
        storage.emplace_back(size);
        QueuedFrame f;
        f.token = token;
        f.data = storage.back();
        std::vector<SgMapping>& sg = sg_storage.emplace_back();
        for (std::uint32_t i = 0; i < mappings; ++i)
            sg.push_back(SgMapping{0x1000u * (i + 1), nullptr, size / std::max(mappings, 1u), 0});
        f.mappings = sg;
        f.header.data_used = size;
        f.header.frame_extent = size;
        queue.add_frame(std::move(f));
    }
    std::vector<std::uint64_t> completed_tokens() const {
        std::vector<std::uint64_t> t;
        for (const auto& f : completed) t.push_back(f.token);
        return t;
    }

    FakeClock clock;
    std::list<std::vector<std::byte>> storage;
    std::list<std::vector<SgMapping>> sg_storage;  // QueuedFrame::mappings is a view
    std::vector<QueuedFrame> completed;
    StreamQueue queue;
};

TEST(StreamQueue_LeadingEdge, LockedOnAnEmptyQueueIsNull) {
    QueueFixture q;
    EXPECT_EQ(q.queue.leading_edge(PointerLock::Locked), nullptr);
    StreamPointer* sp = q.queue.leading_edge(PointerLock::Unlocked);
    ASSERT_NE(sp, nullptr);
    EXPECT_FALSE(sp->has_frame());
}

TEST(StreamQueue_LeadingEdge, PointsAtTheFirstFrameThatArrives) {
    QueueFixture q;
    q.add(7);
    q.add(8);
    StreamPointer* sp = q.queue.leading_edge(PointerLock::Locked);
    ASSERT_NE(sp, nullptr);
    EXPECT_EQ(sp->frame()->token, 7u);
    EXPECT_EQ(sp->lock_state(), PointerLock::Locked);
}

TEST(StreamQueue_Advance, LockedPointerMovesAndRelocksThenReportsDeviceNotReadyAtTheEnd) {
    QueueFixture q;
    q.add(1);
    q.add(2);
    StreamPointer* sp = q.queue.leading_edge(PointerLock::Locked);
    EXPECT_EQ(q.queue.advance(*sp), NtStatus::Success);
    EXPECT_EQ(sp->frame()->token, 2u);
    EXPECT_EQ(sp->lock_state(), PointerLock::Locked);
    EXPECT_EQ(q.completed_tokens(), std::vector<std::uint64_t>{1});
    EXPECT_EQ(q.queue.advance(*sp), NtStatus::DeviceNotReady);
    EXPECT_FALSE(sp->has_frame());
    EXPECT_EQ(sp->lock_state(), PointerLock::Unlocked);
    EXPECT_EQ(q.completed_tokens(), (std::vector<std::uint64_t>{1, 2}));
}

TEST(StreamQueue_Advance, UnlockedPointerAlwaysSucceedsEvenOffTheEnd) {
    QueueFixture q;
    q.add(1);
    StreamPointer* sp = q.queue.leading_edge(PointerLock::Unlocked);
    EXPECT_EQ(q.queue.advance(*sp), NtStatus::Success);
    EXPECT_FALSE(sp->has_frame());
}

TEST(StreamQueue_Advance, AFrameArrivingAfterTheEdgeRanOffTheEndBecomesTheLeadingFrame) {
    QueueFixture q;
    q.add(1);
    StreamPointer* sp = q.queue.leading_edge(PointerLock::Locked);
    EXPECT_EQ(q.queue.advance(*sp), NtStatus::DeviceNotReady);
    q.add(2);
    ASSERT_TRUE(sp->has_frame());
    EXPECT_EQ(sp->frame()->token, 2u);
}

TEST(StreamQueue_Unlock, EjectAdvancesToTheNextFrameUnlocked) {
    QueueFixture q;
    q.add(1);
    q.add(2);
    StreamPointer* sp = q.queue.leading_edge(PointerLock::Locked);
    q.queue.unlock(*sp, /*eject=*/true);
    EXPECT_EQ(sp->frame()->token, 2u);
    EXPECT_EQ(sp->lock_state(), PointerLock::Unlocked);
    EXPECT_EQ(q.completed_tokens(), std::vector<std::uint64_t>{1});
}

TEST(StreamQueue_Unlock, WithoutEjectStaysOnTheFrame) {
    QueueFixture q;
    q.add(1);
    StreamPointer* sp = q.queue.leading_edge(PointerLock::Locked);
    q.queue.unlock(*sp, false);
    EXPECT_EQ(sp->frame()->token, 1u);
    EXPECT_TRUE(q.completed.empty());
    EXPECT_EQ(q.queue.lock(*sp), NtStatus::Success);
}

TEST(StreamQueue_AdvanceOffsets, RequiresALockedPointer) {
    QueueFixture q;
    q.add(1);
    StreamPointer* sp = q.queue.leading_edge(PointerLock::Unlocked);
    EXPECT_EQ(q.queue.advance_offsets(*sp, 0, 10, false), NtStatus::DeviceNotReady);
    EXPECT_EQ(sp->offset_out().remaining, 100u);
}

TEST(StreamQueue_AdvanceOffsets, BytesReduceRemainingAndAFullFrameMovesOnWithDataUsedSet) {
    QueueFixture q;
    q.add(1, 100);
    q.add(2, 100);
    StreamPointer* sp = q.queue.leading_edge(PointerLock::Locked);
    EXPECT_EQ(q.queue.advance_offsets(*sp, 0, 60, false), NtStatus::Success);
    EXPECT_EQ(sp->offset().count, 100u);
    EXPECT_EQ(sp->offset().remaining, 40u);
    EXPECT_EQ(sp->frame()->token, 1u);
    EXPECT_EQ(q.queue.advance_offsets(*sp, 0, 40, false), NtStatus::Success);
    EXPECT_EQ(sp->frame()->token, 2u);
    EXPECT_EQ(sp->lock_state(), PointerLock::Locked);
    ASSERT_EQ(q.completed.size(), 1u);
    EXPECT_EQ(q.completed[0].header.data_used, 100u);  // unmapped output queue: AVStream sets DataUsed
}

TEST(StreamQueue_AdvanceOffsets, EjectMovesOnWithAPartiallyUsedFrame) {
    QueueFixture q;
    q.add(1, 100);
    StreamPointer* sp = q.queue.leading_edge(PointerLock::Locked);
    EXPECT_EQ(q.queue.advance_offsets(*sp, 0, 30, true), NtStatus::DeviceNotReady);  // no next frame
    ASSERT_EQ(q.completed.size(), 1u);
    EXPECT_EQ(q.completed[0].header.data_used, 30u);
}

TEST(StreamQueue_AdvanceOffsets, WithGenerateMappingsTheOffsetsCountMappings) {
    QueueFixture q(StreamQueue::Options{proto::PinDirection::Out, false, true});
    q.add(1, 400, 4);
    StreamPointer* sp = q.queue.leading_edge(PointerLock::Locked);
    EXPECT_EQ(sp->offset().count, 4u);
    EXPECT_EQ(q.queue.advance_offsets(*sp, 0, 3, false), NtStatus::Success);
    EXPECT_EQ(sp->offset().remaining, 1u);
    EXPECT_EQ(q.queue.advance_offsets(*sp, 0, 1, false), NtStatus::DeviceNotReady);
    EXPECT_EQ(q.completed.size(), 1u);
}

TEST(StreamQueue_Clone, KeepsItsFrameAliveUntilDeleted) {
    QueueFixture q;
    q.add(1);
    StreamPointer* sp = q.queue.leading_edge(PointerLock::Locked);
    auto clone = q.queue.clone(*sp, 0);
    ASSERT_TRUE(clone.has_value());
    EXPECT_EQ((*clone)->frame()->token, 1u);
    EXPECT_EQ((*clone)->lock_state(), PointerLock::Locked);  // same lock state as its source
    (void)q.queue.advance(*sp);
    EXPECT_TRUE(q.completed.empty());
    q.queue.delete_clone(**clone);
    EXPECT_EQ(q.completed_tokens(), std::vector<std::uint64_t>{1});
}

TEST(StreamQueue_Clone, ClonesAreKeptInCreationOrderAndHaveZeroedPrivateContext) {
    QueueFixture q;
    q.add(1);
    q.add(2);
    StreamPointer* sp = q.queue.leading_edge(PointerLock::Locked);
    StreamPointer* a = *q.queue.clone(*sp, 16);
    (void)q.queue.advance(*sp);
    StreamPointer* b = *q.queue.clone(*sp, 8);
    StreamPointer* c = *q.queue.clone(*sp, 0);
    EXPECT_EQ(q.queue.first_clone(), a);
    EXPECT_EQ(q.queue.next_clone(*a), b);
    EXPECT_EQ(q.queue.next_clone(*b), c);
    EXPECT_EQ(q.queue.next_clone(*c), nullptr);
    ASSERT_EQ(a->context().size(), 16u);
    for (std::byte x : a->context()) EXPECT_EQ(x, std::byte{0});
    a->context()[0] = std::byte{42};  // private: b's context is separate
    EXPECT_EQ(b->context().size(), 8u);
    EXPECT_EQ(b->context()[0], std::byte{0});
    q.queue.delete_clone(*b);
    EXPECT_EQ(q.queue.next_clone(*a), c);
    EXPECT_EQ(q.queue.clone_count(), 2u);
}

TEST(StreamQueue_Clone, OfAPointerWithoutFrameIsInvalidState) {
    QueueFixture q;
    auto r = q.queue.clone(*q.queue.leading_edge(PointerLock::Unlocked), 0);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::InvalidState);
}

TEST(StreamQueue_Clone, FramesCompleteWhenTheirLastCloneGoesWhateverTheOrder) {
    QueueFixture q;
    q.add(1);
    q.add(2);
    StreamPointer* sp = q.queue.leading_edge(PointerLock::Locked);
    StreamPointer* c1 = *q.queue.clone(*sp, 0);
    (void)q.queue.advance(*sp);
    StreamPointer* c2 = *q.queue.clone(*sp, 0);
    (void)q.queue.advance(*sp);
    q.queue.delete_clone(*c2);
    EXPECT_EQ(q.completed_tokens(), std::vector<std::uint64_t>{2});
    q.queue.delete_clone(*c1);
    EXPECT_EQ(q.completed_tokens(), (std::vector<std::uint64_t>{2, 1}));
}

TEST(StreamQueue_TrailingEdge, AbsentWithoutDistinctTrailingEdge) {
    QueueFixture q;
    q.add(1);
    EXPECT_EQ(q.queue.trailing_edge(PointerLock::Unlocked), nullptr);
}

TEST(StreamQueue_TrailingEdge, FramesBetweenTheEdgesStayUntilTheTrailingEdgeAdvances) {
    QueueFixture q(StreamQueue::Options{proto::PinDirection::In, true, false});
    q.add(1);
    q.add(2);
    q.add(3);
    StreamPointer* lead = q.queue.leading_edge(PointerLock::Locked);
    (void)q.queue.advance(*lead);
    (void)q.queue.advance(*lead);
    EXPECT_EQ(lead->frame()->token, 3u);
    EXPECT_TRUE(q.completed.empty());  // the window [1, 3) is still held by the trailing edge
    StreamPointer* trail = q.queue.trailing_edge(PointerLock::Unlocked);
    ASSERT_NE(trail, nullptr);
    EXPECT_EQ(trail->frame()->token, 1u);
    (void)q.queue.advance(*trail);
    EXPECT_EQ(q.completed_tokens(), std::vector<std::uint64_t>{1});
    (void)q.queue.advance(*trail);
    EXPECT_EQ(q.completed_tokens(), (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(trail->frame()->token, 3u);
}

TEST(StreamQueue_TrailingEdge, NeverPassesTheLeadingEdge) {
    QueueFixture q(StreamQueue::Options{proto::PinDirection::In, true, false});
    q.add(1);
    q.add(2);
    StreamPointer* trail = q.queue.trailing_edge(PointerLock::Locked);
    EXPECT_EQ(q.queue.advance(*trail), NtStatus::DeviceNotReady);
    EXPECT_EQ(trail->frame()->token, 1u);
    EXPECT_TRUE(q.completed.empty());
}

TEST(StreamQueue_StatusCode, IsWhatTheFrameCompletesWith) {
    QueueFixture q;
    q.add(1);
    StreamPointer* sp = q.queue.leading_edge(PointerLock::Locked);
    q.queue.set_status_code(*sp, NtStatus::Unsuccessful);
    (void)q.queue.advance(*sp);
    ASSERT_EQ(q.completed.size(), 1u);
    EXPECT_EQ(q.completed[0].header.status, static_cast<std::uint32_t>(NtStatus::Unsuccessful));
}

TEST(StreamQueue_Timeout, FiresOnlyOnceTheIntervalIn100nsHasElapsed) {
    QueueFixture q;
    q.add(1);
    StreamPointer* sp = q.queue.leading_edge(PointerLock::Locked);
    StreamPointer* clone = *q.queue.clone(*sp, 0);
    int fired = 0;
    q.queue.schedule_timeout(
        *clone, [&](StreamPointer&) { ++fired; }, 5000);
    q.clock.advance(4999);
    EXPECT_EQ(q.queue.fire_timeouts(), 0u);
    q.clock.advance(1);
    EXPECT_EQ(q.queue.fire_timeouts(), 1u);
    EXPECT_EQ(fired, 1);
    EXPECT_EQ(q.queue.fire_timeouts(), 0u);  // one-shot
}

TEST(StreamQueue_Timeout, ReschedulingReplacesAndCancelPrevents) {
    QueueFixture q;
    q.add(1);
    StreamPointer* sp = q.queue.leading_edge(PointerLock::Locked);
    int first = 0, second = 0;
    q.queue.schedule_timeout(
        *sp, [&](StreamPointer&) { ++first; }, 10);
    q.queue.schedule_timeout(
        *sp, [&](StreamPointer&) { ++second; }, 100);
    q.clock.advance(50);
    EXPECT_EQ(q.queue.fire_timeouts(), 0u);
    q.clock.advance(50);
    EXPECT_EQ(q.queue.fire_timeouts(), 1u);
    EXPECT_EQ(first, 0);
    EXPECT_EQ(second, 1);
    q.queue.schedule_timeout(
        *sp, [&](StreamPointer&) { ++second; }, 10);
    q.queue.cancel_timeout(*sp);
    q.clock.advance(1000);
    EXPECT_EQ(q.queue.fire_timeouts(), 0u);
}

TEST(StreamQueue_Timeout, ACallbackMayDeleteItsClone) {
    QueueFixture q;
    q.add(1);
    StreamPointer* sp = q.queue.leading_edge(PointerLock::Locked);
    StreamPointer* clone = *q.queue.clone(*sp, 0);
    (void)q.queue.advance(*sp);
    q.queue.schedule_timeout(
        *clone, [&](StreamPointer& c) { q.queue.delete_clone(c); }, 1);
    q.clock.advance(1);
    EXPECT_EQ(q.queue.fire_timeouts(), 1u);
    EXPECT_EQ(q.queue.clone_count(), 0u);
    EXPECT_EQ(q.completed_tokens(), std::vector<std::uint64_t>{1});
}

// fire_timeouts skips all work while nothing is armed, so the count must follow every way a
// timeout ends; a count stuck at 0 would silently lose timeouts, one stuck above 0 costs only time.
TEST(StreamQueue_Timeout, ArmedCount_FollowsScheduleFireCancelDeleteAndFlush) {
    QueueFixture q;
    q.add(2);
    StreamPointer* sp = q.queue.leading_edge(PointerLock::Locked);
    StreamPointer* a = *q.queue.clone(*sp, 0);
    StreamPointer* b = *q.queue.clone(*sp, 0);
    int fired = 0;
    auto count = [&](StreamPointer&) { ++fired; };
    q.queue.schedule_timeout(*a, count, 10);
    q.queue.schedule_timeout(*a, count, 20);  // rescheduling replaces: still one
    q.queue.schedule_timeout(*b, count, 10);
    q.queue.schedule_timeout(*sp, count, 10);
    EXPECT_EQ(q.queue.armed_timeouts(), 3u);
    q.queue.delete_clone(*b);  // its timeout goes with it
    q.queue.cancel_timeout(*sp);
    EXPECT_EQ(q.queue.armed_timeouts(), 1u);
    q.clock.advance(20);
    EXPECT_EQ(q.queue.fire_timeouts(), 1u);
    EXPECT_EQ(fired, 1);
    EXPECT_EQ(q.queue.armed_timeouts(), 0u);

    // A recycled clone node starts disarmed, and a callback may re-arm its own pointer.
    StreamPointer* c = *q.queue.clone(*sp, 0);
    EXPECT_EQ(q.queue.armed_timeouts(), 0u);
    q.queue.schedule_timeout(
        *c, [&](StreamPointer& self) { q.queue.schedule_timeout(self, count, 5); }, 1);
    q.clock.advance(1);
    EXPECT_EQ(q.queue.fire_timeouts(), 1u);
    EXPECT_EQ(q.queue.armed_timeouts(), 1u);
    q.clock.advance(5);
    EXPECT_EQ(q.queue.fire_timeouts(), 1u);
    EXPECT_EQ(fired, 2);

    q.queue.schedule_timeout(*c, count, 5);
    q.queue.schedule_timeout(*sp, count, 5);
    q.queue.flush();  // drops the clones and resets the edges
    EXPECT_EQ(q.queue.armed_timeouts(), 0u);
    q.clock.advance(100);
    EXPECT_EQ(q.queue.fire_timeouts(), 0u);
    EXPECT_EQ(fired, 2);

    // After all that, a new timeout still fires (the count did not go stale at 0).
    q.add(1);
    StreamPointer* edge = q.queue.leading_edge(PointerLock::Locked);
    ASSERT_NE(edge, nullptr);
    q.queue.schedule_timeout(*edge, count, 1);
    q.clock.advance(1);
    EXPECT_EQ(q.queue.fire_timeouts(), 1u);
    EXPECT_EQ(fired, 3);
}

TEST(StreamQueue_Flush, CompletesEveryFrameWithDataUsedZeroAndDropsClones) {
    QueueFixture q;
    q.add(1);
    q.add(2);
    q.add(3);
    StreamPointer* sp = q.queue.leading_edge(PointerLock::Locked);
    (void)q.queue.clone(*sp, 0);
    q.queue.flush();
    EXPECT_EQ(q.completed_tokens(), (std::vector<std::uint64_t>{1, 2, 3}));
    for (const auto& f : q.completed) {
        EXPECT_EQ(f.header.data_used, 0u);
        EXPECT_EQ(f.header.status, static_cast<std::uint32_t>(NtStatus::Cancelled));
    }
    EXPECT_EQ(q.queue.frame_count(), 0u);
    EXPECT_EQ(q.queue.clone_count(), 0u);
    EXPECT_EQ(q.queue.leading_edge(PointerLock::Locked), nullptr);
}

}  // namespace
}  // namespace ksim::daemon
