// The envelope around message bodies:
//   request  {"type":"list","id":7, ...body}
//   reply    {"type":"list","id":7,"ok":true, ...body}
//            {"type":"list","id":7,"ok":false,"error":{"code":"not_found","message":"..."}}
//   event    {"type":"state_changed","event":true, ...body}
// Error codes are ksim::Errc names (to_string / parse_errc), the same everywhere.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "ksim/proto/error.hpp"
#include "ksim/wire/message_table.hpp"
#include "ksim/wire/messages.hpp"

namespace ksim::wire {

enum class Direction { Request, Reply, Event };

// What an incoming message is, before its body is decoded.
struct Envelope {
    Direction direction = Direction::Request;
    MessageType type = MessageType::Hello;
    bool type_known = true;      // false only for an error reply to a message of unknown type
    std::uint64_t id = 0;        // requests and replies
    bool ok = true;              // replies
    std::optional<Error> error;  // replies with ok=false
};

// Reads type/id/ok/error. ProtocolError when "type" is missing or unknown (except in an error
// reply, which may lack it: see make_error_reply(id, error)); InvalidArgument when
// an envelope field has the wrong JSON type; a request with an event type is an error.
Result<Envelope> read_envelope(const nlohmann::json& message);

template <typename Body>
nlohmann::json make_request(std::uint64_t id, const Body& body) {
    static_assert(Body::kType != MessageType::StateChanged);
    nlohmann::json j = body;
    j["type"] = to_string(Body::kType);
    j["id"] = id;
    return j;
}

// A success reply to a request of `type`.
template <typename Body>
nlohmann::json make_reply(MessageType type, std::uint64_t id, const Body& body) {
    nlohmann::json j = body;
    j["type"] = to_string(type);
    j["id"] = id;
    j["ok"] = true;
    return j;
}
template <typename Body>
nlohmann::json make_reply(std::uint64_t id, const Body& body) {
    return make_reply(Body::kType, id, body);
}

nlohmann::json make_error_reply(MessageType type, std::uint64_t id, const Error& error);
// An error reply to a request whose type could not be read: no "type" field, only the id.
nlohmann::json make_error_reply(std::uint64_t id, const Error& error);

template <typename Body>
nlohmann::json make_event(const Body& body) {
    nlohmann::json j = body;
    j["type"] = to_string(Body::kType);
    j["event"] = true;
    return j;
}

// The "type" field as text for diagnostics ("?" when absent or not a string); never throws.
std::string type_name_of(const nlohmann::json& message) noexcept;

// Decodes a body; a missing or ill-typed field becomes InvalidArgument naming the field.
template <typename Body>
Result<Body> decode_body(const nlohmann::json& message) {
    try {
        return message.get<Body>();
    } catch (const std::exception& e) {
        return fail(Errc::InvalidArgument, "bad '" + type_name_of(message) + "' message: " + e.what());
    }
}

}  // namespace ksim::wire
