// The one parser for JSON that comes from outside the process — protocol messages and config
// files — and the one way to mention such a value in an error message.
//
// Nesting depth is limited while parsing: a container that would open level kMaxJsonDepth + 1 stops
// the parse before the tree grows further. Everything that walks a tree afterwards (nlohmann's
// dump(), copy and comparison, the readers of configs and messages) recurses once per level, so an
// unbounded depth would let a 200 KB document exhaust the stack.
#pragma once

#include <cstddef>
#include <expected>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace ksim::proto {

// Deepest nesting accepted: the root object or array is level 1. Real configs and messages stay
// below 10 levels.
inline constexpr std::size_t kMaxJsonDepth = 64;

struct JsonParseError {
    enum class Kind { Syntax, TooDeep };
    Kind kind = Kind::Syntax;
    // Syntax: 0-based byte offset of the offending character. TooDeep: unknown, 0.
    std::size_t offset = 0;
    // TooDeep: RFC 6901 pointer of the container that exceeds the limit. Syntax: empty.
    std::string pointer;
    // What is wrong, without position prefixes, e.g. "syntax error while parsing value - invalid
    // literal; last read: 'x'" or "nesting deeper than 64 levels".
    std::string message;
};

// Parses one complete JSON text (RFC 8259, no comments, nothing after the value) into a tree that
// nests at most kMaxJsonDepth levels.
std::expected<nlohmann::json, JsonParseError> parse_untrusted_json(std::string_view text);

// RFC 6901 escaping of one reference token ("~" -> "~0", "/" -> "~1").
std::string escape_pointer_token(std::string_view token);

// "an array", "an object", "a string", "an integer", "a negative integer", "a floating-point
// number", "a boolean", "null": the JSON type of `v` as a sentence reads it.
std::string_view json_type_phrase(const nlohmann::json& v);

// A short, depth-safe picture of `v` for error messages: scalars as JSON text (strings cut to
// kPreviewChars characters, then "..."), containers by their type phrase only ("an array").
inline constexpr std::size_t kPreviewChars = 48;
std::string json_preview(const nlohmann::json& v);

}  // namespace ksim::proto
