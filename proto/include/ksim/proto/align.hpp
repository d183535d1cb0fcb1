// Rounding sizes and addresses up to an alignment: one definition for the allocators' frame
// placement and the engine's capability checks.
#pragma once

#include <cstdint>

namespace ksim::proto {

// `value` rounded up to a multiple of `power_of_two` (an alignment in bytes, i.e. a KS
// FILE_*_ALIGNMENT mask + 1).
[[nodiscard]] constexpr std::uint64_t round_up_to(std::uint64_t value, std::uint64_t power_of_two) {
    return (value + power_of_two - 1) & ~(power_of_two - 1);
}

}  // namespace ksim::proto
