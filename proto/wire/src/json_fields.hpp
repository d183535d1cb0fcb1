// Private helpers for the wire JSON mapping: required/optional named fields with errors that
// name the field, range-checked integers and enum names.
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

namespace ksim::wire::detail {

using nlohmann::json;

// Integers are range-checked: nlohmann would silently wrap -1 into a uint32.
template <typename T>
T convert(const json& v) {
    if constexpr (std::is_same_v<T, bool>) {
        if (!v.is_boolean())
            throw std::invalid_argument("expected a boolean, got " + std::string(v.type_name()));
        return v.get<bool>();
    } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
        // Parsed text gives non-negative integers as unsigned; values built in C++ may be signed.
        if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<std::int64_t>() < 0))
            throw std::invalid_argument("expected a non-negative integer, got " + v.dump());
        auto x = v.get<std::uint64_t>();
        if (x > std::numeric_limits<T>::max())
            throw std::invalid_argument(v.dump() + " is out of range (max " +
                                        std::to_string(std::numeric_limits<T>::max()) + ")");
        return static_cast<T>(x);
    } else if constexpr (std::is_integral_v<T>) {
        if (!v.is_number_integer()) throw std::invalid_argument("expected an integer, got " + v.dump());
        return v.get<T>();
    } else if constexpr (std::is_same_v<T, std::string>) {
        if (!v.is_string())
            throw std::invalid_argument("expected a string, got " + std::string(v.type_name()));
        return v.get<std::string>();
    } else {
        return v.get<T>();
    }
}

template <typename T, typename Parse>
T field_with(const json& j, const char* name, Parse parse) {
    if (!j.is_object()) throw std::invalid_argument("expected an object, got " + std::string(j.type_name()));
    auto it = j.find(name);
    if (it == j.end()) throw std::invalid_argument(std::string("missing field '") + name + "'");
    try {
        return parse(*it);
    } catch (const std::exception& e) {
        throw std::invalid_argument(std::string("field '") + name + "': " + e.what());
    }
}

template <typename T>
T field(const json& j, const char* name) {
    return field_with<T>(j, name, [](const json& v) { return convert<T>(v); });
}

// Absent or null -> nullopt.
template <typename T, typename Parse>
std::optional<T> optional_field_with(const json& j, const char* name, Parse parse) {
    if (!j.is_object()) throw std::invalid_argument("expected an object, got " + std::string(j.type_name()));
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return std::nullopt;
    try {
        return parse(*it);
    } catch (const std::exception& e) {
        throw std::invalid_argument(std::string("field '") + name + "': " + e.what());
    }
}

template <typename T>
std::optional<T> optional_field(const json& j, const char* name) {
    return optional_field_with<T>(j, name, [](const json& v) { return convert<T>(v); });
}

template <typename T, typename Parse>
std::vector<T> array_with(const json& v, Parse parse) {
    if (!v.is_array()) throw std::invalid_argument("expected an array, got " + std::string(v.type_name()));
    std::vector<T> out;
    out.reserve(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        try {
            out.push_back(parse(v[i]));
        } catch (const std::exception& e) {
            throw std::invalid_argument("[" + std::to_string(i) + "]: " + e.what());
        }
    }
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
        if (!v.is_string())
            throw std::invalid_argument("expected a string, got " + std::string(v.type_name()));
        auto e = parse(v.template get<std::string>());
        if (!e) throw std::invalid_argument("unknown value " + v.dump() + " (valid: " + valid + ")");
        return *e;
    };
}

template <typename T>
void put_optional(json& j, const char* name, const std::optional<T>& v) {
    if (v) j[name] = *v;
}

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
