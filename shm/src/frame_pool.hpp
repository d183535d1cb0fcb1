// FramePool: the frame bookkeeping every allocator shares: N frames at fixed offsets of one
// region, a lock-free free list (Treiber stack with a tag against ABA), a per-frame state word
// (generation << 1 | allocated) that makes stale and double frees fail atomically, and an
// eventfd signalled on free only while someone watches. allocate/free from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "ksim/proto/error.hpp"
#include "ksim/shm/frame.hpp"
#include "ksim/shm/unique_fd.hpp"

namespace ksim::shm {

class FramePool {
public:
    // `layouts` must be non-empty (at most 2^32-2 frames). Errors: Io (eventfd).
    static Result<std::unique_ptr<FramePool>> create(RegionId region, std::vector<FrameLayout> layouts,
                                                     std::uint32_t frame_size, std::uint32_t alignment_mask);

    Result<FrameHandle> allocate();
    Result<void> free(FrameHandle frame);

    [[nodiscard]] Result<FrameLayout> layout(std::uint32_t index) const;
    [[nodiscard]] RegionId region() const { return region_; }
    [[nodiscard]] std::uint32_t count() const { return static_cast<std::uint32_t>(layouts_.size()); }
    // Frames allocated now (a scan of the state words: control path only).
    [[nodiscard]] std::uint32_t outstanding() const;
    [[nodiscard]] std::uint32_t frame_size() const { return frame_size_; }
    [[nodiscard]] std::uint32_t alignment_mask() const { return alignment_mask_; }
    [[nodiscard]] int event_fd() const { return event_.get(); }

    // Watchers make free() signal the eventfd; without any, free() makes no syscall.
    void add_watcher() const;
    void remove_watcher() const;
    // Waits up to `timeout` for a free signal and consumes it. true = signalled.
    bool wait_for_free(std::chrono::milliseconds timeout) const;

private:
    FramePool(RegionId region, std::vector<FrameLayout> layouts, std::uint32_t frame_size,
              std::uint32_t alignment_mask, UniqueFd event);
    void push(std::uint32_t index);

    static constexpr std::uint32_t kNil = 0xFFFFFFFFu;

    RegionId region_;
    std::vector<FrameLayout> layouts_;
    std::uint32_t frame_size_;
    std::uint32_t alignment_mask_;
    std::unique_ptr<std::atomic<std::uint32_t>[]> state_;  // generation << 1 | allocated
    std::unique_ptr<std::atomic<std::uint32_t>[]> next_;   // free-list links
    alignas(64) std::atomic<std::uint64_t> head_;          // tag << 32 | first free index
    alignas(64) mutable std::atomic<std::uint32_t> watchers_{0};
    UniqueFd event_;
};

}  // namespace ksim::shm
