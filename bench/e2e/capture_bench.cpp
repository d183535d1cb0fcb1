// The capture case: the daemon -> client hop of a frame from ksimd's simulated camera (30 fps,
// kernel-hosted, a format whose image is exactly the frame size) to a viewer asleep in
// next_frame; hop = next_frame's return - FrameView::delivered_at() (the ring's publish time).
// The baseline is a producer process that writes a frame and pushes it on a raw eventfd ring at
// the same rate to a consumer that spins 20 us and sleeps, as libksim's does; hop = pop - push.
//
// Why rounds: on the 2-CPU VM the p50 of a wake-up at 30 fps drifts by about 15 % from minute
// to minute, so a baseline measured a minute before the ksim row made the ratio wander
// (1.02-1.44x over three runs of the same code). One row per size therefore interleaves the two:
// kRounds rounds of kFramesPerRound frames from each side, the order alternating (raw first in
// even rounds, ksim first in odd ones) so that each side is first as often as second and a drift
// within a round, or whatever a switch leaves behind, weighs on both alike. While one side is
// measured the other is quiet: the raw producer sleeps in read() between bursts and the camera
// is paused (RUN -> PAUSE ends its streaming thread). The first frame after each switch only
// settles things and is not counted, on either side.
//
// Counters (us): raw_p50/p99 and hop_p50/p99 pooled over the rounds; hop_x_p50/p99 = pooled
// ksim / pooled raw; hop_x_p50_rounds = the median over rounds of (ksim p50 / raw p50 of the
// same round), the headline: each of its ratios compares samples taken seconds apart, and the
// median discards a round the machine disturbed. The label lists the rounds' ratios. Manual
// time = ksim hop (an iteration is a round; its time is the round's mean ksim hop).
// sys_per_frame / sys_per_release: syscalls on the viewer's two rings (both processes) during
// the ksim bursts, per frame taken (syscall_counts.hpp).
//
// Load (the second argument, load:0 or load:2): with load:2 the row starts two CPU-bound
// children (cpu_load.hpp) before its rounds and kills them after, so one run prints the idle
// and the loaded ratios side by side; the goal is a loaded ratio no worse than the idle one.
// Scheduler figures per counted frame (sched_stats.hpp, us or switches-in): *_wait_us is the
// run-queue wait (runnable, not on a CPU), *_runs the times put on a CPU, *_preempted the times
// taken off one while runnable, *_cpu_us the time on one, of the raw consumer
// (cons) and producer process (prod), and of the viewer (view) and ksimd's streaming thread
// of the camera (cap), each taken over the counted frames of its side's bursts.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "bench_stack.hpp"
#include "cpu_load.hpp"
#include "latency_stats.hpp"
#include "periodic_producer.hpp"
#include "sched_stats.hpp"
#include "syscall_counts.hpp"

namespace {

using namespace std::chrono_literals;
using ksim::bench::Clock;
using ksim::bench::micros;

// Many short rounds rather than a few long ones: a burst tends to keep one level from its first
// frame to its last (measured at 4 KiB: within a burst of 50 the middle half of the hops spans
// about 10 us, while the bursts' p50s ranged over 25-57 us, on both sides), so the number of
// bursts per side, not of frames, sets how well the two sides are compared.
// 20 x (1 + 15) x 2 frames = 21.3 s at 30 fps.
constexpr int kRounds = 20;
constexpr std::uint32_t kFramesPerRound = 15;  // per side
constexpr std::uint32_t kSettleFrames = 1;     // taken after each switch, not counted
constexpr auto kConsumerSpin = 20us;           // libksim's next_frame spin budget on 2+ CPUs

// One side's scheduler figures over its counted frames: the thread that takes the frames (this
// one) and the one that publishes them (the raw producer process, ksimd's streaming thread).
struct SideSched {
    ksim::bench::SchedStat consumer, producer;
};

// This thread's and the producer's figures now; the producer is the thread(s) of `pid` named
// `name`, or the process `pid` itself when `name` is empty.
struct SchedPoint {
    ksim::bench::SchedStat consumer, producer;
    static SchedPoint take(pid_t pid, const char* name) {
        const pid_t self = ::getpid(), tid = ::gettid();
        return SchedPoint{ksim::bench::sched_stat(self, tid), *name ? ksim::bench::sched_stat_named(pid, name)
                                                                    : ksim::bench::sched_stat(pid, pid)};
    }
};

void add_span(SideSched& side, const SchedPoint& from, const SchedPoint& to) {
    side.consumer += to.consumer - from.consumer;
    side.producer += to.producer - from.producer;
}

// Takes one burst from the raw baseline; the error, or empty.
std::string measure_raw(ksim::bench::PeriodicProducer& producer, std::uint64_t& sequence,
                        std::vector<double>& hops, SideSched& sched) {
    if (!producer.produce(kSettleFrames + kFramesPerRound)) return "raw producer: command lost";
    SchedPoint from;
    for (std::uint32_t i = 0; i < kSettleFrames + kFramesPerRound; ++i) {
        if (i == kSettleFrames) from = SchedPoint::take(producer.pid(), "");
        ksim::bench::RawEntry got;
        if (!producer.next(got, kConsumerSpin)) return "raw periodic ring failed";
        const auto end = Clock::now();
        if (got.sequence != ++sequence)
            return "raw periodic hand-off " + std::to_string(sequence) + " lost: got " +
                   std::to_string(got.sequence);
        if (i >= kSettleFrames)
            hops.push_back(micros(end - Clock::time_point(Clock::duration(got.pushed_ns))));
    }
    add_span(sched, from, SchedPoint::take(producer.pid(), ""));
    return {};
}

// The camera's frames must arrive whole and in order (picture numbers grow; a gap is a frame
// the camera dropped, which the row tolerates as before).
std::string check_capture(const ksim::Result<ksim::client::FrameView>& in, std::uint32_t size,
                          std::int64_t& last_picture) {
    if (!in) return "capture: " + in.error().message;
    if (in->bytes().size() != size || in->header().picture_number <= last_picture)
        return "capture frame short or out of order: " + std::to_string(in->bytes().size()) +
               " bytes, picture " + std::to_string(in->header().picture_number) + " after " +
               std::to_string(last_picture);
    last_picture = in->header().picture_number;
    return {};
}

constexpr const char* kCaptureThread = "ksim-capture";  // ksimd's streaming thread (kernel_state.cpp)

// Runs the camera for one burst, then pauses it; the error, or empty.
// `frames` counts every frame taken, settling and late ones included (the syscalls they cost
// are counted too).
std::string measure_ksim(ksim::bench::BenchStack& stack, ksim::client::Stream& stream, std::uint32_t size,
                         std::int64_t& last_picture, std::vector<double>& hops, std::uint64_t& frames,
                         SideSched& sched) {
    if (!stack.resume_capture(size)) return "resume the camera: " + stack.error();
    SchedPoint from;
    for (std::uint32_t i = 0; i < kSettleFrames + kFramesPerRound; ++i, ++frames) {
        if (i == kSettleFrames) from = SchedPoint::take(stack.daemon_pid(), kCaptureThread);
        auto in = stream.next_frame(5s);
        const auto end = Clock::now();
        if (auto error = check_capture(in, size, last_picture); !error.empty()) return error;
        if (i >= kSettleFrames) hops.push_back(micros(end - in->delivered_at()));
    }  // each frame goes back to the camera's pool at the end of its iteration
    add_span(sched, from, SchedPoint::take(stack.daemon_pid(), kCaptureThread));  // before PAUSE ends it
    if (!stack.pause_capture(size)) return "pause the camera: " + stack.error();
    // A frame published between the last one taken and the pause would open the next ksim burst
    // with a hop as long as the raw burst: take it out now (the pause's reply comes after it).
    for (;;) {
        auto late = stream.next_frame(0ms);
        if (!late && late.error().code == ksim::Errc::Timeout) return {};
        ++frames;
        if (auto error = check_capture(late, size, last_picture); !error.empty()) return error;
    }
}

void BM_KsimCaptureInterleaved(benchmark::State& state) {
    const auto size = static_cast<std::uint32_t>(state.range(0));
    const auto load = ksim::bench::CpuLoad::start(static_cast<int>(state.range(1)));
    if (!load) return state.SkipWithError("CPU load: a burner did not start");
    ksim::bench::BenchStack& stack = ksim::bench::shared_stack();
    ksim::client::Stream* stream = stack.open_capture(size);
    if (!stream) return state.SkipWithError(("ksim capture: " + stack.error()).c_str());
    auto producer = ksim::bench::PeriodicProducer::start(size, ksim::bench::kCameraFps);
    if (!producer) {
        stack.close_capture(size);
        return state.SkipWithError("raw producer setup");
    }

    std::vector<double> raw_all, ksim_all, round_x_p50;
    std::uint64_t raw_sequence = 0;
    std::int64_t last_picture = -1;
    std::string label = "rounds' hop_x_p50:";
    // The viewer's rings see traffic only during the ksim bursts (the camera is paused during
    // the raw ones), so one snapshot around the whole loop counts exactly the bursts' syscalls.
    std::uint64_t ksim_frames = 0;
    const auto syscalls_before = ksim::bench::syscalls_of(nullptr, *stream);
    SideSched raw_sched, ksim_sched;
    auto ksim_burst = [&](std::vector<double>& hops) {
        return measure_ksim(stack, *stream, size, last_picture, hops, ksim_frames, ksim_sched);
    };
    for (auto _ : state) {
        std::vector<double> raw, ksim;
        const bool raw_first = round_x_p50.size() % 2 == 0;
        std::string error =
            raw_first ? measure_raw(*producer, raw_sequence, raw, raw_sched) : ksim_burst(ksim);
        if (error.empty())
            error = raw_first ? ksim_burst(ksim) : measure_raw(*producer, raw_sequence, raw, raw_sched);
        if (!error.empty()) {
            state.SkipWithError(error.c_str());
            break;
        }
        raw_all.insert(raw_all.end(), raw.begin(), raw.end());
        ksim_all.insert(ksim_all.end(), ksim.begin(), ksim.end());
        const double ksim_mean_us =
            std::accumulate(ksim.begin(), ksim.end(), 0.0) / static_cast<double>(ksim.size());
        state.SetIterationTime(ksim_mean_us / 1e6);
        const double x = ksim::bench::percentiles(ksim).p50 / ksim::bench::percentiles(raw).p50;
        round_x_p50.push_back(x);
        char text[16];
        std::snprintf(text, sizeof text, " %.2f", x);
        label += text;
    }
    const auto ksim_syscalls = ksim::bench::syscalls_of(nullptr, *stream) - syscalls_before;
    producer.reset();
    stack.close_capture(size);
    if (state.error_occurred() || raw_all.empty()) return;

    const auto raw = ksim::bench::percentiles(raw_all), hop = ksim::bench::percentiles(ksim_all);
    state.counters["raw_p50_us"] = raw.p50;
    state.counters["raw_p99_us"] = raw.p99;
    state.counters["hop_p50_us"] = hop.p50;
    state.counters["hop_p99_us"] = hop.p99;
    state.counters["hop_x_p50"] = hop.p50 / raw.p50;
    state.counters["hop_x_p99"] = hop.p99 / raw.p99;
    state.counters["hop_x_p50_rounds"] = ksim::bench::median(round_x_p50);
    ksim::bench::report_syscalls(state, ksim_syscalls, ksim_frames, false);
    auto report_sched = [&](const std::string& prefix, const ksim::bench::SchedStat& s, std::size_t frames) {
        const auto n = static_cast<double>(frames);
        state.counters[prefix + "_wait_us"] = static_cast<double>(s.wait_ns) / 1e3 / n;
        state.counters[prefix + "_runs"] = static_cast<double>(s.runs) / n;
        state.counters[prefix + "_preempted"] = static_cast<double>(s.preempted) / n;
        state.counters[prefix + "_cpu_us"] = static_cast<double>(s.run_ns) / 1e3 / n;
    };
    report_sched("cons", raw_sched.consumer, raw_all.size());
    report_sched("prod", raw_sched.producer, raw_all.size());
    report_sched("view", ksim_sched.consumer, ksim_all.size());
    report_sched("cap", ksim_sched.producer, ksim_all.size());
    state.SetLabel(label);
}

BENCHMARK(BM_KsimCaptureInterleaved)
    ->ArgNames({"size", "load"})
    ->Apply([](benchmark::internal::Benchmark* b) {
        for (auto s : ksim::bench::kFrameSizes)
            for (int burners : {0, 2}) b->Args({s, burners});
    })
    ->UseManualTime()
    ->Iterations(kRounds)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
