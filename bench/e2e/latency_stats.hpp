// Latency statistics shared by the e2e bench's rows: samples in microseconds on one clock
// (steady_clock = CLOCK_MONOTONIC, the clock of every ring's publish time).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
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

}  // namespace ksim::bench
