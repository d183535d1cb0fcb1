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
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "bench_stack.hpp"
#include "latency_stats.hpp"
#include "periodic_producer.hpp"
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

// Takes one burst from the raw baseline; the error, or empty.
std::string measure_raw(ksim::bench::PeriodicProducer& producer, std::uint64_t& sequence,
                        std::vector<double>& hops) {
    if (!producer.produce(kSettleFrames + kFramesPerRound)) return "raw producer: command lost";
    for (std::uint32_t i = 0; i < kSettleFrames + kFramesPerRound; ++i) {
        ksim::bench::RawEntry got;
        if (!producer.next(got, kConsumerSpin)) return "raw periodic ring failed";
        const auto end = Clock::now();
        if (got.sequence != ++sequence)
            return "raw periodic hand-off " + std::to_string(sequence) + " lost: got " +
                   std::to_string(got.sequence);
        if (i >= kSettleFrames)
            hops.push_back(micros(end - Clock::time_point(Clock::duration(got.pushed_ns))));
    }
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

// Runs the camera for one burst, then pauses it; the error, or empty.
// `frames` counts every frame taken, settling and late ones included (the syscalls they cost
// are counted too).
std::string measure_ksim(ksim::bench::BenchStack& stack, ksim::client::Stream& stream, std::uint32_t size,
                         std::int64_t& last_picture, std::vector<double>& hops, std::uint64_t& frames) {
    if (!stack.resume_capture(size)) return "resume the camera: " + stack.error();
    for (std::uint32_t i = 0; i < kSettleFrames + kFramesPerRound; ++i, ++frames) {
        auto in = stream.next_frame(5s);
        const auto end = Clock::now();
        if (auto error = check_capture(in, size, last_picture); !error.empty()) return error;
        if (i >= kSettleFrames) hops.push_back(micros(end - in->delivered_at()));
    }  // each frame goes back to the camera's pool at the end of its iteration
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
    auto ksim_burst = [&](std::vector<double>& hops) {
        return measure_ksim(stack, *stream, size, last_picture, hops, ksim_frames);
    };
    for (auto _ : state) {
        std::vector<double> raw, ksim;
        const bool raw_first = round_x_p50.size() % 2 == 0;
        std::string error = raw_first ? measure_raw(*producer, raw_sequence, raw) : ksim_burst(ksim);
        if (error.empty()) error = raw_first ? ksim_burst(ksim) : measure_raw(*producer, raw_sequence, raw);
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
    state.SetLabel(label);
}

BENCHMARK(BM_KsimCaptureInterleaved)
    ->ArgName("size")
    ->Apply([](benchmark::internal::Benchmark* b) {
        for (auto s : ksim::bench::kFrameSizes) b->Arg(s);
    })
    ->UseManualTime()
    ->Iterations(kRounds)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
