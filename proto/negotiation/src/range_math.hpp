// Frame-size arithmetic: KS_FRAMING_RANGE values as arithmetic progressions (min, min+step, ...
// <= max), their intersection honouring stepping, and KS_COMPRESSION along in-place chains.
#pragma once

#include <cstdint>
#include <optional>

#include "ksim/proto/framing.hpp"

namespace ksim::negotiation::detail {

// The sizes min + k*step <= max. A single size always has step 1. 64-bit so that
// transformed ranges and products cannot overflow.
struct SizeSet {
    std::uint64_t min = 0;
    std::uint64_t max = 0xFFFFFFFFu;
    std::uint64_t step = 1;
    friend bool operator==(const SizeSet&, const SizeSet&) = default;
};

// Stepping 0 (avshws writes it for min == max) is read as 1; a 0..0 range as no requirement.
SizeSet to_size_set(const proto::FramingRange& r);

// The sizes in both sets, or nullopt when there is none (disjoint bounds or incompatible steps).
std::optional<SizeSet> intersect(const SizeSet& a, const SizeSet& b);

// The smallest member >= value, or nullopt.
std::optional<std::uint64_t> first_at_least(const SizeSet& s, std::uint64_t value);
// The largest member.
std::uint64_t last_member(const SizeSet& s);

// Output size = input * numerator / denominator + margin (floor), composed along a pipe.
struct Scale {
    std::uint64_t numerator = 1;
    std::uint64_t denominator = 1;
    std::uint64_t margin = 0;
    [[nodiscard]] bool is_identity() const { return numerator == denominator && margin == 0; }
    // Saturates at 2^64-1 instead of wrapping (callers clamp to ULONG).
    [[nodiscard]] std::uint64_t apply(std::uint64_t size) const;
    friend bool operator==(const Scale&, const Scale&) = default;
};
Scale to_scale(const proto::Compression& c);
// `then` applied after `first`.
Scale compose(const Scale& first, const Scale& then);

// The input sizes s whose scaled size falls in `at_pin`. Stepping survives only a 1:1 ratio;
// otherwise the result has step 1 (docs/negotiation.md: an approximation). nullopt if none.
std::optional<SizeSet> unscale(const SizeSet& at_pin, const Scale& scale);

}  // namespace ksim::negotiation::detail
