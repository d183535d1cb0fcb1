// FrameAllocator: the KS allocator dispatch (KSALLOCATOR_DISPATCH) as an interface:
// initialize (negotiated framing) / allocate / free / remove (DeleteAllocator). Implementations
// own one region and carve a fixed pool of frames out of it. allocate/free are safe from any
// thread; initialize/remove are control-path calls made by one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "ksim/proto/error.hpp"
#include "ksim/proto/framing.hpp"
#include "ksim/shm/frame.hpp"
#include "ksim/shm/region.hpp"

namespace ksim::shm {

class FramePool;

// A snapshot of an allocator's state (KSSTREAMALLOCATOR_STATUS-like).
struct AllocatorStatus {
    bool initialized = false;
    std::uint32_t frames = 0;       // negotiated count = the outstanding limit
    std::uint32_t frame_size = 0;   // negotiated frame size
    std::uint32_t alignment = 0;    // alignment mask honoured (>= the negotiated one)
    std::uint32_t outstanding = 0;  // frames allocated and not yet freed
};

class FrameAllocator {
public:
    virtual ~FrameAllocator();
    FrameAllocator(const FrameAllocator&) = delete;
    FrameAllocator& operator=(const FrameAllocator&) = delete;

    // InitializeAllocator: receives the negotiated values (the legacy KSALLOCATOR_FRAMING create
    // request: frames, frame_size, file_alignment mask, option flags). Creates the region.
    // Errors: InvalidArgument (option bits other than KSALLOCATOR_OPTIONF_VALID, frames or size
    // 0, alignment not a mask, or outside this allocator's capabilities), InvalidState (already
    // initialized), InsufficientResources / Io (region creation).
    virtual Result<void> initialize(const proto::AllocatorFraming& negotiated) = 0;

    // Allocate: a free frame, or NoMoreEntries when `frames` are outstanding (the KS
    // STATUS_NO_MORE_ENTRIES; callers may wait with allocate_wait). InvalidState before
    // initialize / after remove. O(1), no syscall unless a waiter must be woken.
    virtual Result<FrameHandle> allocate() = 0;

    // Free: returns a frame. The handle's generation must be current and the frame allocated:
    // otherwise StaleDescriptor (double free, old handle) or NotFound (wrong region, bad index).
    virtual Result<void> free(FrameHandle frame) = 0;

    // DeleteAllocator: the pin stops using the allocator; the region is released (mappings
    // already handed out stay valid until their owners unmap). Idempotent. Call it only when no
    // thread is inside allocate/free/allocate_wait (the pin is in STOP), like KS does.
    virtual void remove() = 0;

    // allocate(), waiting up to `timeout` for a free frame (KSEVENT_STREAMALLOCATOR_FREEFRAME).
    // Errors: Timeout, plus allocate()'s errors other than NoMoreEntries.
    Result<FrameHandle> allocate_wait(std::chrono::milliseconds timeout);

    // The region holding all frames. Precondition: initialized and not removed.
    [[nodiscard]] virtual const Region& region() const = 0;
    // Where frame `index` lives. Errors: NotFound (index >= frames), InvalidState.
    // Virtual for allocators whose frames are placed by someone else (a minidriver's Allocate).
    [[nodiscard]] virtual Result<FrameLayout> frame(std::uint32_t index) const;
    [[nodiscard]] virtual AllocatorStatus status() const;
    // An eventfd (EFD_SEMAPHORE) that becomes readable when a frame is freed while someone
    // watches (see FreeFrameWatch). -1 before initialize.
    [[nodiscard]] int free_frame_fd() const;
    // A short human name for logs/CLI, e.g. "default" or the vendor allocator's name.
    [[nodiscard]] virtual std::string kind() const = 0;

    // While a FreeFrameWatch lives, every free signals free_frame_fd() (frees are syscall-free
    // otherwise). Use it when waiting on the fd from an event loop.
    class FreeFrameWatch {
    public:
        explicit FreeFrameWatch(const FrameAllocator& allocator);
        ~FreeFrameWatch();
        FreeFrameWatch(const FreeFrameWatch&) = delete;
        FreeFrameWatch& operator=(const FreeFrameWatch&) = delete;

    private:
        const FramePool* pool_;
    };

protected:
    FrameAllocator() = default;
    // The pool implementations use; null before initialize and after remove.
    [[nodiscard]] virtual const FramePool* pool() const = 0;
};

// Validates the option flags, counts, size and alignment mask of a create request, with a
// message naming the bad field and what would be valid. Shared by every allocator.
Result<void> validate_create_request(const proto::AllocatorFraming& request);

}  // namespace ksim::shm
