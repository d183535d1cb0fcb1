// Opt-in bitwise operators for flag enums (`enum class X : std::uint32_t`).
#pragma once

#include <type_traits>

namespace ksim::proto {

template <typename E>
struct EnableBitmask : std::false_type {};

template <typename E>
concept BitmaskEnum = std::is_enum_v<E> && EnableBitmask<E>::value;

template <BitmaskEnum E>
constexpr E operator|(E a, E b) {
    using U = std::underlying_type_t<E>;
    return static_cast<E>(static_cast<U>(a) | static_cast<U>(b));
}
template <BitmaskEnum E>
constexpr E operator&(E a, E b) {
    using U = std::underlying_type_t<E>;
    return static_cast<E>(static_cast<U>(a) & static_cast<U>(b));
}
template <BitmaskEnum E>
constexpr E operator~(E a) {
    using U = std::underlying_type_t<E>;
    return static_cast<E>(~static_cast<U>(a));
}
template <BitmaskEnum E>
constexpr E& operator|=(E& a, E b) {
    return a = a | b;
}
template <BitmaskEnum E>
constexpr E& operator&=(E& a, E b) {
    return a = a & b;
}

// True when every bit of `bits` is set in `value`.
template <BitmaskEnum E>
constexpr bool has_all(E value, E bits) {
    return (value & bits) == bits;
}
template <BitmaskEnum E>
constexpr bool has_any(E value, E bits) {
    return static_cast<std::underlying_type_t<E>>(value & bits) != 0;
}
template <BitmaskEnum E>
constexpr auto to_underlying(E e) {
    return static_cast<std::underlying_type_t<E>>(e);
}

}  // namespace ksim::proto
