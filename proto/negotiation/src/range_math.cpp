#include "range_math.hpp"

#include <algorithm>
#include <numeric>

namespace ksim::negotiation::detail {
namespace {

__extension__ using Int128 = __int128;

// x with x = a (mod m) and x = b (mod n), modulo lcm(m, n); nullopt when incompatible.
std::optional<std::uint64_t> solve_congruences(std::uint64_t a, std::uint64_t m, std::uint64_t b,
                                               std::uint64_t n) {
    const std::uint64_t g = std::gcd(m, n);
    const Int128 diff = static_cast<Int128>(b % n) - static_cast<Int128>(a % m);
    if (diff % static_cast<Int128>(g) != 0) return std::nullopt;
    // Extended Euclid for the inverse of m/g modulo n/g.
    const Int128 mg = static_cast<Int128>(m / g), ng = static_cast<Int128>(n / g);
    Int128 old_r = mg % ng, r = ng, old_s = 1, s = 0;
    while (r != 0) {
        const Int128 q = old_r / r;
        Int128 t = old_r - q * r;
        old_r = r;
        r = t;
        t = old_s - q * s;
        old_s = s;
        s = t;
    }
    Int128 inverse = ng == 1 ? 0 : ((old_s % ng) + ng) % ng;
    Int128 k = ((diff / static_cast<Int128>(g)) % ng + ng) % ng;
    k = (k * inverse) % ng;
    const Int128 lcm = mg * static_cast<Int128>(n);
    const Int128 x = (static_cast<Int128>(a % m) + k * static_cast<Int128>(m)) % lcm;
    return static_cast<std::uint64_t>(x);
}

SizeSet normalised(SizeSet s) {
    if (s.step == 0 || s.min == s.max) s.step = 1;
    if (s.step > 1) s.max = s.min + (s.max - s.min) / s.step * s.step;
    if (s.min == s.max) s.step = 1;
    return s;
}

}  // namespace

SizeSet to_size_set(const proto::FramingRange& r) {
    // 0..0 states no size at all (the WDK USB audio sample declares it and sizes frames from
    // the format); ksim reads it as "no requirement" rather than as 0-byte frames.
    if (r.max_frame_size == 0) return {0, 0xFFFFFFFFu, 1};
    return normalised({r.min_frame_size, r.max_frame_size, r.stepping});
}

std::optional<SizeSet> intersect(const SizeSet& a, const SizeSet& b) {
    const std::uint64_t lo = std::max(a.min, b.min);
    const std::uint64_t hi = std::min(a.max, b.max);
    if (lo > hi) return std::nullopt;
    if (a.step == 1 && b.step == 1) return SizeSet{lo, hi, 1};  // the common case, without 128-bit division
    const std::uint64_t lcm = std::lcm(a.step, b.step);
    auto residue = solve_congruences(a.min, a.step, b.min, b.step);
    if (!residue) return std::nullopt;
    // The smallest x >= lo with x = residue (mod lcm).
    const std::uint64_t offset = (*residue + lcm - lo % lcm) % lcm;
    if (offset > hi - lo) return std::nullopt;
    return normalised({lo + offset, hi, lcm});
}

std::optional<std::uint64_t> first_at_least(const SizeSet& s, std::uint64_t value) {
    if (value <= s.min) return s.min;
    const std::uint64_t k = (value - s.min + s.step - 1) / s.step;
    const std::uint64_t x = s.min + k * s.step;
    if (x > s.max) return std::nullopt;
    return x;
}

std::uint64_t last_member(const SizeSet& s) {
    return s.min + (s.max - s.min) / s.step * s.step;
}

std::uint64_t Scale::apply(std::uint64_t size) const {
    if (is_identity()) return size;
    const Int128 v = static_cast<Int128>(size) * numerator / denominator + margin;
    return v > static_cast<Int128>(UINT64_MAX) ? UINT64_MAX : static_cast<std::uint64_t>(v);
}

Scale to_scale(const proto::Compression& c) {
    return {c.ratio_numerator, c.ratio_denominator == 0 ? 1u : c.ratio_denominator, c.ratio_constant_margin};
}

Scale compose(const Scale& first, const Scale& then) {
    // (s*n1/d1 + m1)*n2/d2 + m2 = s*n1*n2/(d1*d2) + m1*n2/d2 + m2, reduced so chains stay small.
    // Terms stay <= 2^32 (to_scale, and the clamp below), so the products are exact in 64 bits;
    // a ratio still wider than 32 bits after reduction is scaled down (approximated, never wrapped).
    std::uint64_t num = first.numerator * then.numerator;
    std::uint64_t den = first.denominator * then.denominator;
    if (const std::uint64_t g = std::gcd(num, den); g > 1) {
        num /= g;
        den /= g;
    }
    while (num > 0xFFFFFFFF || den > 0xFFFFFFFF) {
        num = (num + 1) / 2;
        den = (den + 1) / 2;
    }
    Int128 margin = static_cast<Int128>(first.margin) * then.numerator / then.denominator + then.margin;
    if (margin > 0xFFFFFFFF) margin = 0xFFFFFFFF;
    return {num, den == 0 ? 1 : den, static_cast<std::uint64_t>(margin)};
}

std::optional<SizeSet> unscale(const SizeSet& at_pin, const Scale& scale) {
    if (scale.is_identity()) return at_pin;
    if (at_pin.max < scale.margin) return std::nullopt;
    if (scale.numerator == 0) {
        // Constant output: every input qualifies when the margin itself is a member.
        if (scale.margin < at_pin.min || (scale.margin - at_pin.min) % at_pin.step != 0) return std::nullopt;
        return SizeSet{0, 0xFFFFFFFFu, 1};
    }
    if (scale.numerator == scale.denominator) {
        const std::uint64_t lo = at_pin.min > scale.margin ? at_pin.min - scale.margin : 0;
        SizeSet shifted{lo, at_pin.max - scale.margin, at_pin.step};
        if (at_pin.min < scale.margin) {
            auto first = first_at_least(at_pin, scale.margin);
            if (!first) return std::nullopt;
            shifted.min = *first - scale.margin;
        }
        return normalised(shifted);
    }
    // s*n/d >= min - margin  <=>  s >= ceil((min - margin) * d / n); the floor makes the upper
    // bound s <= floor(((max - margin) * d + d - 1) / n).
    const std::uint64_t want_lo = at_pin.min > scale.margin ? at_pin.min - scale.margin : 0;
    const std::uint64_t want_hi = at_pin.max - scale.margin;
    const auto d = static_cast<Int128>(scale.denominator), n = static_cast<Int128>(scale.numerator);
    const Int128 lo = (static_cast<Int128>(want_lo) * d + n - 1) / n;
    const Int128 hi = (static_cast<Int128>(want_hi) * d + d - 1) / n;
    if (lo > hi) return std::nullopt;
    const Int128 cap = 0xFFFFFFFFu;
    return SizeSet{static_cast<std::uint64_t>(std::min(lo, cap)),
                   static_cast<std::uint64_t>(std::min(hi, cap)), 1};
}

}  // namespace ksim::negotiation::detail
