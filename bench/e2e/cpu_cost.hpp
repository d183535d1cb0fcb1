// CPU time per round trip for the e2e ping-pong rows: what the bench process spends (every
// thread: CLOCK_PROCESS_CPUTIME_ID) and what its peer process spends (ksimd, or a baseline's
// relay child), between a snapshot before the row's measured loop and one after. Busy-poll
// trades CPU for latency; these counters say how much.
//
// The peer's time is the sum of /proc/<pid>/task/*/schedstat's first field (ns on the CPU,
// per live thread): /proc/<pid>/stat's utime + stime count 10 ms ticks, too coarse for a row
// of 5,000 round trips of a few microseconds. A thread that ends between the snapshots takes
// its time with it; the ping-pong rows' peer threads (ksimd's drain threads, the relay) live
// through the loop.
#pragma once

#include <benchmark/benchmark.h>
#include <sys/types.h>
#include <time.h>

#include <cstdint>
#include <string>

#include "sched_stats.hpp"

namespace ksim::bench {

struct CpuSnapshot {
    std::int64_t self_ns = 0;
    std::int64_t peer_ns = 0;
};

inline std::int64_t process_cpu_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Nanoseconds the live threads of `pid` have run (sched_stats.hpp); 0 when it cannot be read.
inline std::int64_t threads_cpu_ns(pid_t pid) {
    std::uint64_t sum = 0;
    for (pid_t tid : threads_of(pid)) sum += sched_stat(pid, tid).run_ns;
    return static_cast<std::int64_t>(sum);
}

inline CpuSnapshot cpu_now(pid_t peer) {
    return CpuSnapshot{process_cpu_ns(), peer > 0 ? threads_cpu_ns(peer) : 0};
}

// Counters cpu_us_per_rt_client (this process) and cpu_us_per_rt_<peer> ("ksimd", "relay"):
// CPU microseconds per round trip between `before` and `after`.
inline void report_cpu(benchmark::State& state, const CpuSnapshot& before, const CpuSnapshot& after,
                       std::uint64_t round_trips, const std::string& peer) {
    if (round_trips == 0) return;
    const auto per = [&](std::int64_t ns) {
        return static_cast<double>(ns) / 1e3 / static_cast<double>(round_trips);
    };
    state.counters["cpu_us_per_rt_client"] = per(after.self_ns - before.self_ns);
    state.counters["cpu_us_per_rt_" + peer] = per(after.peer_ns - before.peer_ns);
}

}  // namespace ksim::bench
