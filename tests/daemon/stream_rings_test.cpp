// The drain threads of StreamRings (daemon/server/src/stream_rings.cpp): they sleep until their
// to_daemon ring has data or they are stopped, so they still drain what a client publishes, and a
// stream close or a shutdown joins them at once instead of after a polling period.
#include "stream_rings.hpp"

#include <gtest/gtest.h>
#include <sched.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "ksim/shm/ring.hpp"

namespace ksim::daemon::server {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr ClientId kClient = 7;
constexpr int kStreams = 10;
// A drain thread that polled its stop token every 50 ms would need ~50 ms per close of a fresh
// stream; one woken by the stop request needs well under a millisecond. The bound leaves room
// for a sanitizer build on a loaded machine and still fails the polling design by far.
constexpr auto kPromptForAll = milliseconds(100);

shm::RingProducer client_side_of_to_daemon(StreamRings::Opened& opened) {
    for (auto& s : opened.shares)
        if (s.direction == wire::RingDirection::ToDaemon) {
            auto producer = shm::RingProducer::attach(std::move(s.share));
            EXPECT_TRUE(producer.has_value());
            return std::move(*producer);
        }
    ADD_FAILURE() << "no to_daemon ring granted";
    std::abort();
}

// Pushes one entry more than the ring holds: returns once the drain thread has taken entries,
// i.e. it is running its loop (and goes back to sleep on the empty ring right after).
void pass_a_ringful(shm::RingProducer& client) {
    for (std::uint32_t i = 0; i <= client.capacity(); ++i) {
        auto pushed =
            client.push(shm::RingEntry{.frame = shm::FrameDescriptor{1, i % 4, 0, 0}}, milliseconds(5000));
        ASSERT_TRUE(pushed.has_value()) << "entry " << i << ": " << pushed.error().message;
    }
}

TEST(StreamRings, ClosingAStreamWhoseDrainThreadSleeps_JoinsItPromptly) {
    StreamRings rings;  // no kernel: the drain threads pop and drop what they get
    rings.client_connected(kClient);
    Clock::duration closing{};
    for (int i = 0; i < kStreams; ++i) {
        auto opened = rings.open(kClient, PinRef{"viewer", "input"}, proto::PinDirection::In, 8, 1024);
        ASSERT_TRUE(opened.has_value()) << opened.error().message;
        shm::RingProducer client = client_side_of_to_daemon(*opened);
        pass_a_ringful(client);
        // Until the drain thread took the last entry too (its pop signals our armed wait, once per
        // arm): it is then back asleep on the empty ring, or about to be.
        while (client.arm_wait() || client.size() > 0) {
            ASSERT_TRUE(client.sleep_until_signalled(milliseconds(5000)).has_value());
            client.disarm_wait();
        }
        client.disarm_wait();
        const auto start = Clock::now();
        rings.close_client(kClient);  // joins the stream's drain thread
        closing += Clock::now() - start;
        rings.client_connected(kClient);
    }
    EXPECT_LT(closing, kPromptForAll) << "closing " << kStreams << " streams took "
                                      << std::chrono::duration_cast<milliseconds>(closing).count() << " ms";
}

TEST(StreamRings, CloseAll_JoinsEveryDrainThreadPromptly) {
    StreamRings rings;
    for (int i = 0; i < kStreams; ++i) {
        auto opened = rings.open(kClient + i, PinRef{"app", "output"}, proto::PinDirection::Out, 8, 1024);
        ASSERT_TRUE(opened.has_value()) << opened.error().message;
    }
    const auto start = Clock::now();
    rings.close_all();
    EXPECT_LT(Clock::now() - start, kPromptForAll);
}

TEST(StreamRings, ADrainThreadAsleepOnAnEmptyRing_WakesForWhatTheClientPublishes) {
    StreamRings rings;
    auto opened = rings.open(kClient, PinRef{"app", "output"}, proto::PinDirection::Out, 8, 1024);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    shm::RingProducer client = client_side_of_to_daemon(*opened);
    // Three rounds: each push beyond capacity only succeeds once the drain thread woke up (on
    // the ring's data eventfd) and took the entries.
    for (int round = 0; round < 3; ++round) pass_a_ringful(client);
    rings.close_all();
}

// The scheduling policy of each of this process's threads, by thread name.
std::multimap<std::string, int> policies_by_thread_name() {
    std::multimap<std::string, int> out;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream comm(task.path() / "comm");
        std::string name;
        if (!std::getline(comm, name)) continue;  // the thread ended meanwhile
        const pid_t tid = std::stoi(task.path().filename().string());
        out.emplace(name, ::sched_getscheduler(tid));
    }
    return out;
}

// Releases from a sink client must not preempt it (SCHED_BATCH); submissions from a source
// client are on their way downstream and keep the normal policy. The names make both visible.
TEST(StreamRings, DrainThreads_AreNamedForTheirJob_AndOnlyTheReleaseThreadIsBatch) {
    StreamRings rings;
    auto sink = rings.open(kClient, PinRef{"viewer", "input"}, proto::PinDirection::In, 8, 1024);
    auto source = rings.open(kClient, PinRef{"app", "output"}, proto::PinDirection::Out, 8, 1024);
    ASSERT_TRUE(sink.has_value()) << sink.error().message;
    ASSERT_TRUE(source.has_value()) << source.error().message;
    shm::RingProducer releases = client_side_of_to_daemon(*sink);
    shm::RingProducer submissions = client_side_of_to_daemon(*source);
    pass_a_ringful(releases);  // each drain thread is now in its loop: named and scheduled
    pass_a_ringful(submissions);

    const auto threads = policies_by_thread_name();
    ASSERT_EQ(threads.count(kReleaseThreadName), 1u);
    ASSERT_EQ(threads.count(kSubmitThreadName), 1u);
    EXPECT_EQ(threads.find(kReleaseThreadName)->second, SCHED_BATCH);
    EXPECT_EQ(threads.find(kSubmitThreadName)->second, SCHED_OTHER);
    rings.close_all();
}

}  // namespace
}  // namespace ksim::daemon::server
