// Why a vendor allocator cannot serve a pipe: the mode rules, then its capabilities against the
// combined framing. Each finding carries the exact values compared.
#pragma once

#include <optional>
#include <vector>

#include "engine.hpp"

namespace ksim::negotiation::detail {

struct CheckContext {
    const PreparedGraph& g;
    const PipePlan& plan;
    const SideRequest& request;
    const ResultFraming& framing;
};

// A kernel-mode allocator on a user-mode connection, a user-mode one on a kernel connection,
// or a downstream allocator when the upstream pin is user-hosted (it allocates unconditionally).
std::optional<Finding> check_mode(const CheckContext& ctx, std::size_t provider_pos,
                                  const proto::VendorAllocatorCaps& caps);

// Every capability that falls short: memory type, frames, frame size, alignment, contiguity,
// boundary, physical window. Empty when the allocator can serve the framing.
RecordVector<Finding> check_capabilities(const CheckContext& ctx, std::size_t provider_pos,
                                         const proto::VendorAllocatorCaps& caps);

}  // namespace ksim::negotiation::detail
