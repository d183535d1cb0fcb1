// JSON mapping of the graph-building, state and stream messages.
#include "json_fields.hpp"
#include "ksim/proto/framing_json.hpp"
#include "ksim/wire/messages.hpp"

namespace ksim::wire {

using namespace detail;

namespace {
proto::PinRef pin_field(const json& j, const char* name) {
    return field_with<proto::PinRef>(j, name, pin_ref_from_json);
}
}  // namespace

void to_json(json& j, const CreatePinRequest& v) {
    // "pin_id", not "id": "id" is the envelope's request id.
    j = json{{"filter", v.filter}, {"pin_id", v.id}, {"direction", proto::to_string(v.direction)}};
    put_optional(j, "framing", v.framing);
}
void from_json(const json& j, CreatePinRequest& v) {
    v.filter = field<std::string>(j, "filter");
    v.id = field<std::string>(j, "pin_id");
    if (!proto::is_valid_id(v.id))
        throw FieldError("/pin_id",
                         proto::json_preview(json(v.id)) + " must be non-empty and contain no '.'");
    v.direction = field_with<proto::PinDirection>(j, "direction", direction_from);
    v.framing = optional_field<proto::AllocatorFramingEx>(j, "framing");
}

void to_json(json& j, const CreatePinReply& v) {
    j = json{{"pin", pin_ref_to_json(v.pin)}};
}
void from_json(const json& j, CreatePinReply& v) {
    v.pin = pin_field(j, "pin");
}

void to_json(json& j, const ConnectRequest& v) {
    j = json{{"from", pin_ref_to_json(v.from)}, {"to", pin_ref_to_json(v.to)}};
}
void from_json(const json& j, ConnectRequest& v) {
    v.from = pin_field(j, "from");
    v.to = pin_field(j, "to");
}

void to_json(json& j, const SetStateRequest& v) {
    j = json{{"pin", pin_ref_to_json(v.pin)}, {"state", proto::to_string(v.state)}};
}
void from_json(const json& j, SetStateRequest& v) {
    v.pin = pin_field(j, "pin");
    v.state = field_with<proto::PinState>(j, "state", pin_state_from);
}

void to_json(json& j, const SetStateReply& v) {
    j = json{{"pin", pin_ref_to_json(v.pin)}, {"state", proto::to_string(v.state)}};
}
void from_json(const json& j, SetStateReply& v) {
    v.pin = pin_field(j, "pin");
    v.state = field_with<proto::PinState>(j, "state", pin_state_from);
}

void to_json(json& j, const CommitRequest& v) {
    json pipe = json::array();
    for (const auto& [from, to] : v.connections)
        pipe.push_back(json{{"from", pin_ref_to_json(from)}, {"to", pin_ref_to_json(to)}});
    j = json{{"connections", pipe}, {"decision", v.decision}};
}
void from_json(const json& j, CommitRequest& v) {
    using Pair = std::pair<proto::PinRef, proto::PinRef>;
    v.connections = field_with<std::vector<Pair>>(j, "connections", [](const json& a) {
        return array_with<Pair>(a, [](const json& c) {
            return Pair{pin_field(c, "from"), pin_field(c, "to")};
        });
    });
    if (v.connections.empty())
        throw std::invalid_argument("field 'connections': a pipe has at least one connection");
    v.decision = field<AllocatorDecision>(j, "decision");
}

void to_json(json& j, const RegionGrant& v) {
    j = json{{"id", v.id}, {"size", v.size}, {"access", to_string(v.access)}, {"fd_index", v.fd_index}};
    if (!v.frame_offsets.empty()) j["frame_offsets"] = v.frame_offsets;
}
void from_json(const json& j, RegionGrant& v) {
    v.id = field<std::uint64_t>(j, "id");
    v.size = field<std::uint64_t>(j, "size");
    v.access =
        field_with<shm::Access>(j, "access", enum_parser<shm::Access>(parse_access, "read_only, read_write"));
    v.fd_index = field<std::uint32_t>(j, "fd_index");
    if (j.contains("frame_offsets")) {
        v.frame_offsets = field<std::vector<std::uint64_t>>(j, "frame_offsets");
        for (auto offset : v.frame_offsets)
            if (offset >= v.size)
                throw std::invalid_argument("field 'frame_offsets': offset " + std::to_string(offset) +
                                            " lies outside the region of " + std::to_string(v.size) +
                                            " bytes");
    }
}

namespace {
std::string_view to_string(RingDirection d) {
    switch (d) {
        case RingDirection::ToClient:
            return "to_client";
        case RingDirection::ToDaemon:
            return "to_daemon";
        case RingDirection::FreeFrames:
            return "free_frames";
    }
    return "to_client";
}
std::optional<RingDirection> parse_ring_direction(std::string_view s) {
    if (s == "to_client") return RingDirection::ToClient;
    if (s == "to_daemon") return RingDirection::ToDaemon;
    if (s == "free_frames") return RingDirection::FreeFrames;
    return std::nullopt;
}
}  // namespace

void to_json(json& j, const RingGrant& v) {
    j = json{{"direction", to_string(v.direction)},
             {"fd_index", v.fd_index},
             {"size", v.size},
             {"capacity", v.capacity}};
    put_optional(j, "wake_fd_index", v.wake_fd_index);
    put_optional(j, "peer_wake_fd_index", v.peer_wake_fd_index);
    put_optional(j, "depth", v.depth);
}
void from_json(const json& j, RingGrant& v) {
    v.direction = field_with<RingDirection>(
        j, "direction",
        enum_parser<RingDirection>(parse_ring_direction, "to_client, to_daemon, free_frames"));
    v.fd_index = field<std::uint32_t>(j, "fd_index");
    v.size = field<std::uint64_t>(j, "size");
    v.capacity = field<std::uint32_t>(j, "capacity");
    v.wake_fd_index = optional_field<std::uint32_t>(j, "wake_fd_index");
    v.peer_wake_fd_index = optional_field<std::uint32_t>(j, "peer_wake_fd_index");
    v.depth = optional_field<std::uint32_t>(j, "depth");
}

void to_json(json& j, const OpenStreamRequest& v) {
    j = json{{"pin", pin_ref_to_json(v.pin)}};
    if (v.free_frames) j["free_frames"] = true;  // omitted when false: what older daemons expect
}
void from_json(const json& j, OpenStreamRequest& v) {
    v.pin = pin_field(j, "pin");
    v.free_frames = optional_field<bool>(j, "free_frames").value_or(false);
}

void to_json(json& j, const OpenStreamReply& v) {
    j = json{{"pin", pin_ref_to_json(v.pin)}, {"frame_size", v.frame_size}, {"frames", v.frames},
             {"regions", v.regions},          {"rings", v.rings},           {"fd_count", v.fd_count}};
}
void from_json(const json& j, OpenStreamReply& v) {
    v.pin = pin_field(j, "pin");
    v.frame_size = field<std::uint32_t>(j, "frame_size");
    v.frames = field<std::uint32_t>(j, "frames");
    v.regions = array_field<RegionGrant>(j, "regions");
    v.rings = array_field<RingGrant>(j, "rings");
    v.fd_count = field<std::uint32_t>(j, "fd_count");
    auto check = [&](std::uint32_t index, const char* what) {
        if (index >= v.fd_count)
            throw std::invalid_argument(std::string(what) + " fd_index " + std::to_string(index) +
                                        " is outside the " + std::to_string(v.fd_count) +
                                        " attached descriptors");
    };
    for (const auto& r : v.regions) check(r.fd_index, "region");
    for (const auto& r : v.rings) {
        check(r.fd_index, "ring");
        if (r.wake_fd_index) check(*r.wake_fd_index, "ring wake");
        if (r.peer_wake_fd_index) check(*r.peer_wake_fd_index, "ring peer wake");
    }
}

void to_json(json& j, const ReleaseFrameRequest& v) {
    j = json{{"frame", v.frame}};
    put_optional(j, "taken_ns", v.taken_ns);
}
void from_json(const json& j, ReleaseFrameRequest& v) {
    v.frame = field<FrameRef>(j, "frame");
    v.taken_ns = optional_field<std::int64_t>(j, "taken_ns");
}

void to_json(json& j, const AcquireFrameRequest& v) {
    j = json{{"pin", pin_ref_to_json(v.pin)}};
}
void from_json(const json& j, AcquireFrameRequest& v) {
    v.pin = pin_field(j, "pin");
}

void to_json(json& j, const AcquireFrameReply& v) {
    j = json{{"frame", v.frame}};
}
void from_json(const json& j, AcquireFrameReply& v) {
    v.frame = field<FrameRef>(j, "frame");
}

void to_json(json& j, const SubmitFrameRequest& v) {
    j = json{
        {"pin", pin_ref_to_json(v.pin)}, {"frame", v.frame}, {"header", stream_header_to_json(v.header)}};
}
void from_json(const json& j, SubmitFrameRequest& v) {
    v.pin = pin_field(j, "pin");
    v.frame = field<FrameRef>(j, "frame");
    v.header = field_with<proto::StreamHeader>(j, "header", stream_header_from_json);
}

void to_json(json& j, const LedgerRequest& v) {
    j = json::object();
    put_optional(j, "offset", v.offset);
    put_optional(j, "max_entries", v.max_entries);
}
void from_json(const json& j, LedgerRequest& v) {
    v.offset = optional_field<std::uint32_t>(j, "offset");
    v.max_entries = page_size_field(j, "max_entries", kLedgerMaxPerPage);
}

void to_json(json& j, const LedgerEntry& v) {
    j = json{{"pool", v.pool}, {"frame", v.frame}, {"owner", v.owner}, {"holder", v.holder}};
}
void from_json(const json& j, LedgerEntry& v) {
    v.pool = field<std::string>(j, "pool");
    v.frame = field<FrameRef>(j, "frame");
    v.owner = field<std::uint64_t>(j, "owner");
    v.holder = field<std::string>(j, "holder");
}

void to_json(json& j, const LedgerReply& v) {
    j = json{{"entries", v.entries}};
    put_page_end(j, v.next_offset);
}
void from_json(const json& j, LedgerReply& v) {
    v.entries = array_field<LedgerEntry>(j, "entries");
    read_page_end(j, v.next_offset, v.more);
}

void to_json(json& j, const SubscribeRequest& v) {
    json names = json::array();
    for (auto t : v.events) names.push_back(to_string(t));
    j = json{{"events", names}};
}
void from_json(const json& j, SubscribeRequest& v) {
    v.events =
        optional_field_with<std::vector<MessageType>>(j, "events", [](const json& a) {
            return array_with<MessageType>(a, [](const json& e) {
                auto t = enum_parser<MessageType>(parse_message_type, "an event name")(e);
                if (info(t).kind != MessageKind::Event)
                    throw std::invalid_argument(proto::json_preview(e) + " is a request, not an event");
                return t;
            });
        }).value_or(std::vector<MessageType>{});
}

void to_json(json& j, const EmptyReply&) {
    j = json::object();
}
void from_json(const json&, EmptyReply&) {}

}  // namespace ksim::wire
