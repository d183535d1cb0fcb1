#include "allocator_failure_text.hpp"

#include <fmt/format.h>

namespace ksim::ctl {

std::string describe_failure(const wire::AllocatorFailure& f) {
    const auto& g = f.framing;
    const auto& c = f.capabilities;
    const std::string max_frames =
        c.max_frames == 0 ? "any number of" : fmt::format("up to {}", c.max_frames);
    return fmt::format(
        "{} of '{}' ({}) returned {} for {} x {} B, alignment mask 0x{:X}, flags 0x{:X}, pool {}; declared "
        "{}-{} B, {} frames, alignment 0x{:X}, window 0x{:X}-0x{:X}; asked by {}{}",
        f.routine, c.name, f.provider.to_string(), f.status_name, g.frames, g.frame_size, g.file_alignment,
        g.flags, g.pool_type == proto::PoolType::Paged ? "paged" : "non-paged", c.min_frame_size,
        c.max_frame_size, max_frames, c.alignment_mask, c.physical_base, c.physical_limit,
        f.asked_by.to_string(), f.fault ? " (injected by the fault at " + *f.fault + ")" : "");
}

}  // namespace ksim::ctl
