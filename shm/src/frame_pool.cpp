#include "frame_pool.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cassert>
#include <string>

#include "errno_error.hpp"

namespace ksim::shm {
namespace {

std::string frame_name(FrameHandle f) {
    return "frame " + std::to_string(f.region) + "/" + std::to_string(f.index) + " (generation " +
           std::to_string(f.generation) + ")";
}

}  // namespace

Result<std::unique_ptr<FramePool>> FramePool::create(RegionId region, std::vector<FrameLayout> layouts,
                                                     std::uint32_t frame_size, std::uint32_t alignment_mask) {
    if (layouts.empty() || layouts.size() >= kNil) {
        return fail(Errc::InvalidArgument, "frame pool: " + std::to_string(layouts.size()) + " frames");
    }
    UniqueFd event(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE));
    if (!event) return detail::fail_errno("frame pool: eventfd");
    return std::unique_ptr<FramePool>(
        new FramePool(region, std::move(layouts), frame_size, alignment_mask, std::move(event)));
}

FramePool::FramePool(RegionId region, std::vector<FrameLayout> layouts, std::uint32_t frame_size,
                     std::uint32_t alignment_mask, UniqueFd event)
    : region_(region),
      layouts_(std::move(layouts)),
      frame_size_(frame_size),
      alignment_mask_(alignment_mask),
      state_(new std::atomic<std::uint32_t>[layouts_.size()]),
      next_(new std::atomic<std::uint32_t>[layouts_.size()]),
      event_(std::move(event)) {
    // Free list in index order: allocations start at frame 0.
    const auto n = count();
    for (std::uint32_t i = 0; i < n; ++i) {
        state_[i].store(0, std::memory_order_relaxed);
        next_[i].store(i + 1 < n ? i + 1 : kNil, std::memory_order_relaxed);
    }
    head_.store(0, std::memory_order_release);
}

Result<FrameHandle> FramePool::allocate() {
    std::uint64_t head = head_.load(std::memory_order_acquire);
    std::uint32_t index = 0;
    for (;;) {
        index = static_cast<std::uint32_t>(head);
        if (index == kNil) {
            return fail(Errc::NoMoreEntries, "all " + std::to_string(count()) + " frames of pool " +
                                                 std::to_string(region_) + " are outstanding");
        }
        // May read a link that a concurrent pop/push just changed; the tag makes the CAS fail then.
        const std::uint32_t next = next_[index].load(std::memory_order_relaxed);
        const std::uint64_t desired = ((head >> 32) + 1) << 32 | next;
        if (head_.compare_exchange_weak(head, desired, std::memory_order_acquire, std::memory_order_acquire))
            break;
    }
    // We own the popped frame: while its allocated bit is clear nobody else writes its state
    // (free() only succeeds on an allocated frame), so a plain store is enough.
    const std::uint32_t previous = state_[index].load(std::memory_order_relaxed);
    assert((previous & 1u) == 0 && "a frame on the free list was marked allocated");
    state_[index].store(previous | 1u, std::memory_order_relaxed);
    return FrameHandle{region_, index, previous >> 1, 0};
}

Result<void> FramePool::free(FrameHandle frame) {
    if (frame.region != region_) {
        return fail(Errc::NotFound, frame_name(frame) + ": belongs to region " +
                                        std::to_string(frame.region) + ", not to pool " +
                                        std::to_string(region_));
    }
    if (frame.index >= count()) {
        return fail(Errc::NotFound, frame_name(frame) + ": index out of range (pool has " +
                                        std::to_string(count()) + " frames)");
    }
    // Exactly one free of this generation can win; a second (or an old handle) sees the bumped
    // generation or the cleared allocated bit.
    std::uint32_t expected = frame.generation << 1 | 1u;
    const std::uint32_t desired = (frame.generation + 1) << 1;
    if (!state_[frame.index].compare_exchange_strong(expected, desired, std::memory_order_acq_rel)) {
        return fail(Errc::StaleDescriptor, frame_name(frame) + ": stale; the frame is at generation " +
                                               std::to_string(expected >> 1) +
                                               ((expected & 1u) ? " and allocated" : " and free"));
    }
    push(frame.index);
    // push() is a seq_cst RMW and this load is seq_cst; add_watcher() is a seq_cst RMW plus a
    // fence before the waiter re-checks the list: either it sees the pushed frame or we see it.
    if (watchers_.load(std::memory_order_seq_cst) > 0) {
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto n = ::write(event_.get(), &one, sizeof one);  // only EAGAIN at 2^64-2
    }
    return {};
}

void FramePool::push(std::uint32_t index) {
    std::uint64_t head = head_.load(std::memory_order_relaxed);
    for (;;) {
        next_[index].store(static_cast<std::uint32_t>(head), std::memory_order_relaxed);
        const std::uint64_t desired = ((head >> 32) + 1) << 32 | index;
        if (head_.compare_exchange_weak(head, desired, std::memory_order_seq_cst, std::memory_order_relaxed))
            return;
    }
}

Result<FrameLayout> FramePool::layout(std::uint32_t index) const {
    if (index >= count()) {
        return fail(Errc::NotFound, "frame index " + std::to_string(index) + " out of range (pool " +
                                        std::to_string(region_) + " has " + std::to_string(count()) +
                                        " frames)");
    }
    return layouts_[index];
}

std::uint32_t FramePool::outstanding() const {
    std::uint32_t n = 0;
    for (std::uint32_t i = 0; i < count(); ++i) n += state_[i].load(std::memory_order_relaxed) & 1u;
    return n;
}

void FramePool::add_watcher() const {
    watchers_.fetch_add(1, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);
}

void FramePool::remove_watcher() const {
    watchers_.fetch_sub(1, std::memory_order_relaxed);
}

bool FramePool::wait_for_free(std::chrono::milliseconds timeout) const {
    pollfd pfd{event_.get(), POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    if (ready <= 0) return false;
    std::uint64_t value = 0;
    // Consumes one token (EFD_SEMAPHORE); EAGAIN means another waiter took it: retry anyway.
    [[maybe_unused]] const auto n = ::read(event_.get(), &value, sizeof value);
    return true;
}

}  // namespace ksim::shm
