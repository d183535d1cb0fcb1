// Latency statistics shared by the e2e bench's rows: samples in microseconds on one clock
// (steady_clock = CLOCK_MONOTONIC, the clock of every ring's publish time).
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace ksim::bench {

using Clock = std::chrono::steady_clock;

inline double micros(Clock::duration d) {
    return std::chrono::duration<double, std::micro>(d).count();
}

struct Percentiles {
    double p50 = 0, p99 = 0;
};

// Nearest-rank percentiles (lower rank); sorts `us` in place. Zeros when there is no sample.
inline Percentiles percentiles(std::vector<double>& us) {
    Percentiles p;
    if (us.empty()) return p;
    std::ranges::sort(us);
    p.p50 = us[(us.size() - 1) / 2];
    p.p99 = us[static_cast<std::size_t>(0.99 * static_cast<double>(us.size() - 1))];
    return p;
}

// The median of a few values (the mean of the middle two for an even count); 0 when empty.
inline double median(std::vector<double> values) {
    if (values.empty()) return 0;
    std::ranges::sort(values);
    const std::size_t mid = values.size() / 2;
    return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

// A row's counters p50_us / p99_us and, when its baseline has run (`baseline` non-zero), its
// ratios to it: <ratio>_p50 / <ratio>_p99 = row / baseline.
inline void report_percentiles(benchmark::State& state, const Percentiles& row,
                               const Percentiles& baseline = {}, const std::string& ratio = "x") {
    state.counters["p50_us"] = row.p50;
    state.counters["p99_us"] = row.p99;
    if (baseline.p50 <= 0) return;
    state.counters[ratio + "_p50"] = row.p50 / baseline.p50;
    state.counters[ratio + "_p99"] = row.p99 / baseline.p99;
}

}  // namespace ksim::bench
