// DefaultAllocator: the KS default allocator. One pool of N frames of the negotiated size,
// each aligned to max(negotiated alignment, FILE_QUAD), in one region; O(1) lock-free
// allocate/free, safe from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "ksim/proto/guid.hpp"
#include "ksim/proto/memory_types.hpp"
#include "ksim/shm/allocator.hpp"

namespace ksim::shm {

struct DefaultAllocatorOptions {
    std::string name = "default";                         // region name (diagnostics)
    proto::Guid memory_type = proto::memory_type::kUser;  // decides visibility (kernel = KernelOnly)
    bool populate = true;                                 // fault pages in at initialize
};

class DefaultAllocator final : public FrameAllocator {
public:
    explicit DefaultAllocator(DefaultAllocatorOptions options = {});
    ~DefaultAllocator() override;

    Result<void> initialize(const proto::AllocatorFraming& negotiated) override;
    Result<FrameHandle> allocate() override;
    Result<void> free(FrameHandle frame) override;
    void remove() override;
    [[nodiscard]] const Region& region() const override;
    [[nodiscard]] std::string kind() const override { return "default"; }

    // Bytes between the starts of consecutive frames (frame size rounded up to the alignment).
    [[nodiscard]] std::uint64_t stride() const { return stride_; }

protected:
    [[nodiscard]] const FramePool* pool() const override { return pool_.get(); }

private:
    DefaultAllocatorOptions options_;
    std::optional<Region> region_;
    std::unique_ptr<FramePool> pool_;
    std::uint64_t stride_ = 0;
};

}  // namespace ksim::shm
