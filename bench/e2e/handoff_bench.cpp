// Frame hand-off latency. A user-mode source submits a frame, ksimd validates and routes its
// descriptor, a user-mode sink receives it: two cross-process hops (client -> ksimd -> client),
// as every frame of a user-mode chain travels. The baseline, measured in the same run, makes the
// same two hops through raw eventfd rings (parent -> relay child -> parent). Both sides touch
// the frame's first byte, so the content really crosses.
//
// Two figures per row:
//   hop_*  the daemon -> client hand-off the issue asks about: from the moment ksimd publishes
//          the descriptor on the sink's ring (the ring's publish time, FrameView::delivered_at)
//          to the moment next_frame returns it; for the baseline, from the relay's push to the
//          parent's pop. One clock (CLOCK_MONOTONIC) serves both processes.
//   rt_*   the whole round trip, submit -> next_frame, which adds the client -> ksimd hop and
//          ksimd's routing (against relay wake-up and copy for the baseline).
// p50/p99 in microseconds; the ksim rows add x_* ratios against the plain raw ring of the same
// size and x_spin_* against the raw ring whose consumer spins 20 us before sleeping, as libksim's
// next_frame does (like for like), and the syscalls per frame of every ring involved, both
// processes (sys_per_frame: submit + delivery rings; sys_per_release: the consumer's release
// ring; sys_per_acquire: the producer's free-frame ring; see syscall_counts.hpp), and the CPU
// time per round trip of the bench process and of ksimd or the relay (cpu_us_per_rt_*,
// cpu_cost.hpp).
//
// Busy-poll rows: BM_KsimClientToClientBusyPoll runs on a second ksimd started with
// --busy-poll-drain whose pairs' streams are both opened with StreamOptions::busy_poll, against
// BM_RawEventfdRingBusyPoll, the relay whose two consumers poll (x_busy_* ratios), and against
// iceoryx's busy-poll one hop (x_iceoryx_busy_hop_p50 = ksim's two-hop round trip p50 / one
// iceoryx busy hop p50). Each busy row first waits until no drain of that ksimd polls any more,
// and afterwards reports ksimd's CPU in the 1.2 s after its last frame (ksimd_cpu_pct_after:
// the quiet stream's drain polling on for 1 s).
//
// The capture case (the same hop from ksimd's simulated camera to a viewer asleep in
// next_frame, measured in interleaved rounds) is in capture_bench.cpp.
#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "bench_child.hpp"
#include "bench_stack.hpp"
#include "cpu_cost.hpp"
#include "iceoryx_bench.hpp"
#include "latency_stats.hpp"
#include "peer_baselines.hpp"
#include "raw_ring.hpp"
#include "syscall_counts.hpp"

namespace {

using namespace std::chrono_literals;
using ksim::bench::Clock;
using ksim::bench::micros;
using ksim::bench::Percentiles;
using ksim::bench::percentiles;
using ksim::bench::RawEntry;
using ksim::bench::RawRing;

using ksim::bench::kFrameSizes;

// Samples of one row, in microseconds.
struct Samples {
    std::vector<double> round_trip;
    std::vector<double> hop;  // the last hop: relay/ksimd -> consumer

    explicit Samples(std::size_t n) {
        round_trip.reserve(n);
        hop.reserve(n);
    }
};

struct Row {
    Percentiles round_trip, hop;
};
std::map<std::uint32_t, Row> g_raw;       // filled by the baseline rows, read by the ksim rows
std::map<std::uint32_t, Row> g_raw_spin;  // the same with libksim's consumer spin
std::map<std::uint32_t, Row> g_raw_busy;  // the same with polling consumers (busy-poll rows)

Row report(benchmark::State& state, Samples& samples) {
    const Row row{percentiles(samples.round_trip), percentiles(samples.hop)};
    state.counters["hop_p50_us"] = row.hop.p50;
    state.counters["hop_p99_us"] = row.hop.p99;
    if (samples.round_trip.empty()) return row;
    state.counters["rt_p50_us"] = row.round_trip.p50;
    state.counters["rt_p99_us"] = row.round_trip.p99;
    return row;
}

// The ksim row against a baseline row of the same size, if that baseline ran.
void ratios(benchmark::State& state, const Row& ksim, const std::map<std::uint32_t, Row>& baseline,
            const std::string& suffix) {
    auto raw = baseline.find(static_cast<std::uint32_t>(state.range(0)));
    if (raw == baseline.end() || raw->second.hop.p50 <= 0) return;
    state.counters["hop_x" + suffix + "_p50"] = ksim.hop.p50 / raw->second.hop.p50;
    state.counters["hop_x" + suffix + "_p99"] = ksim.hop.p99 / raw->second.hop.p99;
    if (raw->second.round_trip.p50 <= 0) return;  // one-hop rows have no round trip
    state.counters["rt_x" + suffix + "_p50"] = ksim.round_trip.p50 / raw->second.round_trip.p50;
    state.counters["rt_x" + suffix + "_p99"] = ksim.round_trip.p99 / raw->second.round_trip.p99;
}

// The raw ring relay: parent -> relay child -> parent. `spin`: the final consumer's spin
// budget before it sleeps (0 = plain eventfd wait; 20 us = what libksim's next_frame does on
// 2+ CPUs), the relay never spins (ksimd's drain threads do not either). `polled`: both
// consumers, relay and parent, poll their rings and never sleep (RawRing::create(true)), the
// baseline of the busy-poll rows.
Row raw_ping_pong(benchmark::State& state, std::chrono::microseconds spin, bool polled) {
    const auto size = static_cast<std::size_t>(state.range(0));
    void* frame = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    RawRing* there = RawRing::create(polled);
    RawRing* back = RawRing::create(polled);
    if (frame == MAP_FAILED || !there || !back) {
        state.SkipWithError("setup");
        return {};
    }
    auto* first = static_cast<volatile std::uint8_t*>(frame);
    const pid_t relay = ::fork();
    if (relay == 0) {
        for (RawEntry e; there->pop(e);) {
            if (e.index == 0xFFFFFFFFu) ::_exit(0);
            e.data_used = *first;  // the relay reads the frame, like a consumer would
            while (!back->push(e)) {
            }
        }
        ::_exit(1);
    }
    Samples samples(static_cast<std::size_t>(state.max_iterations));
    std::uint64_t n = 0;
    const auto cpu_before = ksim::bench::cpu_now(relay);
    for (auto _ : state) {
        ++n;
        *first = static_cast<std::uint8_t>(n);
        const auto start = Clock::now();
        RawEntry e{1, 0, static_cast<std::uint32_t>(n), static_cast<std::uint32_t>(size), n, 0};
        RawEntry got;
        if (!there->push(e) || !back->pop(got, spin) || got.data_used != (n & 0xFF)) {
            state.SkipWithError("raw hand-off lost or content wrong");
            break;
        }
        const auto end = Clock::now();
        state.SetIterationTime(std::chrono::duration<double>(end - start).count());
        samples.round_trip.push_back(micros(end - start));
        samples.hop.push_back(micros(end - Clock::time_point(Clock::duration(got.pushed_ns))));
    }
    ksim::bench::report_cpu(state, cpu_before, ksim::bench::cpu_now(relay), n, "relay");
    (void)there->push(RawEntry{1, 0xFFFFFFFFu, 0, 0, 0, 0});
    int status = 0;
    ::waitpid(relay, &status, 0);
    RawRing::destroy(there);
    RawRing::destroy(back);
    ::munmap(frame, size);
    return report(state, samples);
}

// range(1): the final consumer's spin budget in microseconds (see raw_ping_pong).
void BM_RawEventfdRing(benchmark::State& state) {
    const std::chrono::microseconds spin(state.range(1));
    const Row row = raw_ping_pong(state, spin, false);
    (spin.count() > 0 ? g_raw_spin : g_raw)[static_cast<std::uint32_t>(state.range(0))] = row;
}

// Forked after the blocking ksim rows started libksim's threads: the relay child only touches
// the raw rings and _exits, so no lock one of those threads held can matter.
void BM_RawEventfdRingBusyPoll(benchmark::State& state) {
    g_raw_busy[static_cast<std::uint32_t>(state.range(0))] =
        raw_ping_pong(state, std::chrono::microseconds(0), true);
}

// The ksim round trip through `stack`'s pair of the row's size: submit -> ksimd -> next_frame.
Row ksim_ping_pong(benchmark::State& state, ksim::bench::BenchStack& stack) {
    const auto size = static_cast<std::uint32_t>(state.range(0));
    ksim::bench::Pair* pair = stack.pair(size);
    if (!pair) {
        state.SkipWithError(("ksim stack: " + stack.error()).c_str());
        return {};
    }
    Samples samples(static_cast<std::size_t>(state.max_iterations));
    std::uint64_t n = 0;
    const auto syscalls_before = ksim::bench::syscalls_of(pair->producer.get(), *pair->consumer);
    const auto cpu_before = ksim::bench::cpu_now(stack.daemon_pid());
    for (auto _ : state) {
        ++n;
        auto out = pair->producer->acquire_frame(5s);  // a free frame: not part of the hand-off
        if (!out) {
            state.SkipWithError(("acquire: " + out.error().message).c_str());
            break;
        }
        out->bytes()[0] = static_cast<std::byte>(n);
        const auto start = Clock::now();
        if (auto r = out->submit(size); !r) {
            state.SkipWithError(("submit: " + r.error().message).c_str());
            break;
        }
        auto in = pair->consumer->next_frame(5s);
        const auto end = Clock::now();
        if (!in || in->bytes().size() != size || in->bytes()[0] != static_cast<std::byte>(n)) {
            state.SkipWithError("ksim hand-off lost or content wrong");
            break;
        }
        state.SetIterationTime(std::chrono::duration<double>(end - start).count());
        samples.round_trip.push_back(micros(end - start));
        samples.hop.push_back(micros(end - in->delivered_at()));
    }  // `in` goes back to its pool at the end of each iteration
    ksim::bench::report_cpu(state, cpu_before, ksim::bench::cpu_now(stack.daemon_pid()), n, "ksimd");
    ksim::bench::report_syscalls(
        state, ksim::bench::syscalls_of(pair->producer.get(), *pair->consumer) - syscalls_before, n, true);
    return report(state, samples);
}

// The ksim round trip (two hops) against one hop of the iceoryx peer `peer`, if its row ran:
// counter `name` = ksim rt p50 / peer one-hop p50.
void against_peer(benchmark::State& state, const Row& ksim, const char* peer, const std::string& name) {
    if (auto found = ksim::bench::find_peer(peer, static_cast<std::uint32_t>(state.range(0)));
        found && found->one_hop.p50 > 0)
        state.counters[name] = ksim.round_trip.p50 / found->one_hop.p50;
}

void BM_KsimClientToClient(benchmark::State& state) {
    const Row row = ksim_ping_pong(state, ksim::bench::shared_stack());
    ratios(state, row, g_raw, "");
    ratios(state, row, g_raw_spin, "_spin");  // like for like: the consumer spins as libksim's does
    against_peer(state, row, ksim::bench::kIceoryxBlocking, "x_iceoryx_hop_p50");
}

// A busy-poll drain polls for up to 1 s (ksimd's kBusyPollIdle) after its stream's last
// submission, or its open; waiting a little longer lets every drain of the stack fall asleep.
constexpr auto kPollsEnd = 1200ms;

// Busy-poll: ksimd with --busy-poll-drain, both streams StreamOptions::busy_poll; against the
// raw relay whose consumers poll (rt_x_busy_*, hop_x_busy_*) and iceoryx's busy-poll one hop.
void BM_KsimClientToClientBusyPoll(benchmark::State& state) {
    ksim::bench::BenchStack& stack = ksim::bench::shared_busy_poll_stack();
    // Only this row's drain polls during the row: the stack's other pairs were opened, or
    // measured by the row before, less than a second ago.
    std::this_thread::sleep_for(kPollsEnd);
    const Row row = ksim_ping_pong(state, stack);
    ratios(state, row, g_raw_busy, "_busy");
    against_peer(state, row, ksim::bench::kIceoryxBusyPoll, "x_iceoryx_busy_hop_p50");
    // What the drain costs once its stream goes quiet: ksimd's CPU over the next kPollsEnd, in
    // percent of one CPU (the drain polls for 1 s of it, then sleeps).
    const auto quiet = ksim::bench::cpu_now(stack.daemon_pid());
    std::this_thread::sleep_for(kPollsEnd);
    const auto later = ksim::bench::cpu_now(stack.daemon_pid());
    state.counters["ksimd_cpu_pct_after"] = 100.0 * static_cast<double>(later.peer_ns - quiet.peer_ns) /
                                            static_cast<double>(std::chrono::nanoseconds(kPollsEnd).count());
}

void sizes(benchmark::internal::Benchmark* b) {
    for (auto s : kFrameSizes) b->Arg(s);
    b->UseManualTime()->Iterations(5000)->Unit(benchmark::kMicrosecond);
}

void raw_sizes(benchmark::internal::Benchmark* b) {
    for (std::int64_t spin_us : {0, 20})
        for (auto s : kFrameSizes) b->Args({s, spin_us});
    b->ArgNames({"size", "spin_us"})->UseManualTime()->Iterations(5000)->Unit(benchmark::kMicrosecond);
}

// Baselines first: the ksim rows divide by them. This file is the first of the bench's sources,
// so the peer rows it registers here come before every other file's rows.
const bool g_peer_rows = (ksim::bench::register_iceoryx_rows(), true);
BENCHMARK(BM_RawEventfdRing)->Apply(raw_sizes);
BENCHMARK(BM_KsimClientToClient)->Apply(sizes);
BENCHMARK(BM_RawEventfdRingBusyPoll)->Apply(sizes);
BENCHMARK(BM_KsimClientToClientBusyPoll)->Apply(sizes);

}  // namespace

int main(int argc, char** argv) {
    if (const int child = ksim::bench::run_bench_child(argc, argv); child >= 0) return child;
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    if (const char* note = ksim::bench::iceoryx_skip_note()) std::fprintf(stderr, "%s\n", note);
    benchmark::RunSpecifiedBenchmarks();
    ksim::bench::stop_shared_stack();  // stops ksimd
    benchmark::Shutdown();
    return 0;
}
