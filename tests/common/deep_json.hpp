// JSON text nested far deeper than any parser limit, for the tests that prove a deep document is
// refused cleanly rather than exhausting the stack.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ksim::test {

// Deeper than any legitimate document by three orders of magnitude; about 200 KB of text.
inline constexpr std::size_t kHostileDepth = 100'000;

// `depth` nested arrays around `inner`: "[[[1]]]" for depth 3.
inline std::string nested_arrays(std::size_t depth, std::string_view inner = "1") {
    std::string out(depth, '[');
    out += inner;
    out.append(depth, ']');
    return out;
}

}  // namespace ksim::test
