#include "ksim/shm/ring.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <thread>
#include <vector>

#include "ring_ends.hpp"

namespace ksim::shm {
namespace {

using namespace std::chrono_literals;

RingEntry entry(std::uint32_t n) {
    RingEntry e;
    e.frame = FrameHandle{1, n, n * 2, 0};
    e.data_used = n * 10;
    e.presentation_time = static_cast<std::int64_t>(n) * 333333;
    return e;
}

using Ends = test::RingEnds;
Ends make_ring(std::uint32_t capacity) {
    return test::make_ring_ends("ring-test", capacity);
}

TEST(ShmRing, Create_RoundsCapacityUpToAPowerOfTwoAndRejectsZero) {
    auto ring = RingChannel::create("cap", 5);
    ASSERT_TRUE(ring);
    EXPECT_EQ(ring->capacity(), 8u);
    EXPECT_EQ(RingChannel::create("cap", 0).error().code, Errc::InvalidArgument);
    EXPECT_EQ(RingChannel::create("cap", 1u << 20).error().code, Errc::InvalidArgument);
}

TEST(ShmRing, Entries_ArriveInOrderWithTheirContents) {
    auto ends = make_ring(8);
    for (std::uint32_t i = 0; i < 5; ++i) ASSERT_TRUE(ends.producer.try_push(entry(i)));
    EXPECT_EQ(ends.consumer.size(), 5u);
    for (std::uint32_t i = 0; i < 5; ++i) {
        auto e = ends.consumer.try_pop();
        ASSERT_TRUE(e);
        EXPECT_EQ(e->frame, entry(i).frame);
        EXPECT_EQ(e->data_used, i * 10);
        EXPECT_EQ(e->presentation_time, static_cast<std::int64_t>(i) * 333333);
    }
    EXPECT_FALSE(ends.consumer.try_pop());
}

TEST(ShmRing, PublishTime_IsTheProducersClockAtThePushForEveryEntryOfTheBatch) {
    auto ends = make_ring(8);
    const auto before = std::chrono::steady_clock::now();
    const std::vector<RingEntry> batch{entry(1), entry(2), entry(3)};
    ASSERT_EQ(ends.producer.try_push(batch), 3u);
    const auto after = std::chrono::steady_clock::now();
    ASSERT_TRUE(ends.producer.try_push(entry(4)));  // a later push: a later (or equal) time

    std::array<RingEntry, 4> out{};
    std::array<PublishTime, 4> published{};
    ASSERT_EQ(ends.consumer.try_pop(out, published), 4u);
    EXPECT_GE(published[0], before);
    EXPECT_LE(published[0], after);
    EXPECT_EQ(published[1], published[0]);  // one clock read per batch
    EXPECT_EQ(published[2], published[0]);
    EXPECT_GE(published[3], after);
    EXPECT_EQ(out[3].frame, entry(4).frame);
}

TEST(ShmRing, PublishTime_FillsOnlyAsManyTimesAsTheCallerAskedFor) {
    auto ends = make_ring(8);
    ASSERT_EQ(ends.producer.try_push(std::vector<RingEntry>{entry(1), entry(2)}), 2u);
    std::array<RingEntry, 2> out{};
    const PublishTime untouched{};
    std::array<PublishTime, 1> published{untouched};
    ASSERT_EQ(ends.consumer.try_pop(out, published), 2u);  // more entries than times: no overrun
    EXPECT_NE(published[0], untouched);

    ASSERT_TRUE(ends.producer.try_push(entry(3)));
    PublishTime one{};
    auto e = ends.consumer.pop(1s, &one);
    ASSERT_TRUE(e) << e.error().message;
    EXPECT_EQ(e->frame, entry(3).frame);
    EXPECT_GE(one, published[0]);
    EXPECT_LE(one, std::chrono::steady_clock::now());
}

TEST(ShmRing, Push_StopsWhenFullAndResumesAfterAPop) {
    auto ends = make_ring(4);
    for (std::uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(ends.producer.try_push(entry(i)));
    EXPECT_FALSE(ends.producer.try_push(entry(99)));
    ASSERT_TRUE(ends.consumer.try_pop());
    EXPECT_TRUE(ends.producer.try_push(entry(4)));
}

TEST(ShmRing, BatchPush_PublishesThePrefixThatFits) {
    auto ends = make_ring(4);
    std::vector<RingEntry> batch;
    for (std::uint32_t i = 0; i < 6; ++i) batch.push_back(entry(i));
    EXPECT_EQ(ends.producer.try_push(batch), 4u);
    std::vector<RingEntry> out(10);
    EXPECT_EQ(ends.consumer.try_pop(out), 4u);
    for (std::uint32_t i = 0; i < 4; ++i) EXPECT_EQ(out[i].frame.index, i);
}

TEST(ShmRing, Indices_WrapAroundManyTimes) {
    auto ends = make_ring(4);
    for (std::uint32_t i = 0; i < 1000; ++i) {
        ASSERT_TRUE(ends.producer.try_push(entry(i)));
        if (i % 3 == 2) {
            RingEntry out[3];
            ASSERT_EQ(ends.consumer.try_pop(out), 3u);
            EXPECT_EQ(out[2].frame.index, i);
        }
    }
}

TEST(ShmRing, WaitForData_TimesOutOnAnEmptyRing) {
    auto ends = make_ring(4);
    auto ok = ends.consumer.wait_for_data(20ms);
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().code, Errc::Timeout);
}

TEST(ShmRing, WaitForSpace_TimesOutOnAFullRing) {
    auto ends = make_ring(2);
    ASSERT_TRUE(ends.producer.try_push(entry(0)));
    ASSERT_TRUE(ends.producer.try_push(entry(1)));
    EXPECT_EQ(ends.producer.push(entry(2), 20ms).error().code, Errc::Timeout);
}

TEST(ShmRing, Pop_IsWokenByAPushFromAnotherThread) {
    auto ends = make_ring(8);
    std::thread producer([&] {
        for (std::uint32_t i = 0; i < 1000; ++i) ASSERT_TRUE(ends.producer.push(entry(i), 10s));
    });
    for (std::uint32_t i = 0; i < 1000; ++i) {
        auto e = ends.consumer.pop(10s);
        ASSERT_TRUE(e) << e.error().message;
        EXPECT_EQ(e->frame.index, i);
    }
    producer.join();
}

TEST(ShmRing, BlockingWaits_SleepOnAFutex_NotOnTheEventfds) {
    // Each side gets eventfds of its own that the other never signals: a blocking wait that
    // slept on an eventfd would never wake (and time out); one on its flag's futex does.
    // Capacity 2 and 500 hand-offs: both sides block over and over (full ring, empty ring).
    auto channel = RingChannel::create("futex-waits", 2);
    ASSERT_TRUE(channel);
    auto p = channel->share();
    auto c = channel->share();
    ASSERT_TRUE(p && c);
    for (RingShare* share : {&*p, &*c}) {
        share->data_ready = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        share->space_ready = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        ASSERT_TRUE(share->data_ready && share->space_ready);
    }
    auto producer = RingProducer::attach(std::move(*p));
    auto consumer = RingConsumer::attach(std::move(*c));
    ASSERT_TRUE(producer && consumer);
    std::thread feeder([&] {
        for (std::uint32_t i = 0; i < 500; ++i) ASSERT_TRUE(producer->push(entry(i), 5s)) << "push " << i;
    });
    for (std::uint32_t i = 0; i < 500; ++i) {
        auto e = consumer->pop(5s);
        ASSERT_TRUE(e) << "pop " << i << ": " << e.error().message;
        ASSERT_EQ(e->frame.index, i);
    }
    feeder.join();
}

TEST(ShmRing, Interrupt_EndsABlockedWaitForDataWithoutData) {
    auto ends = make_ring(4);
    // Whether the waiter is already asleep or not yet waiting when interrupt() comes, it
    // returns successfully long before its 10 s timeout, with the ring still empty.
    std::thread waiter([&] {
        auto waited = ends.consumer.wait_for_data(10s);
        EXPECT_TRUE(waited) << waited.error().message;
    });
    ends.consumer.interrupt();
    waiter.join();
    EXPECT_EQ(ends.consumer.size(), 0u);
    // The interruption was consumed: the next wait sleeps again until the timeout.
    EXPECT_EQ(ends.consumer.wait_for_data(20ms).error().code, Errc::Timeout);
}

// A wait given far more time than any test runs returns Disconnected: it can only have returned
// because of cancel_waits(), whether it was asleep already or not yet waiting when it came.
TEST(ShmRing, CancelWaits_EndsEveryBlockedWaitOfBothEndsWithDisconnected_AndLaterOnesAtOnce) {
    auto ends = make_ring(2);
    ASSERT_TRUE(ends.producer.try_push(entry(1)));
    ASSERT_TRUE(ends.producer.try_push(entry(2)));  // full: the producer's waits block
    auto data = make_ring(2);                       // empty: the consumer's waits block
    std::thread consumer([&] {
        auto waited = data.consumer.pop(std::chrono::hours(1));
        ASSERT_FALSE(waited);
        EXPECT_EQ(waited.error().code, Errc::Disconnected) << waited.error().message;
    });
    std::thread producer([&] {
        auto waited = ends.producer.push(entry(3), std::chrono::hours(1));
        ASSERT_FALSE(waited);
        EXPECT_EQ(waited.error().code, Errc::Disconnected) << waited.error().message;
    });
    std::thread sleeper([&] {
        auto woke = data.producer.sleep_until_signalled(std::chrono::hours(1));
        ASSERT_FALSE(woke);
        EXPECT_EQ(woke.error().code, Errc::Disconnected) << woke.error().message;
    });
    data.consumer.cancel_waits();
    ends.producer.cancel_waits();
    data.producer.cancel_waits();
    consumer.join();
    producer.join();
    sleeper.join();
    // Sticky: later waits end at once, while the non-blocking calls keep working.
    EXPECT_TRUE(data.consumer.waits_cancelled());
    EXPECT_EQ(data.consumer.wait_for_data(std::chrono::hours(1)).error().code, Errc::Disconnected);
    EXPECT_EQ(ends.producer.wait_for_space(std::chrono::hours(1)).error().code, Errc::Disconnected);
    EXPECT_TRUE(ends.consumer.try_pop());
    EXPECT_FALSE(ends.consumer.waits_cancelled());  // the other end of a ring is not affected
}

TEST(ShmRing, NoWakeUpIsSent_WhileTheConsumerIsNotWaiting) {
    auto channel = RingChannel::create("quiet", 8);
    ASSERT_TRUE(channel);
    auto share = channel->share();
    auto peer = channel->share();
    ASSERT_TRUE(share && peer);
    const int data_ready = peer->data_ready.get();  // the consumer side's eventfd, kept open here
    auto producer = RingProducer::attach(std::move(*share));
    ASSERT_TRUE(producer);
    ASSERT_TRUE(producer->try_push(entry(1)));
    pollfd pfd{data_ready, POLLIN, 0};
    EXPECT_EQ(::poll(&pfd, 1, 0), 0) << "a push without a waiting consumer must not signal";
}

TEST(ShmRing, ConsumerDetectsACorruptProducerIndexAndNeverReadsOutOfBounds) {
    auto ends = make_ring(4);
    auto share = ends.channel.share();
    ASSERT_TRUE(share);
    // Scribble on the shared header as a broken peer would: head far ahead of tail.
    void* raw = ::mmap(nullptr, share->size, PROT_READ | PROT_WRITE, MAP_SHARED, share->memory.get(), 0);
    ASSERT_NE(raw, MAP_FAILED);
    auto* head = reinterpret_cast<std::atomic<std::uint64_t>*>(static_cast<char*>(raw) + 64);
    head->store(1'000'000);
    std::vector<RingEntry> out(4);
    EXPECT_EQ(ends.consumer.try_pop(out), 0u);
    EXPECT_TRUE(ends.consumer.corrupted());
    EXPECT_EQ(ends.consumer.wait_for_data(10ms).error().code, Errc::ProtocolError);
    ::munmap(raw, share->size);
}

TEST(ShmRing, Attach_RejectsMemoryThatIsNotARing) {
    auto region = Region::create("not-a-ring", 4096);
    ASSERT_TRUE(region);
    auto ring = RingChannel::create("donor", 4);
    ASSERT_TRUE(ring);
    auto share = ring->share();
    ASSERT_TRUE(share);
    auto fd = region->share(Access::ReadWrite);
    ASSERT_TRUE(fd);
    share->memory = std::move(*fd);
    share->size = region->size();
    auto consumer = RingConsumer::attach(std::move(*share));
    ASSERT_FALSE(consumer);
    EXPECT_EQ(consumer.error().code, Errc::ProtocolError);
}

TEST(ShmRing, Attach_RejectsMissingEventfds) {
    auto ring = RingChannel::create("no-events", 4);
    ASSERT_TRUE(ring);
    auto share = ring->share();
    ASSERT_TRUE(share);
    share->data_ready.reset();
    EXPECT_EQ(RingProducer::attach(std::move(*share)).error().code, Errc::InvalidArgument);
}

TEST(ShmRing, ArmedConsumerFd_BecomesReadableOnPushAndArmReportsPendingData) {
    auto ends = make_ring(4);
    ASSERT_TRUE(ends.consumer.arm_wait());  // empty: safe to sleep on the fd
    pollfd pfd{ends.consumer.data_fd(), POLLIN, 0};
    EXPECT_EQ(::poll(&pfd, 1, 0), 0);
    ASSERT_TRUE(ends.producer.try_push(entry(1)));
    EXPECT_EQ(::poll(&pfd, 1, 1000), 1);
    ends.consumer.disarm_wait();
    EXPECT_FALSE(ends.consumer.arm_wait());  // data pending: do not sleep
    ends.consumer.disarm_wait();
}

TEST(ShmRing, ArmedProducerFd_BecomesReadableWhenASlotIsFreed) {
    auto ends = make_ring(2);
    ASSERT_TRUE(ends.producer.try_push(entry(0)));
    EXPECT_FALSE(ends.producer.arm_wait());  // a slot is free
    ends.producer.disarm_wait();
    ASSERT_TRUE(ends.producer.try_push(entry(1)));
    ASSERT_TRUE(ends.producer.arm_wait());  // full
    pollfd pfd{ends.producer.space_fd(), POLLIN, 0};
    EXPECT_EQ(::poll(&pfd, 1, 0), 0);
    ASSERT_TRUE(ends.consumer.try_pop());
    EXPECT_EQ(::poll(&pfd, 1, 1000), 1);
    ends.producer.disarm_wait();
}

}  // namespace
}  // namespace ksim::shm

namespace ksim::shm {
namespace {

TEST(ShmRing, StreamHeader_SurvivesTheRingWithItsFrameInfo) {
    auto ends = make_ring(4);
    proto::StreamHeader h;
    h.data_used = 1234;
    h.options_flags = proto::StreamHeaderOptions::TimeValid | proto::StreamHeaderOptions::FrameInfo;
    h.presentation_time.time = 999;
    h.duration = 333'333;
    h.picture_number = 42;
    h.drop_count = 7;
    h.type_specific_flags = 0x5;
    h.status = 0xC0000120u;
    ASSERT_TRUE(ends.producer.try_push(to_ring_entry(FrameHandle{3, 1, 9, 0}, h)));
    auto e = ends.consumer.try_pop();
    ASSERT_TRUE(e);
    const proto::StreamHeader got = to_stream_header(*e, 4096);
    EXPECT_EQ(e->frame, (FrameHandle{3, 1, 9, 0}));
    EXPECT_EQ(got.data_used, 1234u);
    EXPECT_EQ(got.options_flags, h.options_flags);
    EXPECT_EQ(got.presentation_time.time, 999);
    EXPECT_EQ(got.duration, 333'333);
    EXPECT_EQ(got.picture_number, 42);
    EXPECT_EQ(got.drop_count, 7);
    EXPECT_EQ(got.type_specific_flags, 0x5u);
    EXPECT_EQ(got.status, 0xC0000120u);
    EXPECT_EQ(got.frame_extent, 4096u);
}

TEST(ShmRing, NotifyProducer_WakesAnArmedProducerAndCostsNothingOtherwise) {
    auto ends = make_ring(4);
    pollfd pfd{ends.producer.space_fd(), POLLIN, 0};
    ends.consumer.notify_producer();  // nobody waits: no signal
    EXPECT_EQ(::poll(&pfd, 1, 0), 0);
    EXPECT_EQ(ends.producer.sleep_until_signalled(20ms).error().code, Errc::Timeout);

    (void)ends.producer.arm_wait();
    std::thread waker([&] { ends.consumer.notify_producer(); });
    EXPECT_TRUE(ends.producer.sleep_until_signalled(5s));
    ends.producer.disarm_wait();
    waker.join();
    EXPECT_EQ(::poll(&pfd, 1, 0), 0) << "the sleep drains the wake-up";
}

TEST(ShmRing, Retract_TakesBackOnlyTheEntriesTheConsumerHasNotTaken) {
    auto ring = make_ring(8);
    const std::uint64_t first = ring.producer.next_position();
    for (std::uint32_t i = 0; i < 5; ++i) ASSERT_TRUE(ring.producer.try_push(entry(i)));
    ASSERT_TRUE(ring.consumer.try_pop());
    ASSERT_TRUE(ring.consumer.try_pop());
    const auto back = ring.producer.retract();
    EXPECT_EQ(back.first, first + 2);
    EXPECT_EQ(back.count, 3u);
    EXPECT_FALSE(ring.consumer.try_pop());
    EXPECT_EQ(ring.producer.retract().count, 0u);
    // The ring keeps working after a retraction.
    ASSERT_TRUE(ring.producer.try_push(entry(7)));
    auto got = ring.consumer.try_pop();
    ASSERT_TRUE(got);
    EXPECT_EQ(got->frame.index, 7u);
}

TEST(ShmRing, Retract_RacingAConsumer_HandsEveryEntryToExactlyOneSide) {
    auto ring = make_ring(4);
    constexpr std::uint32_t kEntries = 20000;
    std::atomic<bool> done{false};
    std::vector<std::uint32_t> taken;
    std::thread consumer([&] {
        while (!done.load() || ring.consumer.size() != 0)
            if (auto e = ring.consumer.try_pop()) taken.push_back(e->frame.index);
    });
    std::vector<std::uint32_t> retracted;
    std::vector<std::uint32_t> by_position(4);
    for (std::uint32_t i = 0; i < kEntries; ++i) {
        const std::uint64_t pos = ring.producer.next_position();
        by_position[pos & 3] = i;
        while (!ring.producer.try_push(entry(i))) {
        }
        if (i % 3 == 0) {
            const auto back = ring.producer.retract();
            for (std::uint32_t k = 0; k < back.count; ++k)
                retracted.push_back(by_position[(back.first + k) & 3]);
        }
    }
    done = true;
    consumer.join();
    std::vector<std::uint32_t> all = taken;
    all.insert(all.end(), retracted.begin(), retracted.end());
    std::ranges::sort(all);
    ASSERT_EQ(all.size(), kEntries);
    for (std::uint32_t i = 0; i < kEntries; ++i) ASSERT_EQ(all[i], i);
}

}  // namespace
}  // namespace ksim::shm
