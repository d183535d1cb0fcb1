// Frame hand-off latency, end to end: a user-mode source submits a frame, ksimd validates and
// routes its descriptor, a user-mode sink receives it (two cross-process hops: client -> ksimd
// -> client, as every frame of a user-mode chain travels). The baseline, measured in the same
// run, makes the same two hops through raw eventfd rings (parent -> relay child -> parent).
// Both sides touch the frame's first byte, so the content really crosses. Counters: p50_us,
// p99_us per size; the ksim rows add ratio_p50/ratio_p99 against the plain raw ring of the same
// size and ratio_p50_spin/ratio_p99_spin against the raw ring whose consumer spins 20 us before
// sleeping, as libksim's next_frame does (like for like).
#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <vector>

#include "bench_stack.hpp"
#include "raw_ring.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using ksim::bench::RawEntry;
using ksim::bench::RawRing;

constexpr std::uint32_t k4KiB = 4096;
constexpr std::uint32_t k1MiB = 1u << 20;
constexpr std::uint32_t k1080pNv12 = 1920 * 1080 * 3 / 2;
constexpr std::uint32_t k8MiB = 8u << 20;
const std::vector<std::uint32_t> kSizes{k4KiB, k1MiB, k1080pNv12, k8MiB};

struct Percentiles {
    double p50 = 0, p99 = 0;
};
std::map<std::uint32_t, Percentiles> g_raw;       // filled by the baseline rows, read by the ksim rows
std::map<std::uint32_t, Percentiles> g_raw_spin;  // the same with libksim's consumer spin
std::unique_ptr<ksim::bench::BenchStack> g_stack;

Percentiles report(benchmark::State& state, std::vector<double>& us) {
    Percentiles p;
    if (us.empty()) return p;
    std::ranges::sort(us);
    p.p50 = us[(us.size() - 1) / 2];
    p.p99 = us[static_cast<std::size_t>(0.99 * static_cast<double>(us.size() - 1))];
    state.counters["p50_us"] = p.p50;
    state.counters["p99_us"] = p.p99;
    state.counters["frame_KiB"] = static_cast<double>(state.range(0)) / 1024;
    return p;
}

// range(1): the final consumer's spin budget in microseconds before it sleeps (0 = plain
// eventfd wait; 20 = what libksim's next_frame does on 2+ CPUs), the relay never spins (ksimd's
// drain threads do not either).
void BM_RawEventfdRing(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    const std::chrono::microseconds spin(state.range(1));
    void* frame = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    RawRing* there = RawRing::create();
    RawRing* back = RawRing::create();
    if (frame == MAP_FAILED || !there || !back) return state.SkipWithError("setup");
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
    std::vector<double> us;
    us.reserve(static_cast<std::size_t>(state.max_iterations));
    std::uint64_t n = 0;
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
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        state.SetIterationTime(seconds);
        us.push_back(seconds * 1e6);
    }
    (void)there->push(RawEntry{1, 0xFFFFFFFFu, 0, 0, 0, 0});
    int status = 0;
    ::waitpid(relay, &status, 0);
    RawRing::destroy(there);
    RawRing::destroy(back);
    ::munmap(frame, size);
    (spin.count() > 0 ? g_raw_spin : g_raw)[static_cast<std::uint32_t>(size)] = report(state, us);
}

void BM_KsimClientToClient(benchmark::State& state) {
    const auto size = static_cast<std::uint32_t>(state.range(0));
    if (!g_stack) g_stack = std::make_unique<ksim::bench::BenchStack>(kSizes);
    ksim::bench::Pair* pair = g_stack->pair(size);
    if (!pair) return state.SkipWithError(("ksim stack: " + g_stack->error()).c_str());
    std::vector<double> us;
    us.reserve(static_cast<std::size_t>(state.max_iterations));
    std::uint64_t n = 0;
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
        const double seconds = std::chrono::duration<double>(end - start).count();
        state.SetIterationTime(seconds);
        us.push_back(seconds * 1e6);
    }  // `in` goes back to its pool at the end of each iteration
    const Percentiles p = report(state, us);
    if (auto raw = g_raw.find(size); raw != g_raw.end() && raw->second.p50 > 0) {
        state.counters["ratio_p50"] = p.p50 / raw->second.p50;
        state.counters["ratio_p99"] = p.p99 / raw->second.p99;
    }
    // Like for like: the baseline whose consumer spins as libksim's does.
    if (auto raw = g_raw_spin.find(size); raw != g_raw_spin.end() && raw->second.p50 > 0) {
        state.counters["ratio_p50_spin"] = p.p50 / raw->second.p50;
        state.counters["ratio_p99_spin"] = p.p99 / raw->second.p99;
    }
}

void sizes(benchmark::internal::Benchmark* b) {
    for (auto s : kSizes) b->Arg(s);
    b->UseManualTime()->Iterations(5000)->Unit(benchmark::kMicrosecond);
}

void raw_sizes(benchmark::internal::Benchmark* b) {
    for (std::int64_t spin_us : {0, 20})
        for (auto s : kSizes) b->Args({s, spin_us});
    b->ArgNames({"size", "spin_us"})->UseManualTime()->Iterations(5000)->Unit(benchmark::kMicrosecond);
}

// Baselines first: the ksim rows divide by them.
BENCHMARK(BM_RawEventfdRing)->Apply(raw_sizes);
BENCHMARK(BM_KsimClientToClient)->Apply(sizes);

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    g_stack.reset();  // stops ksimd
    benchmark::Shutdown();
    return 0;
}
