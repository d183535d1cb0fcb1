// Cross-process hand-off latency: a frame descriptor goes parent -> child through a ring and
// comes back through a second ring; each side touches the frame's first cache line. The
// baseline is a raw eventfd ping-pong between the same two processes touching the same frame.
// Reported time is one way (round trip / 2); p50/p99 counters are in microseconds.
#include <benchmark/benchmark.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "ksim/shm/mapping.hpp"
#include "ksim/shm/region.hpp"
#include "ksim/shm/ring.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using namespace ksim::shm;

constexpr std::uint32_t kStop = 0xFFFFFFFFu;

void report(benchmark::State& state, std::vector<double>& one_way_us) {
    if (one_way_us.empty()) return;
    std::sort(one_way_us.begin(), one_way_us.end());
    const auto at = [&](double q) {
        return one_way_us[static_cast<std::size_t>(q * (one_way_us.size() - 1))];
    };
    state.counters["p50_us"] = at(0.50);
    state.counters["p99_us"] = at(0.99);
    state.counters["frame_KiB"] = static_cast<double>(state.range(0)) / 1024;
}

int wait_child(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
}

void BM_RingHandOff(benchmark::State& state) {
    const auto frame_size = static_cast<std::size_t>(state.range(0));
    auto region = Region::create("bench-frame", frame_size);
    auto to_child = RingChannel::create("bench-to", 16);
    auto to_parent = RingChannel::create("bench-back", 16);
    if (!region || !to_child || !to_parent) return state.SkipWithError("setup failed");
    auto frame = WritableMapping::map(*region);
    auto ro_fd = region->share(Access::ReadOnly);
    auto child_in = to_child->share();
    auto child_out = to_parent->share();
    auto parent_out = to_child->share();
    auto parent_in = to_parent->share();
    if (!frame || !ro_fd || !child_in || !child_out || !parent_out || !parent_in)
        return state.SkipWithError("share");

    const pid_t pid = ::fork();
    if (pid == 0) {
        auto in = RingConsumer::attach(std::move(*child_in));
        auto out = RingProducer::attach(std::move(*child_out));
        auto view = ReadOnlyMapping::map_fd(ro_fd->get(), region->size());
        if (!in || !out || !view) ::_exit(1);
        for (;;) {
            auto e = in->pop(60s);
            if (!e) ::_exit(2);
            if (e->frame.index == kStop) ::_exit(0);
            e->data_used = static_cast<std::uint32_t>(
                *reinterpret_cast<const volatile std::uint8_t*>(view->bytes().data()));
            if (!out->push(*e, 60s)) ::_exit(3);
        }
    }
    auto out = RingProducer::attach(std::move(*parent_out));
    auto in = RingConsumer::attach(std::move(*parent_in));
    if (!out || !in) return state.SkipWithError("attach");
    std::vector<double> samples;
    samples.reserve(static_cast<std::size_t>(state.max_iterations));
    std::uint32_t n = 0;
    for (auto _ : state) {
        const auto start = Clock::now();
        *reinterpret_cast<volatile std::uint8_t*>(frame->bytes().data()) = static_cast<std::uint8_t>(++n);
        if (!out->push(RingEntry{FrameHandle{region->id(), 0, n, 0}, 0, 0, 0}, 10s)) break;
        auto back = in->pop(10s);
        if (!back || back->data_used != (n & 0xFF)) {
            state.SkipWithError("hand-off lost or frame content wrong");
            break;
        }
        const double one_way = std::chrono::duration<double>(Clock::now() - start).count() / 2;
        state.SetIterationTime(one_way);
        samples.push_back(one_way * 1e6);
    }
    (void)out->push(RingEntry{FrameHandle{region->id(), kStop, 0, 0}, 0, 0, 0}, 10s);
    if (!WIFEXITED(wait_child(pid))) state.SkipWithError("child failed");
    report(state, samples);
}
BENCHMARK(BM_RingHandOff)
    ->Arg(4 << 10)
    ->Arg(64 << 10)
    ->Arg(1 << 20)
    ->Arg(8 << 20)
    ->UseManualTime()
    ->Iterations(20000);

void BM_Baseline_EventfdPingPong(benchmark::State& state) {
    const auto frame_size = static_cast<std::size_t>(state.range(0));
    auto region = Region::create("bench-frame", frame_size);
    if (!region) return state.SkipWithError("region");
    auto frame = WritableMapping::map(*region);
    auto ro_fd = region->share(Access::ReadOnly);
    UniqueFd ping(::eventfd(0, EFD_CLOEXEC));
    UniqueFd pong(::eventfd(0, EFD_CLOEXEC));
    if (!frame || !ro_fd || !ping || !pong) return state.SkipWithError("setup");

    const pid_t pid = ::fork();
    if (pid == 0) {
        auto view = ReadOnlyMapping::map_fd(ro_fd->get(), region->size());
        if (!view) ::_exit(1);
        for (;;) {
            std::uint64_t v = 0;
            if (::read(ping.get(), &v, sizeof v) != sizeof v) ::_exit(2);
            if (v == kStop) ::_exit(0);
            std::uint64_t echo = *reinterpret_cast<const volatile std::uint8_t*>(view->bytes().data()) + 1;
            if (::write(pong.get(), &echo, sizeof echo) != sizeof echo) ::_exit(3);
        }
    }
    std::vector<double> samples;
    samples.reserve(static_cast<std::size_t>(state.max_iterations));
    std::uint32_t n = 0;
    for (auto _ : state) {
        const auto start = Clock::now();
        *reinterpret_cast<volatile std::uint8_t*>(frame->bytes().data()) = static_cast<std::uint8_t>(++n);
        std::uint64_t v = 1;
        if (::write(ping.get(), &v, sizeof v) != sizeof v || ::read(pong.get(), &v, sizeof v) != sizeof v ||
            v != (n & 0xFF) + 1) {
            state.SkipWithError("ping-pong failed");
            break;
        }
        const double one_way = std::chrono::duration<double>(Clock::now() - start).count() / 2;
        state.SetIterationTime(one_way);
        samples.push_back(one_way * 1e6);
    }
    std::uint64_t stop = kStop;
    (void)::write(ping.get(), &stop, sizeof stop);
    if (!WIFEXITED(wait_child(pid))) state.SkipWithError("child failed");
    report(state, samples);
}
BENCHMARK(BM_Baseline_EventfdPingPong)
    ->Arg(4 << 10)
    ->Arg(64 << 10)
    ->Arg(1 << 20)
    ->Arg(8 << 20)
    ->UseManualTime()
    ->Iterations(20000);

}  // namespace
