// The ring's shared-memory layout: plain data at fixed offsets, readable by both processes.
// Each index has one writer; its "waiting" flag shares the writer's cache line. After the
// header: `capacity` entries, then `capacity` publish times (steady_clock nanoseconds), kept
// apart so an entry stays one cache line and a consumer that ignores the times never reads them.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "ksim/shm/ring.hpp"

namespace ksim::shm::detail {

inline constexpr std::uint64_t kRingMagic = 0x4B53494D52494E47ull;  // "KSIMRING"
// 2: 64-byte entries with the frame info; 3: a publish time per entry, futex waits;
// 4: syscall counters per side.
inline constexpr std::uint32_t kRingVersion = 4;
inline constexpr std::uint32_t kMaxRingCapacity = 65536;

struct RingHeader {
    // Written once at creation.
    std::uint64_t magic;
    std::uint32_t version;
    std::uint32_t capacity;    // power of two
    std::uint32_t entry_size;  // sizeof(RingEntry)
    // Producer's line: next index to publish; producer_waiting = "wake me when space frees";
    // the wake-up and sleep syscalls the producer's process made on this ring (RingSyscalls).
    alignas(64) std::atomic<std::uint64_t> head;
    std::atomic<std::uint32_t> producer_waiting;
    std::atomic<std::uint64_t> producer_wakes;
    std::atomic<std::uint64_t> producer_sleeps;
    // Consumer's line: next index to take; consumer_waiting = "wake me when data arrives".
    alignas(64) std::atomic<std::uint64_t> tail;
    std::atomic<std::uint32_t> consumer_waiting;
    std::atomic<std::uint64_t> consumer_wakes;
    std::atomic<std::uint64_t> consumer_sleeps;
};

// What a *_waiting flag holds: how the waiting side sleeps, so the other side wakes it the same
// way — a blocking wait (wait_for_data / wait_for_space) on a futex on the flag itself (the
// waker clears it), an event loop (arm_wait) on the eventfd.
inline constexpr std::uint32_t kWaitingOnEventfd = 1;
inline constexpr std::uint32_t kWaitingOnFutex = 2;
// A blocking wait on the futex too, but a lazy one (Wait::Lazily): a publish marked
// Publish::Quietly leaves it asleep; it comes back by its own deadline.
inline constexpr std::uint32_t kWaitingLazily = 3;

inline constexpr std::size_t kRingSlotsOffset = 192;
static_assert(sizeof(RingHeader) <= kRingSlotsOffset);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free &&
                  std::atomic<std::uint32_t>::is_always_lock_free,
              "ring indices must be lock-free to be shared between processes");

inline std::size_t ring_stamps_offset(std::uint32_t capacity) {
    return kRingSlotsOffset + std::size_t{capacity} * sizeof(RingEntry);
}

inline std::size_t ring_bytes(std::uint32_t capacity) {
    return ring_stamps_offset(capacity) + std::size_t{capacity} * sizeof(std::int64_t);
}

}  // namespace ksim::shm::detail
