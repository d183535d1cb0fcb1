// The baseline: the smallest honest cross-process hand-off — a single-producer/single-consumer
// ring of 32-byte descriptors in shared memory with an eventfd per direction as the wake-up.
// No validation, no ledger, no daemon: what ksim's data path is compared against.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace ksim::bench {

struct RawEntry {
    std::uint32_t region = 0;
    std::uint32_t index = 0;
    std::uint32_t generation = 0;
    std::uint32_t data_used = 0;
    std::uint64_t sequence = 0;
    std::int64_t pushed_ns = 0;  // steady_clock at push (set by push()), like a ksim ring's publish time
};
static_assert(sizeof(RawEntry) == 32);

// Lives in MAP_SHARED memory created before fork(); the eventfd is inherited.
class RawRing {
public:
    static constexpr std::uint32_t kCapacity = 64;
    static constexpr std::chrono::seconds kPollTimeout{5};

    // Maps the ring (anonymous shared memory) and creates its eventfd. nullptr on failure.
    // A `polled` ring is the busy-poll baseline: its consumer never sleeps, so push() writes no
    // eventfd and pop() checks the ring until an entry is there (paced as libksim's polling
    // waits: the clock every 64 looks, sched_yield every 1024), for at most kPollTimeout.
    static RawRing* create(bool polled = false);
    static void destroy(RawRing* ring);

    // Producer side: stamps the entry's pushed_ns and publishes it; false when full.
    bool push(RawEntry e);
    // Consumer side: blocks on the eventfd until an entry is there; false on error. With a
    // `spin` budget it first checks the ring that long without sleeping (as libksim's consumers
    // do). A polled ring ignores `spin` and never sleeps; false after kPollTimeout.
    bool pop(RawEntry& out, std::chrono::nanoseconds spin = std::chrono::nanoseconds(0));

private:
    alignas(64) std::atomic<std::uint32_t> head_{0};  // consumer position
    alignas(64) std::atomic<std::uint32_t> tail_{0};  // producer position
    int eventfd_ = -1;
    bool polled_ = false;
    RawEntry entries_[kCapacity];
};

}  // namespace ksim::bench
