#include "ksim/shm/default_allocator.hpp"

#include <algorithm>
#include <string>

#include "frame_pool.hpp"

namespace ksim::shm {
namespace {

// ks.sys aligns default-allocator frames to at least FILE_QUAD_ALIGNMENT.
constexpr std::uint32_t kMinimumAlignmentMask = proto::file_alignment::kQuad;

}  // namespace

DefaultAllocator::DefaultAllocator(DefaultAllocatorOptions options) : options_(std::move(options)) {}

DefaultAllocator::~DefaultAllocator() = default;

Result<void> DefaultAllocator::initialize(const proto::AllocatorFraming& negotiated) {
    if (pool_)
        return fail(Errc::InvalidState, "default allocator '" + options_.name + "': already initialized");
    if (auto ok = validate_create_request(negotiated); !ok) return ok;

    const std::uint32_t mask = std::max(negotiated.file_alignment, kMinimumAlignmentMask);
    stride_ = (std::uint64_t{negotiated.frame_size} + mask) & ~std::uint64_t{mask};
    const std::uint64_t total = stride_ * negotiated.frames;  // < 2^64: both factors < 2^33
    auto region = Region::create(options_.name, total,
                                 RegionOptions{visibility_for(options_.memory_type), options_.populate});
    if (!region) return std::unexpected(region.error());

    std::vector<FrameLayout> layouts(negotiated.frames);
    for (std::uint32_t i = 0; i < negotiated.frames; ++i)
        layouts[i] = FrameLayout{i * stride_, negotiated.frame_size};
    auto pool = FramePool::create(region->id(), std::move(layouts), negotiated.frame_size, mask);
    if (!pool) return std::unexpected(pool.error());
    region_ = std::move(*region);
    pool_ = std::move(*pool);
    return {};
}

Result<FrameHandle> DefaultAllocator::allocate() {
    if (!pool_) return fail(Errc::InvalidState, "default allocator '" + options_.name + "': not initialized");
    return pool_->allocate();
}

Result<void> DefaultAllocator::free(FrameHandle frame) {
    if (!pool_) return fail(Errc::InvalidState, "default allocator '" + options_.name + "': not initialized");
    return pool_->free(frame);
}

void DefaultAllocator::remove() {
    pool_.reset();
    region_.reset();
    stride_ = 0;
}

const Region& DefaultAllocator::region() const {
    return *region_;
}

}  // namespace ksim::shm
