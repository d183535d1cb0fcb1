// The frame regions one connection has mapped, keyed by (daemon region id, access), so that a
// region shared by several streams of the same client is mapped once. Entries are weak: the
// mapping goes away with the last stream or frame view using it. Thread-safe. Private to libksim.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <variant>

#include "ksim/shm/mapping.hpp"
#include "ksim/shm/region.hpp"

namespace ksim::client::detail {

// One adopted region and its single mapping (read-only or writable, as granted).
class MappedRegion {
public:
    MappedRegion(shm::Region region, shm::ReadOnlyMapping mapping)
        : region_(std::move(region)), mapping_(std::move(mapping)) {}
    MappedRegion(shm::Region region, shm::WritableMapping mapping)
        : region_(std::move(region)), mapping_(std::move(mapping)) {}

    [[nodiscard]] const shm::Region& region() const { return region_; }
    [[nodiscard]] bool writable() const { return std::holds_alternative<shm::WritableMapping>(mapping_); }
    [[nodiscard]] std::span<const std::byte> read_slice(std::size_t offset, std::size_t size) const {
        return std::visit([&](const auto& m) { return std::span<const std::byte>(m.slice(offset, size)); },
                          mapping_);
    }
    // Empty for a read-only mapping.
    [[nodiscard]] std::span<std::byte> write_slice(std::size_t offset, std::size_t size) const {
        if (auto* m = std::get_if<shm::WritableMapping>(&mapping_)) return m->slice(offset, size);
        return {};
    }

private:
    shm::Region region_;
    std::variant<shm::ReadOnlyMapping, shm::WritableMapping> mapping_;
};

class RegionCache {
public:
    // The live mapping of (id, access), or nullptr.
    std::shared_ptr<MappedRegion> find(std::uint64_t id, shm::Access access) {
        std::lock_guard lock(mutex_);
        auto it = entries_.find({id, access});
        return it == entries_.end() ? nullptr : it->second.lock();
    }
    // Records `mapped` unless another thread won the race; returns the one to use.
    std::shared_ptr<MappedRegion> insert(std::uint64_t id, shm::Access access,
                                         std::shared_ptr<MappedRegion> mapped) {
        std::lock_guard lock(mutex_);
        auto& slot = entries_[{id, access}];
        if (auto existing = slot.lock()) return existing;
        slot = mapped;
        return mapped;
    }

private:
    std::mutex mutex_;
    std::map<std::pair<std::uint64_t, shm::Access>, std::weak_ptr<MappedRegion>> entries_;
};

}  // namespace ksim::client::detail
