// The ring's wake-up protocol: coalesced (at most one wake-up syscall per sleep, never one per
// entry), lossless (a publish racing a sleep is never missed) and counted (RingSyscalls).
// Every wait here is bounded: a lost wake-up fails the test instead of hanging it.
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "ksim/shm/ring.hpp"
#include "ring_ends.hpp"

// A named namespace: the unity build puts this file beside ring_test.cpp.
namespace ksim::shm::wakeup_test {
namespace {

using namespace std::chrono_literals;

using Ends = test::RingEnds;
Ends make_ring(const std::string& name, std::uint32_t capacity) {
    return test::make_ring_ends(name, capacity);
}

RingEntry entry(std::uint32_t n) {
    return RingEntry{.frame = FrameHandle{1, n, 0, 0}};
}

std::uint64_t drain_eventfd(int fd) {
    std::uint64_t value = 0;
    return ::read(fd, &value, sizeof value) == sizeof value ? value : 0;
}

TEST(ShmRingWakeup, ArmedConsumer_IsSignalledOnceForManySeparatePublishes) {
    auto ends = make_ring("wake-once", 64);
    ASSERT_TRUE(ends.consumer.arm_wait());
    for (std::uint32_t i = 0; i < 40; ++i) ASSERT_TRUE(ends.producer.try_push(entry(i)));
    // One idle -> pending edge, one eventfd write (the counter would read 40 with one per entry).
    EXPECT_EQ(drain_eventfd(ends.consumer.data_fd()), 1u);
    EXPECT_EQ(ends.producer.syscalls().producer_wakes, 1u);
    ends.consumer.disarm_wait();
    std::array<RingEntry, 64> out{};
    EXPECT_EQ(ends.consumer.try_pop(out), 40u);
}

TEST(ShmRingWakeup, ArmedProducer_IsSignalledOnceForManySeparatePops) {
    auto ends = make_ring("space-once", 8);
    for (std::uint32_t i = 0; i < 8; ++i) ASSERT_TRUE(ends.producer.try_push(entry(i)));
    ASSERT_TRUE(ends.producer.arm_wait());  // full
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(ends.consumer.try_pop());
    EXPECT_EQ(drain_eventfd(ends.producer.space_fd()), 1u);
    EXPECT_EQ(ends.consumer.syscalls().consumer_wakes, 1u);
    ends.producer.disarm_wait();
}

TEST(ShmRingWakeup, RunningPeers_MakeNoSyscall_AndEverySleepIsCountedOnItsSide) {
    auto ends = make_ring("counted", 8);
    for (std::uint32_t i = 0; i < 8; ++i) ASSERT_TRUE(ends.producer.try_push(entry(i)));
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(ends.consumer.try_pop());
    EXPECT_EQ(ends.consumer.syscalls().total(), 0u) << "nobody waited: nothing to wake";
    EXPECT_EQ(ends.consumer.wait_for_data(1ms).error().code, Errc::Timeout);
    const RingSyscalls after = ends.producer.syscalls();  // both views read the same counters
    EXPECT_GE(after.consumer_sleeps, 1u);
    EXPECT_EQ(after.producer_wakes + after.producer_sleeps + after.consumer_wakes, 0u);
}

// One producer thread and one consumer thread per ring, a tiny ring so that both sides keep
// running dry (empty ring, full ring) and sleep: every publish and pop races the other side's
// decision to sleep. The consumer of one ring sleeps on the futex (wait_for_data), that of the
// other on the eventfd (arm_wait + poll). No sleep is used to synchronise; every wait is bounded.
// Checked: every entry arrives once and in order, no wait times out, and each side's wake-ups
// number at most the times the other side announced a sleep (a wake-up per entry would not).
constexpr std::uint32_t kEntries = 60000;
constexpr auto kBound = 5s;  // far beyond any scheduling delay: reaching it means a lost wake-up

struct SideTally {
    std::uint64_t announced = 0;  // times this side called a wait (each raises its flag at least once)
    std::string failure;
};

void produce(RingProducer& producer, SideTally& tally) {
    std::uint32_t next = 0;
    while (next < kEntries) {
        std::array<RingEntry, 3> batch{};
        const std::uint32_t n = std::min<std::uint32_t>(1 + next % 3, kEntries - next);
        for (std::uint32_t i = 0; i < n; ++i) batch[i] = entry(next + i);
        const std::size_t pushed = producer.try_push(std::span(batch.data(), n));
        next += static_cast<std::uint32_t>(pushed);
        if (pushed == n) continue;
        ++tally.announced;
        if (auto waited = producer.wait_for_space(kBound); !waited) {
            tally.failure = "producer wait at entry " + std::to_string(next) + ": " + waited.error().message;
            return;
        }
    }
}

// Sleeps like an event loop: arm, re-check, poll the eventfd (bounded), drain it, disarm.
bool sleep_on_eventfd(RingConsumer& consumer, SideTally& tally) {
    ++tally.announced;
    if (consumer.arm_wait()) {
        pollfd pfd{consumer.data_fd(), POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(std::chrono::milliseconds(kBound).count())) != 1) {
            consumer.disarm_wait();
            return false;
        }
        (void)drain_eventfd(consumer.data_fd());
    }
    consumer.disarm_wait();
    return true;
}

void consume(RingConsumer& consumer, bool on_eventfd, SideTally& tally) {
    std::uint32_t expected = 0;
    while (expected < kEntries) {
        std::array<RingEntry, 4> out{};
        const std::size_t n = consumer.try_pop(out);
        for (std::size_t i = 0; i < n; ++i, ++expected) {
            if (out[i].frame.index != expected) {
                tally.failure = "entry " + std::to_string(out[i].frame.index) + " where " +
                                std::to_string(expected) + " was due";
                return;
            }
        }
        if (n > 0) continue;
        if (on_eventfd) {
            if (!sleep_on_eventfd(consumer, tally)) {
                tally.failure = "no eventfd signal within the bound at entry " + std::to_string(expected);
                return;
            }
        } else {
            ++tally.announced;
            if (auto waited = consumer.wait_for_data(kBound); !waited) {
                tally.failure =
                    "consumer wait at entry " + std::to_string(expected) + ": " + waited.error().message;
                return;
            }
        }
    }
}

TEST(ShmRingWakeup, PublishRacingSleep_LosesNoWakeUpAndWakesAtMostOncePerSleep) {
    auto futex_ring = make_ring("stress-futex", 4);
    auto eventfd_ring = make_ring("stress-eventfd", 4);
    struct Tallies {
        SideTally producer, consumer;
    } futex_side, eventfd_side;
    {
        std::jthread p1([&] { produce(futex_ring.producer, futex_side.producer); });
        std::jthread c1([&] { consume(futex_ring.consumer, false, futex_side.consumer); });
        std::jthread p2([&] { produce(eventfd_ring.producer, eventfd_side.producer); });
        std::jthread c2([&] { consume(eventfd_ring.consumer, true, eventfd_side.consumer); });
    }
    for (auto* t : {&futex_side, &eventfd_side}) {
        EXPECT_EQ(t->producer.failure, "");
        EXPECT_EQ(t->consumer.failure, "");
    }
    for (auto* ring : {&futex_ring, &eventfd_ring}) {
        const Tallies& t = ring == &futex_ring ? futex_side : eventfd_side;
        const RingSyscalls s = ring->producer.syscalls();
        SCOPED_TRACE(ring == &futex_ring ? "futex consumer" : "eventfd consumer");
        // The point of the test: both sides really slept, many times.
        EXPECT_GT(t.consumer.announced + t.producer.announced, 0u);
        // A wait raises the flag once per sleep attempt: its first raise, then one per futex
        // sleep it went back to (an eventfd sleeper re-arms only through a new announce).
        EXPECT_LE(s.producer_wakes, t.consumer.announced + s.consumer_sleeps);
        EXPECT_LE(s.consumer_wakes, t.producer.announced + s.producer_sleeps);
    }
}

}  // namespace
}  // namespace ksim::shm::wakeup_test

namespace ksim::shm::wakeup_test {
namespace {

// Returns once the consumer's wait made its sleep syscall (it counts it just before FUTEX_WAIT),
// so a publish after this finds it asleep or about to be, with its flag raised either way.
void until_consumer_sleeps(const RingProducer& producer, std::uint64_t sleeps) {
    while (producer.syscalls().consumer_sleeps < sleeps) std::this_thread::yield();
}

TEST(ShmRingWakeup, QuietPublish_LeavesALazyWaitAsleepUntilItsDeadline) {
    auto ends = make_ring("lazy", 8);
    constexpr auto kDeadline = 300ms;
    std::jthread consumer([&] {
        const auto start = std::chrono::steady_clock::now();
        auto waited = ends.consumer.wait_for_data(kDeadline, Wait::Lazily);
        EXPECT_TRUE(waited) << "the entry is there at the deadline";
        EXPECT_GE(std::chrono::steady_clock::now() - start, kDeadline) << "a quiet publish ended a lazy wait";
    });
    until_consumer_sleeps(ends.producer, 1);
    ASSERT_TRUE(ends.producer.try_push(entry(1), Publish::Quietly));
    consumer.join();
    EXPECT_EQ(ends.producer.syscalls().producer_wakes, 0u);
    EXPECT_EQ(ends.consumer.size(), 1u);  // waiting for whoever takes it next
}

TEST(ShmRingWakeup, QuietPublish_WakesAWaitForEveryEntry_AndAWakingPublishEndsALazyWait) {
    auto ends = make_ring("lazy-eager", 8);
    {
        std::jthread consumer([&] { EXPECT_TRUE(ends.consumer.wait_for_data(kBound)); });
        until_consumer_sleeps(ends.producer, 1);
        ASSERT_TRUE(ends.producer.try_push(entry(1), Publish::Quietly));
    }
    ASSERT_TRUE(ends.consumer.try_pop());
    {
        const auto slept = ends.producer.syscalls().consumer_sleeps;
        std::jthread consumer([&] { EXPECT_TRUE(ends.consumer.wait_for_data(kBound, Wait::Lazily)); });
        until_consumer_sleeps(ends.producer, slept + 1);
        ASSERT_TRUE(ends.producer.try_push(entry(2)));
    }
    EXPECT_EQ(ends.producer.syscalls().producer_wakes, 2u);
}

TEST(ShmRingWakeup, Interrupt_EndsALazyWait) {
    auto ends = make_ring("lazy-interrupt", 8);
    std::jthread consumer([&] { EXPECT_TRUE(ends.consumer.wait_for_data(kBound, Wait::Lazily)); });
    until_consumer_sleeps(ends.producer, 1);
    ends.consumer.interrupt();
}

}  // namespace
}  // namespace ksim::shm::wakeup_test
