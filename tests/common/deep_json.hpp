// JSON text nested far deeper than any parser limit, for the tests that prove a deep document is
// refused cleanly rather than exhausting the stack.
#pragma once

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <sstream>
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

// The config at `path` with its first alignment value ("FILE_BYTE_ALIGNMENT", which the loader
// reads) replaced by kHostileDepth nested arrays; "" when the config has no such value.
inline std::string with_hostile_alignment(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::string out = text.str();
    const std::string alignment = "\"FILE_BYTE_ALIGNMENT\"";
    auto at = out.find(alignment);
    if (at == std::string::npos) return "";
    return out.replace(at, alignment.size(), nested_arrays(kHostileDepth));
}

}  // namespace ksim::test
