// JSON mapping of the asynchronous events.
#include "json_fields.hpp"
#include "ksim/proto/framing_json.hpp"
#include "ksim/wire/messages.hpp"

namespace ksim::wire {

using namespace detail;

namespace {
proto::PinRef pin_field(const json& j) {
    return field_with<proto::PinRef>(j, "pin", pin_ref_from_json);
}
std::string detail_field(const json& j) {
    return optional_field<std::string>(j, "detail").value_or("");
}
}  // namespace

void to_json(json& j, const StateChangedEvent& v) {
    j = json{{"pin", pin_ref_to_json(v.pin)}, {"state", proto::to_string(v.state)}, {"detail", v.detail}};
}
void from_json(const json& j, StateChangedEvent& v) {
    v.pin = pin_field(j);
    v.state = field_with<proto::PinState>(j, "state", pin_state_from);
    v.detail = detail_field(j);
}

void to_json(json& j, const FrameDroppedEvent& v) {
    j = json{{"pin", pin_ref_to_json(v.pin)}, {"detail", v.detail}};
}
void from_json(const json& j, FrameDroppedEvent& v) {
    v.pin = pin_field(j);
    v.detail = detail_field(j);
}

void to_json(json& j, const AllocatorCommittedEvent& v) {
    j = json{{"pin", pin_ref_to_json(v.pin)}, {"detail", v.detail}};
}
void from_json(const json& j, AllocatorCommittedEvent& v) {
    v.pin = pin_field(j);
    v.detail = detail_field(j);
}

void to_json(json& j, const ClientGoneEvent& v) {
    j = json{{"client_id", v.client_id}, {"detail", v.detail}};
}
void from_json(const json& j, ClientGoneEvent& v) {
    v.client_id = field<std::uint64_t>(j, "client_id");
    v.detail = detail_field(j);
}

void to_json(json& j, const FramingChangedEvent& v) {
    j = json{{"pin", pin_ref_to_json(v.pin)}, {"detail", v.detail}};
    put_optional(j, "framing", v.framing);
}
void from_json(const json& j, FramingChangedEvent& v) {
    v.pin = pin_field(j);
    v.framing = optional_field<proto::AllocatorFramingEx>(j, "framing");
    v.detail = detail_field(j);
}

void to_json(json& j, const ConnectionChangedEvent& v) {
    j = json{{"from", pin_ref_to_json(v.from)},
             {"to", pin_ref_to_json(v.to)},
             {"connected", v.connected},
             {"detail", v.detail}};
}
void from_json(const json& j, ConnectionChangedEvent& v) {
    v.from = field_with<proto::PinRef>(j, "from", pin_ref_from_json);
    v.to = field_with<proto::PinRef>(j, "to", pin_ref_from_json);
    v.connected = field<bool>(j, "connected");
    v.detail = detail_field(j);
}

void to_json(json& j, const AllocatorFailedEvent& v) {
    j = json{{"pin", pin_ref_to_json(v.pin)}, {"failure", v.failure}, {"detail", v.detail}};
}
void from_json(const json& j, AllocatorFailedEvent& v) {
    v.pin = pin_field(j);
    v.failure = field<AllocatorFailure>(j, "failure");
    v.detail = detail_field(j);
}

void to_json(json& j, const VerifierViolationEvent& v) {
    j = json{{"pin", pin_ref_to_json(v.pin)},
             {"driver", v.driver},
             {"violation", v.violation},
             {"detail", v.detail}};
}
void from_json(const json& j, VerifierViolationEvent& v) {
    v.pin = pin_field(j);
    v.driver = field<std::string>(j, "driver");
    v.violation = field<VerifierViolation>(j, "violation");
    v.detail = detail_field(j);
}

void to_json(json& j, const FrameReadyEvent& v) {
    j = json{
        {"pin", pin_ref_to_json(v.pin)}, {"frame", v.frame}, {"header", stream_header_to_json(v.header)}};
}
void from_json(const json& j, FrameReadyEvent& v) {
    v.pin = pin_field(j);
    v.frame = field<FrameRef>(j, "frame");
    v.header = field_with<proto::StreamHeader>(j, "header", stream_header_from_json);
}

}  // namespace ksim::wire
