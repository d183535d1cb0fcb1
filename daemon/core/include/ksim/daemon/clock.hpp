// Time for the simulated kernel, in KS units (100 ns ticks, like KSTIME with 1/1 and
// KsStreamPointerScheduleTimeout intervals). Injectable so tests advance time deterministically.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace ksim::daemon {

using Ticks = std::int64_t;  // 100 ns units
inline constexpr Ticks kTicksPerSecond = 10'000'000;
inline constexpr Ticks kTicksPerMillisecond = 10'000;

// A monotonic clock. Implementations are thread-safe.
class Clock {
public:
    virtual ~Clock() = default;
    [[nodiscard]] virtual Ticks now() const = 0;
};

// A steady_clock time in 100 ns ticks: what SteadyClock reads, and how times other processes
// took on the same clock (ring publish stamps, a client's release times) become kernel time.
inline Ticks to_ticks(std::chrono::steady_clock::time_point t) {
    using Hundred = std::chrono::duration<Ticks, std::ratio<1, kTicksPerSecond>>;
    return std::chrono::duration_cast<Hundred>(t.time_since_epoch()).count();
}

// std::chrono::steady_clock in 100 ns ticks.
class SteadyClock final : public Clock {
public:
    [[nodiscard]] Ticks now() const override { return to_ticks(std::chrono::steady_clock::now()); }
};

// A clock that only moves when told to (tests).
class FakeClock final : public Clock {
public:
    explicit FakeClock(Ticks start = 0) : now_(start) {}
    [[nodiscard]] Ticks now() const override { return now_.load(std::memory_order_acquire); }
    void set(Ticks t) { now_.store(t, std::memory_order_release); }
    void advance(Ticks dt) { now_.fetch_add(dt, std::memory_order_acq_rel); }

private:
    std::atomic<Ticks> now_;
};

}  // namespace ksim::daemon
