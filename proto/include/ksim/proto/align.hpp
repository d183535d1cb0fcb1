// Rounding sizes and addresses up to an alignment: one definition for the allocators' frame
// placement and the engine's capability checks.
#pragma once

#include <algorithm>
#include <cstdint>

namespace ksim::proto {

// `value` rounded up to a multiple of `power_of_two` (an alignment in bytes, i.e. a KS
// FILE_*_ALIGNMENT mask + 1).
[[nodiscard]] constexpr std::uint64_t round_up_to(std::uint64_t value, std::uint64_t power_of_two) {
    return (value + power_of_two - 1) & ~(power_of_two - 1);
}

// KSMAPPING.Alignment of a (simulated physical) address: the largest power of two dividing it,
// capped at 2^31 (an address of 0 is aligned to everything).
[[nodiscard]] constexpr std::uint32_t address_alignment(std::uint64_t address) {
    if (address == 0) return 0x80000000u;
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(address & (~address + 1), 0x80000000u));
}

}  // namespace ksim::proto
