// The vendor "DMA common buffer" allocator: frame placement inside a simulated physical
// window (alignment, boundary) and the per-frame scatter/gather lists.
#include "ksim/shm/dma_allocator.hpp"

#include <algorithm>
#include <bit>
#include <string>

#include "errno_error.hpp"
#include "frame_pool.hpp"
#include "ksim/proto/align.hpp"

namespace ksim::shm {
namespace {

constexpr std::uint64_t kPage = proto::kPageSize;
constexpr std::uint64_t kMaxCommonBuffer = std::uint64_t{1} << 40;

}  // namespace

DmaAllocator::DmaAllocator(proto::VendorAllocatorCaps caps) : caps_(std::move(caps)) {}

DmaAllocator::~DmaAllocator() = default;

DmaCallCounts DmaAllocator::calls() const {
    return DmaCallCounts{calls_->initialize.load(), calls_->allocate.load(), calls_->free.load(),
                         calls_->remove.load()};
}

Result<void> DmaAllocator::initialize(const proto::AllocatorFraming& negotiated) {
    calls_->initialize.fetch_add(1);
    const std::string who = "vendor allocator '" + caps_.name + "'";
    if (pool_) return fail(Errc::InvalidState, who + ": already initialized");
    if (auto ok = validate_create_request(negotiated); !ok) return ok;
    if (negotiated.frame_size < caps_.min_frame_size || negotiated.frame_size > caps_.max_frame_size) {
        return fail(Errc::InvalidArgument, who + ": frame size " + std::to_string(negotiated.frame_size) +
                                               " outside its range " + std::to_string(caps_.min_frame_size) +
                                               ".." + std::to_string(caps_.max_frame_size));
    }
    if (caps_.max_frames != 0 && negotiated.frames > caps_.max_frames) {
        return fail(Errc::InvalidArgument, who + ": " + std::to_string(negotiated.frames) +
                                               " frames exceed its maximum of " +
                                               std::to_string(caps_.max_frames));
    }
    if (negotiated.file_alignment > caps_.alignment_mask) {
        return fail(Errc::InvalidArgument, who + ": alignment " + detail::hex(negotiated.file_alignment) +
                                               " is stricter than it can honour (" +
                                               detail::hex(caps_.alignment_mask) + ")");
    }
    if (caps_.boundary != 0 &&
        (!std::has_single_bit(caps_.boundary) || negotiated.frame_size > caps_.boundary)) {
        return fail(Errc::InvalidArgument, who + ": boundary " + detail::hex(caps_.boundary) +
                                               " must be a power of two no smaller than the frame size " +
                                               std::to_string(negotiated.frame_size));
    }

    // Place the frames: aligned, and not crossing a boundary in physical address space.
    const std::uint64_t align =
        std::uint64_t{std::max(negotiated.file_alignment, proto::file_alignment::kQuad)} + 1;
    if (proto::round_up_to(negotiated.frame_size, align) * negotiated.frames > kMaxCommonBuffer) {
        return fail(Errc::InsufficientResources, who + ": " + std::to_string(negotiated.frames) +
                                                     " frames of " + std::to_string(negotiated.frame_size) +
                                                     " bytes exceed the largest common buffer (1 TiB)");
    }
    physical_base_ = proto::round_up_to(caps_.physical_base, std::max(align, kPage));
    std::vector<FrameLayout> layouts(negotiated.frames);
    std::uint64_t cursor = 0;
    for (auto& layout : layouts) {
        std::uint64_t offset = proto::round_up_to(cursor, align);
        if (caps_.boundary != 0) {
            const std::uint64_t first = physical_base_ + offset;
            const std::uint64_t last = first + negotiated.frame_size - 1;
            if (first / caps_.boundary != last / caps_.boundary) {
                offset =
                    proto::round_up_to(proto::round_up_to(first, caps_.boundary) - physical_base_, align);
            }
        }
        layout = FrameLayout{offset, negotiated.frame_size};
        cursor = offset + negotiated.frame_size;
    }
    const std::uint64_t total = proto::round_up_to(cursor, kPage);
    if (physical_base_ + total - 1 > caps_.physical_limit || physical_base_ < caps_.physical_base) {
        return fail(Errc::InsufficientResources,
                    who + ": common buffer of " + std::to_string(total) + " bytes at " +
                        detail::hex(physical_base_) + " does not fit the physical window " +
                        detail::hex(caps_.physical_base) + ".." + detail::hex(caps_.physical_limit));
    }

    // Scatter/gather lists. A contiguous buffer's frame is one physical run; otherwise each
    // page pair is swapped in physical space so neighbouring pages are not adjacent.
    const auto physical_of = [&](std::uint64_t offset) {
        if (caps_.contiguous) return physical_base_ + offset;
        return physical_base_ + ((offset / kPage) ^ 1) * kPage + offset % kPage;
    };
    const std::uint64_t max_segment =
        caps_.max_segment_bytes == 0 ? ~std::uint64_t{0} : caps_.max_segment_bytes;
    std::vector<SgEntry> entries;
    std::vector<std::uint32_t> first(negotiated.frames + 1, 0);
    for (std::uint32_t i = 0; i < negotiated.frames; ++i) {
        first[i] = static_cast<std::uint32_t>(entries.size());
        std::uint64_t offset = layouts[i].offset;
        const std::uint64_t end = offset + layouts[i].size;
        while (offset < end) {
            // A run ends at the frame end, the segment limit, or (scattered) the page end.
            std::uint64_t run_end = std::min(end, offset + max_segment);
            if (!caps_.contiguous) run_end = std::min(run_end, proto::round_up_to(offset + 1, kPage));
            const std::uint64_t physical = physical_of(offset);
            entries.push_back(SgEntry{physical, static_cast<std::uint32_t>(run_end - offset),
                                      proto::address_alignment(physical)});
            offset = run_end;
        }
        const std::uint32_t count = static_cast<std::uint32_t>(entries.size()) - first[i];
        if (caps_.max_sg_entries != 0 && count > caps_.max_sg_entries) {
            return fail(Errc::InsufficientResources,
                        who + ": a frame of " + std::to_string(negotiated.frame_size) + " bytes needs " +
                            std::to_string(count) + " scatter/gather entries; the device takes at most " +
                            std::to_string(caps_.max_sg_entries));
        }
    }
    first[negotiated.frames] = static_cast<std::uint32_t>(entries.size());

    auto region = Region::create(caps_.name.empty() ? "vendor" : caps_.name, total,
                                 RegionOptions{visibility_for(caps_.memory_type), true});
    if (!region) return std::unexpected(region.error());
    const std::uint32_t mask = static_cast<std::uint32_t>(align - 1);
    auto pool = FramePool::create(region->id(), std::move(layouts), negotiated.frame_size, mask);
    if (!pool) return std::unexpected(pool.error());
    region_ = std::move(*region);
    pool_ = std::move(*pool);
    sg_entries_ = std::move(entries);
    sg_first_ = std::move(first);
    return {};
}

Result<FrameHandle> DmaAllocator::allocate() {
    calls_->allocate.fetch_add(1, std::memory_order_relaxed);
    if (!pool_) return fail(Errc::InvalidState, "vendor allocator '" + caps_.name + "': not initialized");
    return pool_->allocate();
}

Result<void> DmaAllocator::free(FrameHandle frame) {
    calls_->free.fetch_add(1, std::memory_order_relaxed);
    if (!pool_) return fail(Errc::InvalidState, "vendor allocator '" + caps_.name + "': not initialized");
    return pool_->free(frame);
}

void DmaAllocator::remove() {
    calls_->remove.fetch_add(1);
    pool_.reset();
    region_.reset();
    sg_entries_.clear();
    sg_first_.clear();
    physical_base_ = 0;
}

const Region& DmaAllocator::region() const {
    return *region_;
}

Result<std::uint64_t> DmaAllocator::physical_address(std::uint32_t index) const {
    auto sg = scatter_gather(index);
    if (!sg) return std::unexpected(sg.error());
    return sg->front().physical_address;
}

Result<std::span<const SgEntry>> DmaAllocator::scatter_gather(std::uint32_t index) const {
    if (!pool_) return fail(Errc::InvalidState, "vendor allocator '" + caps_.name + "': not initialized");
    if (auto layout = pool_->layout(index); !layout) return std::unexpected(layout.error());
    return std::span<const SgEntry>(sg_entries_)
        .subspan(sg_first_[index], sg_first_[index + 1] - sg_first_[index]);
}

}  // namespace ksim::shm
