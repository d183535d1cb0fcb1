// Private helpers for the wire JSON mapping: required/optional named fields with errors that
// name the JSON pointer, range-checked integers and enum names.
#pragma once

#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "ksim/proto/stream_header.hpp"
#include "ksim/proto/topology.hpp"
#include "ksim/proto/untrusted_json.hpp"

namespace ksim::wire::detail {

using nlohmann::json;

// A decoding error at a JSON pointer inside the message. Each enclosing field or array level
// prepends its token as the error unwinds, so what() reads "/header/duration: expected an
// integer, found an array". Values are never dumped: json_preview shows scalars, cut short.
class FieldError : public std::invalid_argument {
public:
    FieldError(std::string pointer, const std::string& reason)
        : std::invalid_argument(pointer + ": " + reason), pointer_(std::move(pointer)), reason_(reason) {}
    [[nodiscard]] const std::string& pointer() const { return pointer_; }
    [[nodiscard]] const std::string& reason() const { return reason_; }

private:
    std::string pointer_;
    std::string reason_;
};

// Runs `parse` for the value at token `token` of the current level, turning what it throws into a
// FieldError whose pointer starts with that token.
template <typename Parse>
auto at_token(const std::string& token, Parse&& parse) -> decltype(parse()) {
    try {
        return parse();
    } catch (const FieldError& e) {
        throw FieldError("/" + token + e.pointer(), e.reason());
    } catch (const std::exception& e) {
        throw FieldError("/" + token, e.what());
    }
}

inline std::string expected_found(std::string_view expected, const json& v) {
    return "expected " + std::string(expected) + ", found " + std::string(proto::json_type_phrase(v));
}

// Integers are range-checked: nlohmann would silently wrap -1 into a uint32.
template <typename T>
T convert(const json& v) {
    if constexpr (std::is_same_v<T, bool>) {
        if (!v.is_boolean()) throw std::invalid_argument(expected_found("a boolean", v));
        return v.get<bool>();
    } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
        // Parsed text gives non-negative integers as unsigned; values built in C++ may be signed.
        if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<std::int64_t>() < 0))
            throw std::invalid_argument(expected_found("an unsigned integer", v));
        auto x = v.get<std::uint64_t>();
        if (x > std::numeric_limits<T>::max())
            throw std::invalid_argument(std::to_string(x) + " is out of range (max " +
                                        std::to_string(std::numeric_limits<T>::max()) + ")");
        return static_cast<T>(x);
    } else if constexpr (std::is_integral_v<T>) {
        if (!v.is_number_integer()) throw std::invalid_argument(expected_found("an integer", v));
        using Limits = std::numeric_limits<T>;
        if (v.is_number_unsigned()) {
            auto x = v.get<std::uint64_t>();
            if (x > static_cast<std::uint64_t>(Limits::max()))
                throw std::invalid_argument(std::to_string(x) + " is out of range (max " +
                                            std::to_string(Limits::max()) + ")");
            return static_cast<T>(x);
        }
        auto x = v.get<std::int64_t>();
        if (x < static_cast<std::int64_t>(Limits::min()) || x > static_cast<std::int64_t>(Limits::max()))
            throw std::invalid_argument(std::to_string(x) + " is out of range (" +
                                        std::to_string(Limits::min()) + " to " +
                                        std::to_string(Limits::max()) + ")");
        return static_cast<T>(x);
    } else if constexpr (std::is_same_v<T, std::string>) {
        if (!v.is_string()) throw std::invalid_argument(expected_found("a string", v));
        return v.get<std::string>();
    } else {
        return v.get<T>();
    }
}

template <typename T, typename Parse>
T field_with(const json& j, const char* name, Parse parse) {
    if (!j.is_object()) throw std::invalid_argument(expected_found("an object", j));
    auto it = j.find(name);
    if (it == j.end()) throw std::invalid_argument(std::string("missing field '") + name + "'");
    return at_token(name, [&] { return parse(*it); });
}

template <typename T>
T field(const json& j, const char* name) {
    return field_with<T>(j, name, [](const json& v) { return convert<T>(v); });
}

// Absent or null -> nullopt.
template <typename T, typename Parse>
std::optional<T> optional_field_with(const json& j, const char* name, Parse parse) {
    if (!j.is_object()) throw std::invalid_argument(expected_found("an object", j));
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return std::nullopt;
    return at_token(name, [&] { return std::optional<T>(parse(*it)); });
}

template <typename T>
std::optional<T> optional_field(const json& j, const char* name) {
    return optional_field_with<T>(j, name, [](const json& v) { return convert<T>(v); });
}

template <typename T, typename Parse>
std::vector<T> array_with(const json& v, Parse parse) {
    if (!v.is_array()) throw std::invalid_argument(expected_found("an array", v));
    std::vector<T> out;
    out.reserve(v.size());
    for (std::size_t i = 0; i < v.size(); ++i)
        out.push_back(at_token(std::to_string(i), [&] { return parse(v[i]); }));
    return out;
}

template <typename T>
std::vector<T> array_of(const json& v) {
    return array_with<T>(v, [](const json& e) { return e.get<T>(); });
}

// A required array field of T (decoded with from_json).
template <typename T>
std::vector<T> array_field(const json& j, const char* name) {
    return field_with<std::vector<T>>(j, name, [](const json& v) { return array_of<T>(v); });
}

// An enum from its name through `parse` (returning std::optional), naming the valid values.
template <typename E, typename Parse>
auto enum_parser(Parse parse, const char* valid) {
    return [parse, valid](const json& v) -> E {
        if (!v.is_string()) throw std::invalid_argument(expected_found("a string", v));
        auto e = parse(v.template get<std::string>());
        if (!e)
            throw std::invalid_argument("unknown value " + proto::json_preview(v) + " (valid: " + valid +
                                        ")");
        return *e;
    };
}

template <typename T>
void put_optional(json& j, const char* name, const std::optional<T>& v) {
    if (v) j[name] = *v;
}

// Paging (list, connections, ledger; docs/protocol.md): a page size request field within
// 1..max, and a reply's end-of-page pair: `next_offset` set exactly when `more` is true.
std::optional<std::uint32_t> page_size_field(const json& j, const char* name, std::uint32_t max);
void put_page_end(json& j, const std::optional<std::uint32_t>& next_offset);
void read_page_end(const json& j, std::optional<std::uint32_t>& next_offset, bool& more);

// Enum names.
proto::PinState pin_state_from(const json& v);
proto::PinDirection direction_from(const json& v);
proto::PinHosting hosting_from(const json& v);
proto::FilterKind filter_kind_from(const json& v);
std::string_view to_string(proto::FramingProp p);
proto::FramingProp framing_prop_from(const json& v);
proto::Guid guid_from(const json& v);  // a GUID string or a well-known memory type name
json memory_type_to_json(const proto::Guid& g);
proto::Guid medium_from(const json& v);  // a GUID string or a well-known bus type name
json medium_to_json(const proto::Guid& g);

}  // namespace ksim::wire::detail
