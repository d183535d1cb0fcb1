// Maps each JSON pointer of a document to the line and column where its value (and, for object
// members, its key) starts. nlohmann_json keeps no positions, so the loader scans the text once.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ksim/proto/untrusted_json.hpp"

namespace ksim::proto::detail {

struct TextPosition {
    int line = 0;  // 1-based; 0 = unknown
    int column = 0;
};

// Line/column of a byte offset (columns count bytes, 1-based).
TextPosition position_of_offset(std::string_view text, std::size_t offset);

// Owns the pointer -> position table of one document; built once, read by the validator.
class PositionIndex {
public:
    // Scans `text`; stops quietly at the first syntax error (the parser reports it).
    explicit PositionIndex(std::string_view text);
    // Position of the value at `pointer`; falls back to the nearest ancestor that is known.
    [[nodiscard]] TextPosition value(std::string_view pointer) const;
    // Position of the member key at `pointer` (the value's position if not an object member).
    [[nodiscard]] TextPosition key(std::string_view pointer) const;

private:
    std::unordered_map<std::string, TextPosition> values_;
    std::unordered_map<std::string, TextPosition> keys_;
};

}  // namespace ksim::proto::detail
