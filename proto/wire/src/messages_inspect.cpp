// JSON mapping of the handshake and inspection messages (hello, list, get_property, connections),
// and the paging fields list, connections and ledger share.
#include "json_fields.hpp"
#include "ksim/proto/framing_json.hpp"
#include "ksim/wire/messages.hpp"

namespace ksim::wire {

using namespace detail;

namespace detail {
std::optional<std::uint32_t> page_size_field(const json& j, const char* name, std::uint32_t max) {
    return optional_field_with<std::uint32_t>(j, name, [max](const json& x) {
        auto n = convert<std::uint32_t>(x);
        if (n == 0 || n > max)
            throw std::invalid_argument(std::to_string(n) + " is out of range (1 to " + std::to_string(max) +
                                        ")");
        return n;
    });
}
void put_page_end(json& j, const std::optional<std::uint32_t>& next_offset) {
    put_optional(j, "next_offset", next_offset);
    if (next_offset) j["more"] = true;
}
void read_page_end(const json& j, std::optional<std::uint32_t>& next_offset, bool& more) {
    next_offset = optional_field<std::uint32_t>(j, "next_offset");
    more = optional_field<bool>(j, "more").value_or(false);
    if (more != next_offset.has_value())
        throw std::invalid_argument(more ? "field 'more': true without a 'next_offset'"
                                         : "field 'next_offset': set while 'more' is not true");
}
}  // namespace detail

void to_json(json& j, const Hello& v) {
    j = json{{"protocol_version", v.protocol_version},
             {"role", to_string(v.role)},
             {"client_name", v.client_name}};
}
void from_json(const json& j, Hello& v) {
    v.protocol_version = field<std::uint32_t>(j, "protocol_version");
    v.role = field_with<Role>(j, "role", enum_parser<Role>(parse_role, "client, graph-manager, operator"));
    v.client_name = optional_field<std::string>(j, "client_name").value_or("");
    if (v.client_name.size() > kMaxClientNameBytes)
        throw FieldError("/client_name", "a name of " + std::to_string(v.client_name.size()) +
                                             " bytes; at most " + std::to_string(kMaxClientNameBytes));
}

void to_json(json& j, const Welcome& v) {
    j = json{{"client_id", v.client_id},
             {"protocol_version", v.protocol_version},
             {"daemon_version", v.daemon_version}};
}
void from_json(const json& j, Welcome& v) {
    v.client_id = field<std::uint64_t>(j, "client_id");
    v.protocol_version = field<std::uint32_t>(j, "protocol_version");
    v.daemon_version = field<std::string>(j, "daemon_version");
}

void to_json(json& j, const ListRequest& v) {
    j = json::object();
    put_optional(j, "filter", v.filter);
    put_optional(j, "offset", v.offset);
    put_optional(j, "max_filters", v.max_filters);
}
void from_json(const json& j, ListRequest& v) {
    v.filter = optional_field<std::string>(j, "filter");
    v.offset = optional_field<std::uint32_t>(j, "offset");
    v.max_filters = page_size_field(j, "max_filters", kListMaxFilters);
}

void to_json(json& j, const PinInfo& v) {
    j = json{{"id", v.id},
             {"direction", proto::to_string(v.direction)},
             {"hosting", proto::to_string(v.hosting)},
             {"state", proto::to_string(v.state)},
             {"owner", v.owner},
             {"framing_prop", detail::to_string(v.framing_prop)}};
    put_optional(j, "vendor_allocator", v.vendor_allocator);
    put_optional(j, "connected_to", v.connected_to);
    put_optional(j, "allocator", v.allocator);
    j["medium"] = medium_to_json(v.medium);
    put_optional(j, "vendor_allocator_caps", v.vendor_allocator_caps);
}
void from_json(const json& j, PinInfo& v) {
    v.id = field<std::string>(j, "id");
    v.direction = field_with<proto::PinDirection>(j, "direction", direction_from);
    v.hosting = field_with<proto::PinHosting>(j, "hosting", hosting_from);
    v.state = field_with<proto::PinState>(j, "state", pin_state_from);
    v.owner = field<std::uint64_t>(j, "owner");
    v.framing_prop = field_with<proto::FramingProp>(j, "framing_prop", framing_prop_from);
    v.vendor_allocator = optional_field<std::string>(j, "vendor_allocator");
    v.connected_to = optional_field<std::string>(j, "connected_to");
    v.allocator = optional_field<std::string>(j, "allocator");
    v.medium = optional_field_with<proto::Guid>(j, "medium", medium_from).value_or(proto::medium::kStandard);
    v.vendor_allocator_caps = optional_field<proto::VendorAllocatorCaps>(j, "vendor_allocator_caps");
}

namespace {

json video_to_json(const proto::VideoParams& v) {
    return json{{"format", proto::to_string(v.format)},
                {"width", v.width},
                {"height", v.height},
                {"fps", json::array({v.fps_numerator, v.fps_denominator})}};
}
proto::VideoParams video_from(const json& j) {
    proto::VideoParams v;
    v.format = field_with<proto::VideoFormat>(
        j, "format", enum_parser<proto::VideoFormat>(proto::parse_video_format, "NV12, YUY2, RGB24"));
    v.width = field<std::uint32_t>(j, "width");
    v.height = field<std::uint32_t>(j, "height");
    const auto fps = field_with<std::vector<std::uint32_t>>(
        j, "fps", [](const json& a) { return array_with<std::uint32_t>(a, convert<std::uint32_t>); });
    if (fps.size() != 2 || fps[1] == 0)
        throw FieldError("/fps", "expected [numerator, denominator] with a denominator above 0");
    v.fps_numerator = fps[0];
    v.fps_denominator = fps[1];
    return v;
}

json audio_to_json(const proto::AudioParams& a) {
    return json{{"sample_rate", a.sample_rate},
                {"channels", a.channels},
                {"bits_per_sample", a.bits_per_sample},
                {"frames_per_period", a.frames_per_period}};
}
proto::AudioParams audio_from(const json& j) {
    proto::AudioParams a;
    a.sample_rate = field<std::uint32_t>(j, "sample_rate");
    a.channels = field<std::uint32_t>(j, "channels");
    a.bits_per_sample = field<std::uint32_t>(j, "bits_per_sample");
    a.frames_per_period = field<std::uint32_t>(j, "frames_per_period");
    return a;
}

}  // namespace

void to_json(json& j, const FilterInfo& v) {
    j = json{{"id", v.id}, {"kind", proto::to_string(v.kind)}, {"pins", v.pins}};
    if (v.video) j["video"] = video_to_json(*v.video);
    if (v.audio) j["audio"] = audio_to_json(*v.audio);
}
void from_json(const json& j, FilterInfo& v) {
    v.id = field<std::string>(j, "id");
    v.kind = field_with<proto::FilterKind>(j, "kind", filter_kind_from);
    v.pins = array_field<PinInfo>(j, "pins");
    v.video = optional_field_with<proto::VideoParams>(j, "video", video_from);
    v.audio = optional_field_with<proto::AudioParams>(j, "audio", audio_from);
}

namespace {

// {"NAME": "GUID", ...}: the form configs declare device memory types in.
json memory_types_to_json(const std::vector<proto::CustomMemoryType>& types) {
    json j = json::object();
    for (const auto& t : types) j[t.name] = t.guid.to_string();
    return j;
}

std::vector<proto::CustomMemoryType> memory_types_from(const json& v) {
    if (!v.is_object()) throw std::invalid_argument(expected_found("an object {\"NAME\": \"GUID\"}", v));
    std::vector<proto::CustomMemoryType> out;
    for (const auto& [name, value] : v.items()) {
        auto g = value.is_string() ? proto::Guid::parse(value.get<std::string>()) : std::nullopt;
        if (!g)
            throw FieldError("/" + proto::escape_pointer_token(name),
                             proto::json_preview(value) + " is not a GUID string");
        out.push_back(proto::CustomMemoryType{name, *g, proto::MemoryClass::DeviceSpecific});
    }
    return out;
}

}  // namespace

void to_json(json& j, const ListReply& v) {
    j = json{{"filters", v.filters}};
    put_optional(j, "topology", v.topology);
    if (!v.memory_types.empty()) j["memory_types"] = memory_types_to_json(v.memory_types);
    put_page_end(j, v.next_offset);
}
void from_json(const json& j, ListReply& v) {
    v.filters = array_field<FilterInfo>(j, "filters");
    v.topology = optional_field<std::string>(j, "topology");
    v.memory_types =
        optional_field_with<std::vector<proto::CustomMemoryType>>(j, "memory_types", memory_types_from)
            .value_or(std::vector<proto::CustomMemoryType>{});
    read_page_end(j, v.next_offset, v.more);
}

void to_json(json& j, const GetPropertyRequest& v) {
    j = json{{"pin", pin_ref_to_json(v.pin)}, {"property", to_string(v.property)}};
}
void from_json(const json& j, GetPropertyRequest& v) {
    v.pin = field_with<proto::PinRef>(j, "pin", pin_ref_from_json);
    v.property = field_with<PropertyId>(
        j, "property",
        enum_parser<PropertyId>(parse_property_id,
                                "ALLOCATORFRAMING_EX, STREAMALLOCATOR_STATUS, CONNECTION_STATE, STATISTICS, "
                                "ALLOCATORFRAMING, DATAFORMAT"));
}

void to_json(json& j, const StreamAllocatorStatus& v) {
    j = json{{"framing", v.framing}, {"allocated_frames", v.allocated_frames}};
}
void from_json(const json& j, StreamAllocatorStatus& v) {
    v.framing = field<proto::AllocatorFraming>(j, "framing");
    v.allocated_frames = field<std::uint32_t>(j, "allocated_frames");
}

void to_json(json& j, const ConnectionState& v) {
    j = json{{"state", proto::to_string(v.state)}, {"committed", v.committed}};
    if (v.peer) j["peer"] = pin_ref_to_json(*v.peer);
}
void from_json(const json& j, ConnectionState& v) {
    v.state = field_with<proto::PinState>(j, "state", pin_state_from);
    v.committed = field<bool>(j, "committed");
    v.peer = optional_field_with<proto::PinRef>(j, "peer", pin_ref_from_json);
}

void to_json(json& j, const VendorAllocatorCalls& v) {
    j = json{{"initialize", v.initialize}, {"allocate", v.allocate}, {"free", v.free}, {"delete", v.remove}};
}
void from_json(const json& j, VendorAllocatorCalls& v) {
    v.initialize = field<std::uint64_t>(j, "initialize");
    v.allocate = field<std::uint64_t>(j, "allocate");
    v.free = field<std::uint64_t>(j, "free");
    v.remove = field<std::uint64_t>(j, "delete");
}

void to_json(json& j, const AllocatorFailure& v) {
    j = json{{"routine", v.routine},
             {"status", v.status},
             {"status_name", v.status_name},
             {"framing", v.framing},
             {"capabilities", v.capabilities},
             {"provider", pin_ref_to_json(v.provider)},
             {"asked_by", pin_ref_to_json(v.asked_by)},
             {"at_ns", v.at_ns},
             {"message", v.message}};
    put_optional(j, "fault", v.fault);
}
void from_json(const json& j, AllocatorFailure& v) {
    v.routine = field<std::string>(j, "routine");
    v.status = field<std::uint32_t>(j, "status");
    v.status_name = field<std::string>(j, "status_name");
    v.framing = field<proto::AllocatorFraming>(j, "framing");
    v.capabilities = field<proto::VendorAllocatorCaps>(j, "capabilities");
    v.provider = field_with<proto::PinRef>(j, "provider", pin_ref_from_json);
    v.asked_by = field_with<proto::PinRef>(j, "asked_by", pin_ref_from_json);
    v.at_ns = field<std::uint64_t>(j, "at_ns");
    v.fault = optional_field<std::string>(j, "fault");
    v.message = field<std::string>(j, "message");
}

void to_json(json& j, const VendorAllocatorStats& v) {
    j = json{{"name", v.name}, {"initialized", v.initialized}, {"calls", v.calls}};
    put_optional(j, "last_failure", v.last_failure);
}
void from_json(const json& j, VendorAllocatorStats& v) {
    v.name = field<std::string>(j, "name");
    v.initialized = field<bool>(j, "initialized");
    v.calls = field<VendorAllocatorCalls>(j, "calls");
    v.last_failure = optional_field<AllocatorFailure>(j, "last_failure");
}

void to_json(json& j, const VerifierRuleCount& v) {
    j = json{{"rule", v.rule}, {"count", v.count}, {"hint", v.hint}};
}
void from_json(const json& j, VerifierRuleCount& v) {
    v.rule = field<std::string>(j, "rule");
    v.count = field<std::uint64_t>(j, "count");
    v.hint = field<std::string>(j, "hint");
}

void to_json(json& j, const VerifierViolation& v) {
    j = json{
        {"rule", v.rule}, {"routine", v.routine}, {"message", v.message}, {"at_ns", v.at_ns}, {"nth", v.nth}};
}
void from_json(const json& j, VerifierViolation& v) {
    v.rule = field<std::string>(j, "rule");
    v.routine = field<std::string>(j, "routine");
    v.message = field<std::string>(j, "message");
    v.at_ns = field<std::uint64_t>(j, "at_ns");
    v.nth = field<std::uint64_t>(j, "nth");
}

void to_json(json& j, const VerifierStats& v) {
    j = json{{"driver", v.driver}, {"total", v.total}, {"rules", v.rules}, {"recent", v.recent}};
}
void from_json(const json& j, VerifierStats& v) {
    v.driver = field<std::string>(j, "driver");
    v.total = field<std::uint64_t>(j, "total");
    v.rules = field<std::vector<VerifierRuleCount>>(j, "rules");
    v.recent = field<std::vector<VerifierViolation>>(j, "recent");
}

void to_json(json& j, const PinStatistics& v) {
    j = json{{"completed", v.completed},           {"dropped", v.dropped},
             {"in_flight", v.in_flight},           {"latency_avg_ns", v.latency_avg_ns},
             {"latency_max_ns", v.latency_max_ns}, {"hold_avg_ns", v.hold_avg_ns},
             {"hold_max_ns", v.hold_max_ns}};
    put_optional(j, "allocator", v.allocator);
    put_optional(j, "vendor_allocator", v.vendor_allocator);
    put_optional(j, "verifier", v.verifier);
}
void from_json(const json& j, PinStatistics& v) {
    v.completed = field<std::uint64_t>(j, "completed");
    v.dropped = field<std::uint64_t>(j, "dropped");
    v.in_flight = field<std::uint64_t>(j, "in_flight");
    v.latency_avg_ns = field<std::uint64_t>(j, "latency_avg_ns");
    v.latency_max_ns = field<std::uint64_t>(j, "latency_max_ns");
    v.hold_avg_ns = optional_field<std::uint64_t>(j, "hold_avg_ns").value_or(0);
    v.hold_max_ns = optional_field<std::uint64_t>(j, "hold_max_ns").value_or(0);
    v.allocator = optional_field<std::string>(j, "allocator");
    v.vendor_allocator = optional_field<VendorAllocatorStats>(j, "vendor_allocator");
    v.verifier = optional_field<VerifierStats>(j, "verifier");
}

namespace {

// The data format in the config's shape (docs/config.md): {"video": {"format", "width",
// "height", "fps": [num, den]}} or {"audio": {"sample_rate", "channels", "bits_per_sample",
// "frames_per_period"}}.
json data_format_to_json(const proto::DataFormat& f) {
    json j = json::object();
    if (f.video) j["video"] = video_to_json(*f.video);
    if (f.audio) j["audio"] = audio_to_json(*f.audio);
    return j;
}

proto::DataFormat data_format_from(const json& j) {
    proto::DataFormat f;
    f.video = optional_field_with<proto::VideoParams>(j, "video", video_from);
    f.audio = optional_field_with<proto::AudioParams>(j, "audio", audio_from);
    if (f.video.has_value() == f.audio.has_value())
        throw std::invalid_argument("expected exactly one of 'video' and 'audio'");
    return f;
}

}  // namespace

void to_json(json& j, const GetPropertyReply& v) {
    j = json{{"pin", pin_ref_to_json(v.pin)}, {"property", to_string(v.property)}};
    put_optional(j, "framing", v.framing);
    put_optional(j, "status", v.status);
    put_optional(j, "connection", v.connection);
    put_optional(j, "statistics", v.statistics);
    put_optional(j, "legacy_framing", v.legacy_framing);
    if (v.data_format) j["data_format"] = data_format_to_json(*v.data_format);
}
void from_json(const json& j, GetPropertyReply& v) {
    GetPropertyRequest head;
    from_json(j, head);
    v.pin = head.pin;
    v.property = head.property;
    v.framing = optional_field<proto::AllocatorFramingEx>(j, "framing");
    v.status = optional_field<StreamAllocatorStatus>(j, "status");
    v.connection = optional_field<ConnectionState>(j, "connection");
    v.statistics = optional_field<PinStatistics>(j, "statistics");
    v.legacy_framing = optional_field<proto::AllocatorFraming>(j, "legacy_framing");
    v.data_format = optional_field_with<proto::DataFormat>(j, "data_format", data_format_from);
    bool present = (v.property == PropertyId::AllocatorFramingEx && v.framing) ||
                   (v.property == PropertyId::StreamAllocatorStatus && v.status) ||
                   (v.property == PropertyId::ConnectionState && v.connection) ||
                   (v.property == PropertyId::Statistics && v.statistics) ||
                   (v.property == PropertyId::AllocatorFraming && v.legacy_framing) ||
                   (v.property == PropertyId::DataFormat && v.data_format);
    if (!present)
        throw std::invalid_argument("the value of property " + std::string(to_string(v.property)) +
                                    " is missing");
}

void to_json(json& j, const AllocatorDecision& v) {
    j = json{{"kind", to_string(v.kind)},
             {"provider", pin_ref_to_json(v.provider)},
             {"memory_type", memory_type_to_json(v.memory_type)},
             {"frame_size", v.frame_size},
             {"frames", v.frames},
             {"alignment_mask", v.alignment_mask}};
}
void from_json(const json& j, AllocatorDecision& v) {
    v.kind = field_with<AllocatorKind>(
        j, "kind", enum_parser<AllocatorKind>(parse_allocator_kind, "default, vendor, user"));
    v.provider = field_with<proto::PinRef>(j, "provider", pin_ref_from_json);
    v.memory_type = field_with<proto::Guid>(j, "memory_type", guid_from);
    v.frame_size = field<std::uint32_t>(j, "frame_size");
    v.frames = field<std::uint32_t>(j, "frames");
    v.alignment_mask = field<std::uint32_t>(j, "alignment_mask");
    if (!proto::is_alignment_mask(v.alignment_mask))
        throw std::invalid_argument("field 'alignment_mask': " + std::to_string(v.alignment_mask) +
                                    " is not of the form 2^n - 1");
}

void to_json(json& j, const ConnectionsRequest& v) {
    j = json::object();
    put_optional(j, "offset", v.offset);
    put_optional(j, "max_connections", v.max_connections);
}
void from_json(const json& j, ConnectionsRequest& v) {
    v.offset = optional_field<std::uint32_t>(j, "offset");
    v.max_connections = page_size_field(j, "max_connections", kConnectionsMaxPerPage);
}

void to_json(json& j, const ConnectionInfo& v) {
    j = json{{"from", pin_ref_to_json(v.from)}, {"to", pin_ref_to_json(v.to)}};
    put_optional(j, "decision", v.decision);
    put_optional(j, "allocator_failure", v.allocator_failure);
}
void from_json(const json& j, ConnectionInfo& v) {
    v.from = field_with<proto::PinRef>(j, "from", pin_ref_from_json);
    v.to = field_with<proto::PinRef>(j, "to", pin_ref_from_json);
    v.decision = optional_field<AllocatorDecision>(j, "decision");
    v.allocator_failure = optional_field<AllocatorFailure>(j, "allocator_failure");
}

void to_json(json& j, const ConnectionsReply& v) {
    j = json{{"connections", v.connections}};
    put_page_end(j, v.next_offset);
}
void from_json(const json& j, ConnectionsReply& v) {
    v.connections = array_field<ConnectionInfo>(j, "connections");
    read_page_end(j, v.next_offset, v.more);
}

}  // namespace ksim::wire
