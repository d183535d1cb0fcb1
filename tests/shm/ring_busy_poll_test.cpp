// Busy-poll waits (set_spin_budget(kSpinForever)): they take what another thread publishes
// without ever sleeping on the futex (the ring counts every sleep), and still end on their
// timeout, on interrupt() and on cancel_waits().
#include <gtest/gtest.h>

#include <thread>

#include "ksim/shm/ring.hpp"
#include "ring_ends.hpp"

namespace ksim::shm::busy_poll_test {
namespace {

using namespace std::chrono_literals;

using Ends = test::RingEnds;
Ends polling_ring(std::uint32_t capacity) {
    Ends ends = test::make_ring_ends("ring-busy-poll-test", capacity);
    ends.producer.set_spin_budget(kSpinForever);
    ends.consumer.set_spin_budget(kSpinForever);
    return ends;
}

RingEntry entry(std::uint32_t n) {
    RingEntry e;
    e.frame = FrameHandle{1, n, 1, 0};
    e.data_used = n;
    return e;
}

TEST(ShmRingBusyPoll, PollingWaits_TakeWhatAnotherThreadPublishes_InOrder_AndNeverSleep) {
    auto ends = polling_ring(4);  // small: the producer runs into a full ring and polls for space too
    constexpr std::uint32_t kEntries = 20000;
    std::thread producer([&] {
        for (std::uint32_t n = 1; n <= kEntries; ++n) {
            auto pushed = ends.producer.push(entry(n), 10s);
            ASSERT_TRUE(pushed) << pushed.error().message;
        }
    });
    for (std::uint32_t n = 1; n <= kEntries; ++n) {
        auto got = ends.consumer.pop(10s);
        ASSERT_TRUE(got) << got.error().message;
        ASSERT_EQ(got->data_used, n);
    }
    producer.join();
    // Neither side ever raised its flag, so neither slept nor needed waking.
    const RingSyscalls s = ends.consumer.syscalls();
    EXPECT_EQ(s.consumer_sleeps, 0u);
    EXPECT_EQ(s.producer_sleeps, 0u);
    EXPECT_EQ(s.total(), 0u);
}

// Only a long spin gives its CPU away while it spins: next_frame's 20 us spin must not (on EEVDF a
// yield costs the thread its place behind CPU-bound neighbours, ring.hpp), a busy poll must.
TEST(ShmRingBusyPoll, OnlySpinsLongerThanTheUnyieldingBound_Yield) {
    EXPECT_FALSE(spin_yields(20us));
    EXPECT_FALSE(spin_yields(kLongestUnyieldingSpin));
    EXPECT_TRUE(spin_yields(kLongestUnyieldingSpin + 1ns));
    EXPECT_TRUE(spin_yields(kSpinForever));
}

TEST(ShmRingBusyPoll, PollingWait_StillTimesOut_WithoutSleeping) {
    auto ends = polling_ring(4);
    auto waited = ends.consumer.wait_for_data(30ms);
    ASSERT_FALSE(waited);
    EXPECT_EQ(waited.error().code, Errc::Timeout) << waited.error().message;
    ASSERT_TRUE(ends.producer.try_push(entry(1)));
    ASSERT_TRUE(ends.producer.try_push(entry(2)));
    ASSERT_TRUE(ends.producer.try_push(entry(3)));
    ASSERT_TRUE(ends.producer.try_push(entry(4)));  // full
    auto space = ends.producer.wait_for_space(30ms);
    ASSERT_FALSE(space);
    EXPECT_EQ(space.error().code, Errc::Timeout) << space.error().message;
    EXPECT_EQ(ends.consumer.syscalls().consumer_sleeps, 0u);
    EXPECT_EQ(ends.consumer.syscalls().producer_sleeps, 0u);
}

// An hour-long polling wait returns long before: only interrupt() can have ended it.
TEST(ShmRingBusyPoll, Interrupt_EndsAPollingWaitWithoutData) {
    auto ends = polling_ring(4);
    std::thread waiter([&] {
        auto waited = ends.consumer.wait_for_data(std::chrono::hours(1));
        EXPECT_TRUE(waited) << waited.error().message;
    });
    ends.consumer.interrupt();
    waiter.join();
    EXPECT_EQ(ends.consumer.size(), 0u);
    EXPECT_EQ(ends.consumer.syscalls().consumer_sleeps, 0u);
}

TEST(ShmRingBusyPoll, CancelWaits_EndsPollingWaitsOfBothEndsWithDisconnected) {
    auto full = polling_ring(2);
    ASSERT_TRUE(full.producer.try_push(entry(1)));
    ASSERT_TRUE(full.producer.try_push(entry(2)));
    auto empty = polling_ring(2);
    std::thread consumer([&] {
        auto got = empty.consumer.pop(std::chrono::hours(1));
        ASSERT_FALSE(got);
        EXPECT_EQ(got.error().code, Errc::Disconnected) << got.error().message;
    });
    std::thread producer([&] {
        auto pushed = full.producer.push(entry(3), std::chrono::hours(1));
        ASSERT_FALSE(pushed);
        EXPECT_EQ(pushed.error().code, Errc::Disconnected) << pushed.error().message;
    });
    empty.consumer.cancel_waits();
    full.producer.cancel_waits();
    consumer.join();
    producer.join();
}

}  // namespace
}  // namespace ksim::shm::busy_poll_test
