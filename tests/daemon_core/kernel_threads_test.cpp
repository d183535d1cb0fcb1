// The Kernel with its real streaming threads and the steady clock: frames arrive at the
// configured rate through UserPinPort, waited for on a condition variable (no sleeps).
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <condition_variable>
#include <string>

#include "kernel_fixture.hpp"

namespace ksim::daemon::testing {
namespace {

using proto::PinHosting;
using proto::PinState;

// The calling thread's time slice as sched_getattr reports it (sched_runtime of a SCHED_OTHER
// thread: EEVDF's slice on Linux 6.12+), 0 if the call fails. The struct is the call's first
// version, which every kernel that has it accepts.
std::uint64_t own_time_slice_ns() {
    struct {
        std::uint32_t size, policy;
        std::uint64_t flags;
        std::int32_t nice;
        std::uint32_t priority;
        std::uint64_t runtime, deadline, period;
    } a{};
    if (::syscall(SYS_sched_getattr, 0, &a, sizeof a, 0) != 0) return 0;
    return a.runtime;
}

struct WaitingPort : UserPinPort {
    bool deliver(ClientId, const PinRef&, const shm::FrameDescriptor& f,
                 const proto::StreamHeader& h) override {
        std::lock_guard lock(mutex);
        char name[16] = {};
        ::pthread_getname_np(::pthread_self(), name, sizeof name);
        delivered_by = name;
        delivered_slice_ns = own_time_slice_ns();
        frames.push_back(f);
        headers.push_back(h);
        cv.notify_all();
        return true;
    }
    bool wait_for_frames(std::size_t n, std::chrono::seconds timeout) {
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, timeout, [&] { return frames.size() >= n; });
    }
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<shm::FrameDescriptor> frames;
    std::vector<proto::StreamHeader> headers;
    std::string delivered_by;              // name of the thread that delivered the last frame
    std::uint64_t delivered_slice_ns = 0;  // and its time slice
};

// Commits camera -> sink with a pool of `frames`, opens the user sink's stream for client 5 and
// runs both, sink first: the streaming thread then delivers through `port`.
::testing::AssertionResult stream_camera_to_user_sink(Kernel& kernel, const proto::Topology& t,
                                                      std::uint32_t frames) {
    const PinRef camera{"camera", "capture"}, sink{"sink", "input"};
    if (auto r = kernel.commit(default_commit(t, frames)); !r)
        return ::testing::AssertionFailure() << "commit: " << r.error().message;
    if (auto r = kernel.set_state(sink, PinState::Acquire, 5); !r)
        return ::testing::AssertionFailure() << "sink to ACQUIRE: " << r.error().message;
    if (auto r = kernel.open_stream(5, sink); !r)
        return ::testing::AssertionFailure() << "open_stream: " << r.error().message;
    if (auto r = kernel.set_state(sink, PinState::Run, 5); !r)
        return ::testing::AssertionFailure() << "sink to RUN: " << r.error().message;
    if (auto r = kernel.set_state(camera, PinState::Run, kDaemon); !r)
        return ::testing::AssertionFailure() << "camera to RUN: " << r.error().message;
    return ::testing::AssertionSuccess();
}

// The time slice the streaming thread of a camera had when it delivered one frame.
std::uint64_t streaming_slice_ns(std::chrono::microseconds requested) {
    const auto t = camera_to_sink(false, PinHosting::User, 4);
    RecordingEvents events;
    WaitingPort port;
    KernelOptions o;
    o.streaming_slice = requested;
    auto k = Kernel::create(t, o, events, port);
    EXPECT_TRUE(k.has_value());
    if (!k) return 0;
    Kernel& kernel = **k;
    const PinRef camera{"camera", "capture"};
    EXPECT_TRUE(stream_camera_to_user_sink(kernel, t, 4));
    EXPECT_TRUE(port.wait_for_frames(1, std::chrono::seconds(5))) << "no frame within 5 s";
    EXPECT_TRUE(kernel.set_state(camera, PinState::Stop, kDaemon).has_value());
    kernel.client_gone(5);
    kernel.shutdown();
    std::lock_guard lock(port.mutex);
    return port.delivered_slice_ns;
}

// KernelOptions::streaming_slice: the streaming thread asks for it (the viewer it wakes then
// preempts it, docs/performance.md); 0 leaves the default slice, the one this thread has.
TEST(KernelThreads, StreamingThread_RunsWithTheRequestedTimeSlice_OrTheDefaultForZero) {
    const std::uint64_t default_slice = own_time_slice_ns();
    if (default_slice == 0) GTEST_SKIP() << "sched_getattr reports no time slice (Linux before 6.12)";
    const std::uint64_t requested = 20'000'000;
    ASSERT_NE(default_slice, requested);
    EXPECT_EQ(streaming_slice_ns(std::chrono::microseconds(requested / 1000)), requested);
    EXPECT_EQ(streaming_slice_ns(std::chrono::microseconds(0)), default_slice);
}

TEST(KernelThreads, Kernel_StreamingThread_DeliversFramesAtTheFrameRateAndStopsCleanly) {
    const auto t = camera_to_sink(false, PinHosting::User, 4);
    RecordingEvents events;
    WaitingPort port;
    KernelOptions o;  // steady clock, streaming threads on
    auto k = Kernel::create(t, o, events, port);
    ASSERT_TRUE(k.has_value());
    Kernel& kernel = **k;
    const PinRef camera{"camera", "capture"};
    ASSERT_TRUE(stream_camera_to_user_sink(kernel, t, 4));
    // The client returns every frame it gets, from this thread, while the camera streams.
    std::size_t released = 0;
    while (released < 6) {
        ASSERT_TRUE(port.wait_for_frames(released + 1, std::chrono::seconds(5))) << "no frame within 5 s";
        shm::FrameDescriptor f;
        {
            std::lock_guard lock(port.mutex);
            f = port.frames[released];
        }
        ASSERT_TRUE(kernel.release_frame(5, f).has_value());
        ++released;
    }
    ASSERT_TRUE(kernel.set_state(camera, PinState::Stop, kDaemon).has_value());  // joins the thread
    std::lock_guard lock(port.mutex);
    EXPECT_EQ(port.delivered_by, "ksim-capture");  // named, so top and perf tell it apart
    for (std::size_t i = 1; i < port.headers.size(); ++i) {
        EXPECT_GT(port.headers[i].picture_number, port.headers[i - 1].picture_number);
        // PTS follow the absolute schedule: whole multiples of the frame period.
        EXPECT_EQ(port.headers[i].presentation_time.time % kPeriod, 0);
    }
    kernel.shutdown();
}

TEST(KernelThreads, Kernel_StateChangesWhileStreaming_NeitherDeadlockNorLeakFrames) {
    // A 1000 fps camera whose streaming thread races with RUN/PAUSE toggles and releases.
    auto t = camera_to_sink(false, PinHosting::User, 3);
    t.filters[0].video->fps_numerator = 1000;
    RecordingEvents events;
    WaitingPort port;
    auto k = Kernel::create(t, KernelOptions{}, events, port);
    ASSERT_TRUE(k.has_value());
    Kernel& kernel = **k;
    const PinRef camera{"camera", "capture"}, sink{"sink", "input"};
    ASSERT_TRUE(kernel.commit(default_commit(t, 3)).has_value());
    ASSERT_TRUE(kernel.set_state(sink, PinState::Acquire, 9).has_value());
    ASSERT_TRUE(kernel.open_stream(9, sink).has_value());
    ASSERT_TRUE(kernel.set_state(sink, PinState::Run, 9).has_value());
    std::size_t released = 0;
    for (int round = 0; round < 5; ++round) {
        ASSERT_TRUE(kernel.set_state(camera, PinState::Run, kDaemon).has_value());
        for (int i = 0; i < 3; ++i) {
            ASSERT_TRUE(port.wait_for_frames(released + 1, std::chrono::seconds(5)));
            shm::FrameDescriptor f;
            {
                std::lock_guard lock(port.mutex);
                f = port.frames[released];
            }
            ASSERT_TRUE(kernel.release_frame(9, f).has_value());
            ++released;
        }
        ASSERT_TRUE(
            kernel.set_state(camera, round % 2 ? PinState::Stop : PinState::Pause, kDaemon).has_value());
    }
    ASSERT_TRUE(kernel.set_state(camera, PinState::Stop, kDaemon).has_value());
    kernel.client_gone(9);  // frames delivered but not released come back here
    EXPECT_TRUE(kernel.ledger().empty());
    auto status = kernel.allocator_status(camera);
    ASSERT_TRUE(status.has_value());
    EXPECT_FALSE(status->active);  // every pin in STOP: allocator deleted
    kernel.shutdown();
}

TEST(KernelThreads, Fault_StallReleases_ItsTimerThreadEndsTheStallAndStreamingResumes) {
    // A pool of 2 frames and a 100 ms stall: the third frame can only arrive once the stall's
    // own timer (no test clock here) has given the first two back.
    auto t = camera_to_sink(false, PinHosting::User, 2);
    t.filters[0].video->fps_numerator = 100;
    proto::Fault f;
    f.kind = proto::FaultKind::StallReleases;
    f.pin = proto::PinRef{"sink", "input"};
    f.microseconds = 100'000;
    f.pointer = "/faults/0";
    t.faults.push_back(f);
    RecordingEvents events;
    WaitingPort port;
    auto k = Kernel::create(t, KernelOptions{}, events, port);
    ASSERT_TRUE(k.has_value());
    Kernel& kernel = **k;
    const PinRef camera{"camera", "capture"}, sink{"sink", "input"};
    ASSERT_TRUE(stream_camera_to_user_sink(kernel, t, 2));
    std::chrono::steady_clock::time_point stall_started;
    for (std::size_t released = 0; released < 3; ++released) {
        ASSERT_TRUE(port.wait_for_frames(released + 1, std::chrono::seconds(5))) << "frame " << released + 1;
        shm::FrameDescriptor frame;
        {
            std::lock_guard lock(port.mutex);
            frame = port.frames[released];
        }
        if (released == 0) stall_started = std::chrono::steady_clock::now();
        ASSERT_TRUE(kernel.release_frame(5, frame).has_value());
        if (released == 1) {
            std::size_t held = 0;
            for (const auto& e : kernel.ledger()) held += e.holder == sink && e.owner == kDaemon;
            EXPECT_EQ(held, 2u);  // released, but the pin holds them: the pool is dry
        }
    }
    EXPECT_GE(std::chrono::steady_clock::now() - stall_started, std::chrono::milliseconds(100));
    ASSERT_TRUE(kernel.set_state(camera, PinState::Stop, kDaemon).has_value());
    ASSERT_TRUE(kernel.set_state(sink, PinState::Stop, 5).has_value());  // joins the stall's timer
    kernel.client_gone(5);
    EXPECT_TRUE(kernel.ledger().empty());
    kernel.shutdown();
}

// Events a test can wait for (the streaming thread reports from its own thread).
struct WaitingEvents : EventSink {
    void on_event(const KernelEvent& e) override {
        std::lock_guard lock(mutex);
        if (e.type == KernelEvent::Type::FrameDropped) ++dropped_events;
        cv.notify_all();
    }
    bool wait_for_drop(std::chrono::seconds timeout) {
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, timeout, [&] { return dropped_events > 0; });
    }
    std::mutex mutex;
    std::condition_variable cv;
    int dropped_events = 0;
};

TEST(KernelThreads, Kernel_HostFallsFarBehindTheFrameClock_MissedPeriodsAreDroppedNotRenderedInABurst) {
    // The streaming thread runs on a fake clock that stands still, then jumps a thousand periods
    // at once, as if the host had stalled. Rendering that backlog tick by tick under the kernel
    // lock starved every request (ksimd stopped answering on an overloaded CI machine); the
    // thread must count the periods as dropped and resume at the present instead.
    const auto t = camera_to_sink(false, PinHosting::Kernel, 2);
    auto clock = std::make_shared<FakeClock>(1'000'000);
    WaitingEvents events;
    WaitingPort port;
    KernelOptions o;
    o.clock = clock;  // streaming threads on
    auto k = Kernel::create(t, o, events, port);
    ASSERT_TRUE(k.has_value());
    Kernel& kernel = **k;
    const PinRef camera{"camera", "capture"}, sink{"sink", "input"};
    ASSERT_TRUE(kernel.commit(default_commit(t, 2)).has_value());
    ASSERT_TRUE(kernel.set_state(sink, PinState::Run, kDaemon).has_value());
    ASSERT_TRUE(kernel.set_state(camera, PinState::Run, kDaemon).has_value());
    clock->advance(1000 * kPeriod);
    ASSERT_TRUE(events.wait_for_drop(std::chrono::seconds(10))) << "the streaming thread reported no drop";
    auto stats = kernel.stats(camera);
    ASSERT_TRUE(stats.has_value());
    EXPECT_EQ(stats->dropped, 1000u);
    EXPECT_EQ(stats->completed, 0u);  // nothing rendered for the missed periods
    ASSERT_TRUE(kernel.set_state(camera, PinState::Stop, kDaemon).has_value());
    ASSERT_TRUE(kernel.set_state(sink, PinState::Stop, kDaemon).has_value());
    EXPECT_TRUE(kernel.ledger().empty());
    kernel.shutdown();
}

}  // namespace
}  // namespace ksim::daemon::testing
