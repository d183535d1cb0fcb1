// The allocator-independent parts of FrameAllocator: waiting for a free frame, status,
// frame layout lookup and create-request validation.
#include "ksim/shm/allocator.hpp"

#include <string>

#include "errno_error.hpp"
#include "frame_pool.hpp"

namespace ksim::shm {

FrameAllocator::~FrameAllocator() = default;

Result<FrameHandle> FrameAllocator::allocate_wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto frame = allocate();
    if (frame || frame.error().code != Errc::NoMoreEntries) return frame;
    FreeFrameWatch watch(*this);
    for (;;) {
        frame = allocate();  // again, now that frees signal us: no lost wake-up
        if (frame || frame.error().code != Errc::NoMoreEntries) return frame;
        const auto left =
            std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        const FramePool* p = pool();
        if (left.count() <= 0 || p == nullptr) break;
        p->wait_for_free(left);
    }
    return fail(Errc::Timeout, "no frame was freed within " + std::to_string(timeout.count()) + " ms (" +
                                   frame.error().message + ")");
}

Result<FrameLayout> FrameAllocator::frame(std::uint32_t index) const {
    const FramePool* p = pool();
    if (p == nullptr) return fail(Errc::InvalidState, kind() + " allocator: not initialized");
    return p->layout(index);
}

AllocatorStatus FrameAllocator::status() const {
    const FramePool* p = pool();
    if (p == nullptr) return {};
    return AllocatorStatus{true, p->count(), p->frame_size(), p->alignment_mask(), p->outstanding()};
}

int FrameAllocator::free_frame_fd() const {
    const FramePool* p = pool();
    return p == nullptr ? -1 : p->event_fd();
}

FrameAllocator::FreeFrameWatch::FreeFrameWatch(const FrameAllocator& allocator) : pool_(allocator.pool()) {
    if (pool_ != nullptr) pool_->add_watcher();
}

FrameAllocator::FreeFrameWatch::~FreeFrameWatch() {
    if (pool_ != nullptr) pool_->remove_watcher();
}

Result<void> validate_create_request(const proto::AllocatorFraming& request) {
    const auto options = request.flags;
    if ((options & ~proto::to_underlying(proto::OptionFlags::Valid)) != 0) {
        return fail(Errc::InvalidArgument, "allocator create request: option flags " + detail::hex(options) +
                                               " contain bits outside KSALLOCATOR_OPTIONF_VALID (0x3)");
    }
    if (request.frames == 0) {
        return fail(Errc::InvalidArgument, "allocator create request: Frames is 0; it must be at least 1");
    }
    if (request.frame_size == 0) {
        return fail(Errc::InvalidArgument, "allocator create request: FrameSize is 0; it must be at least 1");
    }
    if (!proto::is_alignment_mask(request.file_alignment)) {
        return fail(Errc::InvalidArgument, "allocator create request: FileAlignment " +
                                               detail::hex(request.file_alignment) +
                                               " is not a mask of the form 2^n-1 (e.g. 0x7, 0xFFF)");
    }
    return {};
}

}  // namespace ksim::shm
