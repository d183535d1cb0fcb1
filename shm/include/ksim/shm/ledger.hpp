// Ledger: who holds which frame. The daemon records every frame it hands to an owner (a client
// connection or a pin) and checks every descriptor an owner sends back against it, so a stale
// or forged descriptor is rejected without ever being used to touch memory. reclaim(owner)
// returns that owner's frames exactly once (crash cleanup). Thread-safe (one short mutex).
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "ksim/proto/error.hpp"
#include "ksim/shm/frame.hpp"

namespace ksim::shm {

// A client connection or a pin; assigned by the daemon. 0 means "nobody".
using OwnerId = std::uint64_t;
inline constexpr OwnerId kNoOwner = 0;

struct Holding {
    OwnerId owner = kNoOwner;
    std::uint32_t frames = 0;  // how many frames of the pool this owner holds
    friend constexpr bool operator==(const Holding&, const Holding&) = default;
};

class Ledger {
public:
    // Starts tracking a pool of `frame_count` frames. Errors: AlreadyExists, InvalidArgument.
    Result<void> add_pool(RegionId pool, std::uint32_t frame_count);
    // Stops tracking a pool; returns the frames still held (so the caller can log them).
    std::vector<FrameHandle> remove_pool(RegionId pool);

    // `frame` (freshly allocated, with its current generation) is now held by `owner`.
    // Errors: NotFound (unknown pool / index out of range), InvalidArgument (owner 0),
    // AlreadyExists (the frame is already held: an allocator bug or a reused handle).
    Result<void> record(FrameHandle frame, OwnerId owner);

    // Checks a descriptor `claimed_by` sent: NotFound (unknown region, index out of range),
    // StaleDescriptor (generation differs, or the frame is not held by anyone),
    // PermissionDenied (held by another owner). Never dereferences anything.
    [[nodiscard]] Result<void> validate(FrameHandle frame, OwnerId claimed_by) const;

    // validate() then forget the holding; the caller then frees the frame to its allocator.
    Result<void> release(FrameHandle frame, OwnerId owner);
    // validate() then move the holding to `to` (e.g. a pin passes a frame to a client).
    Result<void> transfer(FrameHandle frame, OwnerId from, OwnerId to);

    // Forgets and returns every frame `owner` holds; a second call returns nothing.
    std::vector<FrameHandle> reclaim(OwnerId owner);

    // Who holds frames of `pool`, ordered by owner id. Errors: NotFound.
    [[nodiscard]] Result<std::vector<Holding>> holders(RegionId pool) const;
    // Total frames held by `owner` across all pools.
    [[nodiscard]] std::uint32_t held_by(OwnerId owner) const;

private:
    struct Entry {
        OwnerId owner = kNoOwner;
        std::uint32_t generation = 0;
    };
    // Bounds checks only; the caller holds mutex_.
    Result<const Entry*> find(FrameHandle frame) const;
    Result<Entry*> find(FrameHandle frame);
    Result<void> check(const Entry& entry, FrameHandle frame, OwnerId claimed_by) const;

    mutable std::mutex mutex_;
    std::unordered_map<RegionId, std::vector<Entry>> pools_;
    // owner -> frames held (fast held_by); an owner stays listed at 0 until reclaim.
    std::unordered_map<OwnerId, std::uint32_t> held_;
};

}  // namespace ksim::shm
