// JSON mapping of the shared value types: enums, pin names, frame references, stream headers.
#include <array>

#include "json_fields.hpp"
#include "ksim/proto/framing_json.hpp"
#include "ksim/proto/memory_types.hpp"
#include "ksim/wire/messages.hpp"

namespace ksim::wire {
namespace detail {
namespace {

std::string text_of(const json& v) {
    if (!v.is_string()) throw std::invalid_argument(expected_found("a string", v));
    return v.get<std::string>();
}

}  // namespace

proto::PinState pin_state_from(const json& v) {
    auto s = proto::parse_pin_state(text_of(v));
    if (!s)
        throw std::invalid_argument("unknown pin state " + proto::json_preview(v) +
                                    " (valid: STOP, ACQUIRE, PAUSE, RUN)");
    return *s;
}

proto::PinDirection direction_from(const json& v) {
    auto s = text_of(v);
    if (s == "in") return proto::PinDirection::In;
    if (s == "out") return proto::PinDirection::Out;
    throw std::invalid_argument("unknown direction " + proto::json_preview(v) + " (valid: in, out)");
}

proto::PinHosting hosting_from(const json& v) {
    auto s = text_of(v);
    if (s == "kernel") return proto::PinHosting::Kernel;
    if (s == "user") return proto::PinHosting::User;
    throw std::invalid_argument("unknown hosting " + proto::json_preview(v) + " (valid: kernel, user)");
}

proto::FilterKind filter_kind_from(const json& v) {
    if (auto k = proto::parse_filter_kind(text_of(v))) return *k;
    throw std::invalid_argument("unknown filter kind " + proto::json_preview(v));
}

std::string_view to_string(proto::FramingProp p) {
    switch (p) {
        case proto::FramingProp::Old:
            return "old";
        case proto::FramingProp::Ex:
            return "ex";
        case proto::FramingProp::None:
            break;
    }
    return "none";
}

proto::FramingProp framing_prop_from(const json& v) {
    auto s = text_of(v);
    for (auto p : {proto::FramingProp::None, proto::FramingProp::Old, proto::FramingProp::Ex})
        if (to_string(p) == s) return p;
    throw std::invalid_argument("unknown framing property " + proto::json_preview(v) +
                                " (valid: none, old, ex)");
}

proto::Guid guid_from(const json& v) {
    auto s = text_of(v);
    for (const auto& m : proto::known_memory_types())
        if (m.name == s) return m.guid;
    auto g = proto::Guid::parse(s);
    if (!g)
        throw std::invalid_argument(proto::json_preview(v) +
                                    " is neither a GUID nor a known memory type name");
    return *g;
}

json memory_type_to_json(const proto::Guid& g) {
    if (auto n = proto::memory_type_name(g)) return std::string(*n);
    return g.to_string();
}

proto::Guid medium_from(const json& v) {
    auto s = text_of(v);
    for (const auto& b : proto::known_bus_types())
        if (b.name == s) return b.guid;
    auto g = proto::Guid::parse(s);
    if (!g)
        throw std::invalid_argument(proto::json_preview(v) + " is neither a GUID nor a known bus type name");
    return *g;
}

json medium_to_json(const proto::Guid& g) {
    if (auto n = proto::bus_type_name(g)) return std::string(*n);
    return g.to_string();
}

}  // namespace detail

using detail::field;
using detail::json;

json pin_ref_to_json(const proto::PinRef& p) {
    return p.to_string();
}

proto::PinRef pin_ref_from_json(const json& j) {
    if (!j.is_string()) throw std::invalid_argument(detail::expected_found("a string \"filter.pin\"", j));
    auto p = proto::parse_pin_ref(j.get<std::string>());
    if (!p) throw std::invalid_argument(proto::json_preview(j) + " is not of the form \"filter.pin\"");
    return *p;
}

void to_json(json& j, const FrameRef& v) {
    j = json{{"region", v.region}, {"index", v.index}, {"generation", v.generation}};
}
void from_json(const json& j, FrameRef& v) {
    v.region = field<std::uint32_t>(j, "region");
    v.index = field<std::uint32_t>(j, "index");
    v.generation = field<std::uint32_t>(j, "generation");
}

namespace {
json ks_time_to_json(const proto::KsTime& t) {
    return json{{"time", t.time}, {"numerator", t.numerator}, {"denominator", t.denominator}};
}
proto::KsTime ks_time_from_json(const json& j) {
    proto::KsTime t;
    t.time = field<std::int64_t>(j, "time");
    t.numerator = field<std::uint32_t>(j, "numerator");
    t.denominator = field<std::uint32_t>(j, "denominator");
    if (t.denominator == 0) throw std::invalid_argument("KSTIME denominator must not be 0");
    return t;
}
}  // namespace

json stream_header_to_json(const proto::StreamHeader& h) {
    return json{{"type_specific_flags", h.type_specific_flags},
                {"presentation_time", ks_time_to_json(h.presentation_time)},
                {"duration", h.duration},
                {"frame_extent", h.frame_extent},
                {"data_used", h.data_used},
                {"options_flags", proto::to_underlying(h.options_flags)},
                {"status", h.status},
                {"picture_number", h.picture_number},
                {"drop_count", h.drop_count}};
}

proto::StreamHeader stream_header_from_json(const json& j) {
    proto::StreamHeader h;
    h.type_specific_flags = field<std::uint32_t>(j, "type_specific_flags");
    h.presentation_time = detail::field_with<proto::KsTime>(j, "presentation_time", ks_time_from_json);
    h.duration = field<std::int64_t>(j, "duration");
    h.frame_extent = field<std::uint32_t>(j, "frame_extent");
    h.data_used = field<std::uint32_t>(j, "data_used");
    if (h.data_used > h.frame_extent)
        throw std::invalid_argument("data_used " + std::to_string(h.data_used) + " exceeds frame_extent " +
                                    std::to_string(h.frame_extent));
    h.options_flags = proto::StreamHeaderOptions{field<std::uint32_t>(j, "options_flags")};
    h.status = field<std::uint32_t>(j, "status");
    h.picture_number = field<std::int64_t>(j, "picture_number");
    h.drop_count = field<std::int64_t>(j, "drop_count");
    return h;
}

std::string_view to_string(PropertyId p) {
    switch (p) {
        case PropertyId::AllocatorFramingEx:
            return "ALLOCATORFRAMING_EX";
        case PropertyId::StreamAllocatorStatus:
            return "STREAMALLOCATOR_STATUS";
        case PropertyId::ConnectionState:
            return "CONNECTION_STATE";
        case PropertyId::Statistics:
            return "STATISTICS";
        case PropertyId::AllocatorFraming:
            return "ALLOCATORFRAMING";
    }
    return "?";
}

std::optional<PropertyId> parse_property_id(std::string_view name) {
    for (auto p : {PropertyId::AllocatorFramingEx, PropertyId::StreamAllocatorStatus,
                   PropertyId::ConnectionState, PropertyId::Statistics, PropertyId::AllocatorFraming})
        if (to_string(p) == name) return p;
    return std::nullopt;
}

std::string_view to_string(Access a) {
    return a == Access::ReadOnly ? "read_only" : "read_write";
}

std::optional<Access> parse_access(std::string_view name) {
    if (name == "read_only") return Access::ReadOnly;
    if (name == "read_write") return Access::ReadWrite;
    return std::nullopt;
}

}  // namespace ksim::wire
