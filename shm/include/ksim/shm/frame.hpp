// The wire name of a frame: (region id, frame index, generation). Plain data, 16 bytes, so it
// travels in rings and control messages unchanged. A descriptor says nothing by itself: the
// daemon validates every one a client sends (ledger.hpp) before touching the frame.
#pragma once

#include <cstdint>
#include <type_traits>

namespace ksim::shm {

// Identifies a region (and so the allocator instance it backs) within one daemon run.
// 0 is never a valid id.
using RegionId = std::uint32_t;
inline constexpr RegionId kInvalidRegion = 0;

struct FrameHandle {
    RegionId region = kInvalidRegion;
    std::uint32_t index = 0;       // frame number within the region's pool
    std::uint32_t generation = 0;  // bumped on every free: an old handle can never alias a new use
    std::uint32_t reserved = 0;    // 0; keeps the layout explicit

    friend constexpr bool operator==(const FrameHandle&, const FrameHandle&) = default;
};

// The name used in protocol code: a FrameHandle as it appears on the wire.
using FrameDescriptor = FrameHandle;

static_assert(sizeof(FrameHandle) == 16);
static_assert(std::is_trivially_copyable_v<FrameHandle>);
static_assert(std::is_standard_layout_v<FrameHandle>);

// Where a frame lives inside its region.
struct FrameLayout {
    std::uint64_t offset = 0;  // byte offset from the start of the region
    std::uint32_t size = 0;    // usable bytes (the negotiated frame size)
};

}  // namespace ksim::shm
