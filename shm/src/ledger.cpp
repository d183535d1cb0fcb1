#include "ksim/shm/ledger.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

namespace ksim::shm {
namespace {

std::string describe(FrameHandle f) {
    return "frame " + std::to_string(f.region) + "/" + std::to_string(f.index) + " (generation " +
           std::to_string(f.generation) + ")";
}

}  // namespace

Result<void> Ledger::add_pool(RegionId pool, std::uint32_t frame_count) {
    if (pool == kInvalidRegion || frame_count == 0) {
        return fail(Errc::InvalidArgument, "ledger: pool " + std::to_string(pool) + " with " +
                                               std::to_string(frame_count) +
                                               " frames (needs id > 0, frames > 0)");
    }
    std::lock_guard lock(mutex_);
    if (!pools_.try_emplace(pool, frame_count).second) {
        return fail(Errc::AlreadyExists, "ledger: pool " + std::to_string(pool) + " is already tracked");
    }
    return {};
}

std::vector<FrameHandle> Ledger::remove_pool(RegionId pool) {
    std::lock_guard lock(mutex_);
    std::vector<FrameHandle> held;
    auto it = pools_.find(pool);
    if (it == pools_.end()) return held;
    for (std::uint32_t i = 0; i < it->second.size(); ++i) {
        const Entry& e = it->second[i];
        if (e.owner == kNoOwner) continue;
        held.push_back(FrameHandle{pool, i, e.generation, 0});
        if (--held_[e.owner] == 0) held_.erase(e.owner);
    }
    pools_.erase(it);
    return held;
}

Result<const Ledger::Entry*> Ledger::find(FrameHandle frame) const {
    auto it = pools_.find(frame.region);
    if (it == pools_.end()) {
        return fail(Errc::NotFound,
                    describe(frame) + ": no pool with region id " + std::to_string(frame.region));
    }
    if (frame.index >= it->second.size()) {
        return fail(Errc::NotFound, describe(frame) + ": index out of range (pool has " +
                                        std::to_string(it->second.size()) + " frames)");
    }
    return &it->second[frame.index];
}

Result<Ledger::Entry*> Ledger::find(FrameHandle frame) {
    // The usual const/non-const pair: one lookup, the mutable view of our own storage.
    auto entry = std::as_const(*this).find(frame);
    if (!entry) return std::unexpected(entry.error());
    return const_cast<Entry*>(*entry);
}

Result<void> Ledger::check(const Entry& entry, FrameHandle frame, OwnerId claimed_by) const {
    if (entry.owner == kNoOwner) return fail(Errc::StaleDescriptor, describe(frame) + ": not held by anyone");
    if (entry.generation != frame.generation) {
        return fail(Errc::StaleDescriptor, describe(frame) + ": stale; the frame is now at generation " +
                                               std::to_string(entry.generation));
    }
    if (entry.owner != claimed_by) {
        return fail(Errc::PermissionDenied, describe(frame) + ": held by owner " +
                                                std::to_string(entry.owner) + ", not by " +
                                                std::to_string(claimed_by));
    }
    return {};
}

Result<void> Ledger::record(FrameHandle frame, OwnerId owner) {
    if (owner == kNoOwner) return fail(Errc::InvalidArgument, describe(frame) + ": owner id 0 is reserved");
    std::lock_guard lock(mutex_);
    auto entry = find(frame);
    if (!entry) return std::unexpected(entry.error());
    Entry& e = **entry;
    if (e.owner != kNoOwner) {
        return fail(Errc::AlreadyExists,
                    describe(frame) + ": already held by owner " + std::to_string(e.owner));
    }
    e = Entry{owner, frame.generation};
    ++held_[owner];
    return {};
}

Result<void> Ledger::validate(FrameHandle frame, OwnerId claimed_by) const {
    std::lock_guard lock(mutex_);
    auto entry = find(frame);
    if (!entry) return std::unexpected(entry.error());
    return check(**entry, frame, claimed_by);
}

Result<void> Ledger::release(FrameHandle frame, OwnerId owner) {
    std::lock_guard lock(mutex_);
    auto entry = find(frame);
    if (!entry) return std::unexpected(entry.error());
    if (auto ok = check(**entry, frame, owner); !ok) return ok;
    (*entry)->owner = kNoOwner;
    --held_[owner];  // kept at 0, not erased: see transfer
    return {};
}

Result<void> Ledger::transfer(FrameHandle frame, OwnerId from, OwnerId to) {
    if (to == kNoOwner) return fail(Errc::InvalidArgument, describe(frame) + ": cannot transfer to owner 0");
    std::lock_guard lock(mutex_);
    auto entry = find(frame);
    if (!entry) return std::unexpected(entry.error());
    if (auto ok = check(**entry, frame, from); !ok) return ok;
    (*entry)->owner = to;
    // Counts stay in the map at 0 (reclaim forgets an owner): a pin that passes every frame on
    // goes 0 -> 1 -> 0 per frame, and erasing would free and reallocate a node each time.
    --held_[from];
    ++held_[to];
    return {};
}

std::vector<FrameHandle> Ledger::reclaim(OwnerId owner) {
    std::lock_guard lock(mutex_);
    std::vector<FrameHandle> frames;
    if (owner == kNoOwner || held_.find(owner) == held_.end()) return frames;
    for (auto& [pool, entries] : pools_) {
        for (std::uint32_t i = 0; i < entries.size(); ++i) {
            if (entries[i].owner != owner) continue;
            entries[i].owner = kNoOwner;
            frames.push_back(FrameHandle{pool, i, entries[i].generation, 0});
        }
    }
    held_.erase(owner);
    std::sort(frames.begin(), frames.end(), [](const FrameHandle& a, const FrameHandle& b) {
        return a.region != b.region ? a.region < b.region : a.index < b.index;
    });
    return frames;
}

Result<std::vector<Holding>> Ledger::holders(RegionId pool) const {
    std::lock_guard lock(mutex_);
    auto it = pools_.find(pool);
    if (it == pools_.end())
        return fail(Errc::NotFound, "ledger: no pool with region id " + std::to_string(pool));
    std::map<OwnerId, std::uint32_t> counts;
    for (const Entry& e : it->second) {
        if (e.owner != kNoOwner) ++counts[e.owner];
    }
    std::vector<Holding> result;
    for (const auto& [owner, n] : counts) result.push_back(Holding{owner, n});
    return result;
}

std::uint32_t Ledger::held_by(OwnerId owner) const {
    std::lock_guard lock(mutex_);
    auto it = held_.find(owner);
    return it == held_.end() ? 0 : it->second;
}

}  // namespace ksim::shm
