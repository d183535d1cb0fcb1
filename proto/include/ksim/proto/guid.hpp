// A Windows-style GUID (KS identifies memory types, bus types and property sets by GUID).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ksim::proto {

// Value type with the same field split as the Windows GUID so that values can be
// transcribed 1:1 from ks.h / wdmguid.h. GUID_NULL (all zero) is the KS "don't care".
struct Guid {
    std::uint32_t data1 = 0;
    std::uint16_t data2 = 0;
    std::uint16_t data3 = 0;
    std::array<std::uint8_t, 8> data4{};

    [[nodiscard]] constexpr bool is_null() const { return *this == Guid{}; }

    // Parses "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX", optionally in braces, any case.
    [[nodiscard]] static constexpr std::optional<Guid> parse(std::string_view text);

    // Uppercase canonical form without braces.
    [[nodiscard]] std::string to_string() const;

    friend constexpr auto operator<=>(const Guid&, const Guid&) = default;
};

namespace detail {
constexpr int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
constexpr std::optional<std::uint64_t> parse_hex(std::string_view s) {
    std::uint64_t v = 0;
    for (char c : s) {
        int d = hex_value(c);
        if (d < 0) return std::nullopt;
        v = (v << 4) | static_cast<std::uint64_t>(d);
    }
    return v;
}
}  // namespace detail

constexpr std::optional<Guid> Guid::parse(std::string_view text) {
    if (text.size() == 38 && text.front() == '{' && text.back() == '}') text = text.substr(1, 36);
    if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-')
        return std::nullopt;
    auto d1 = detail::parse_hex(text.substr(0, 8));
    auto d2 = detail::parse_hex(text.substr(9, 4));
    auto d3 = detail::parse_hex(text.substr(14, 4));
    if (!d1 || !d2 || !d3) return std::nullopt;
    Guid g{static_cast<std::uint32_t>(*d1),
           static_cast<std::uint16_t>(*d2),
           static_cast<std::uint16_t>(*d3),
           {}};
    constexpr std::size_t offsets[8] = {19, 21, 24, 26, 28, 30, 32, 34};
    for (std::size_t i = 0; i < 8; ++i) {
        auto b = detail::parse_hex(text.substr(offsets[i], 2));
        if (!b) return std::nullopt;
        g.data4[i] = static_cast<std::uint8_t>(*b);
    }
    return g;
}

// Compile-time GUID literal; a malformed literal is a compile error.
consteval Guid make_guid(std::string_view text) {
    auto g = Guid::parse(text);
    if (!g) throw "malformed GUID literal";
    return *g;
}

}  // namespace ksim::proto
