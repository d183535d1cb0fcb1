// DmaAllocator: a vendor allocator (KSALLOCATOR_DISPATCH) over a simulated device's DMA common
// buffer, as in the avshws sample: one contiguous buffer at a simulated physical base inside
// the device's address window, frames placed to honour the alignment and a no-crossing
// boundary, and a scatter/gather view of each frame split at the maximum segment length.
// Built from the capabilities negotiation compares (proto::VendorAllocatorCaps); counts calls
// to its four callbacks so tests can prove initialize was never called when not selected.
// allocate/free are safe from any thread; the rest is control path.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "ksim/proto/topology.hpp"
#include "ksim/shm/allocator.hpp"

namespace ksim::shm {

// One scatter/gather entry (KSMAPPING-like): a physically contiguous run of a frame.
struct SgEntry {
    std::uint64_t physical_address = 0;
    std::uint32_t byte_count = 0;
    std::uint32_t alignment = 0;  // largest power of two dividing physical_address (bytes)
    friend constexpr bool operator==(const SgEntry&, const SgEntry&) = default;
};

// How many times each KSALLOCATOR_DISPATCH callback ran (successful or not).
struct DmaCallCounts {
    std::uint64_t initialize = 0;
    std::uint64_t allocate = 0;
    std::uint64_t free = 0;
    std::uint64_t remove = 0;  // DeleteAllocator
};

class DmaAllocator final : public FrameAllocator {
public:
    explicit DmaAllocator(proto::VendorAllocatorCaps caps);
    ~DmaAllocator() override;

    // Also checks the request against the caps: frame size in [min, max], frames <= max_frames
    // (if set), alignment mask <= caps.alignment_mask, the buffer fits the physical window and
    // every frame's S/G list fits max_sg_entries. Errors name the cap that was exceeded.
    Result<void> initialize(const proto::AllocatorFraming& negotiated) override;
    Result<FrameHandle> allocate() override;
    Result<void> free(FrameHandle frame) override;
    void remove() override;
    [[nodiscard]] const Region& region() const override;
    [[nodiscard]] std::string kind() const override { return caps_.name.empty() ? "vendor" : caps_.name; }

    [[nodiscard]] const proto::VendorAllocatorCaps& caps() const { return caps_; }
    [[nodiscard]] DmaCallCounts calls() const;

    // Simulated physical address of the common buffer's first byte (0 before initialize).
    [[nodiscard]] std::uint64_t physical_base() const { return physical_base_; }
    // Simulated physical address of a frame's first byte. Errors: NotFound, InvalidState.
    [[nodiscard]] Result<std::uint64_t> physical_address(std::uint32_t index) const;
    // The frame's scatter/gather list (precomputed at initialize; no allocation).
    // Errors: NotFound (bad index), InvalidState.
    [[nodiscard]] Result<std::span<const SgEntry>> scatter_gather(std::uint32_t index) const;

protected:
    [[nodiscard]] const FramePool* pool() const override { return pool_.get(); }

private:
    proto::VendorAllocatorCaps caps_;
    std::optional<Region> region_;
    std::unique_ptr<FramePool> pool_;
    std::uint64_t physical_base_ = 0;
    std::vector<SgEntry> sg_entries_;      // all frames' entries, frame after frame
    std::vector<std::uint32_t> sg_first_;  // frame i: entries [sg_first_[i], sg_first_[i+1])
    struct Counters {
        std::atomic<std::uint64_t> initialize{0}, allocate{0}, free{0}, remove{0};
    };
    std::unique_ptr<Counters> calls_ = std::make_unique<Counters>();
};

}  // namespace ksim::shm
