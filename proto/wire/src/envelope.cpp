#include "ksim/wire/envelope.hpp"

#include "ksim/proto/untrusted_json.hpp"

namespace ksim::wire {

std::string type_name_of(const nlohmann::json& message) noexcept {
    if (!message.is_object()) return "?";
    auto it = message.find("type");
    if (it == message.end() || !it->is_string()) return "?";
    return it->get<std::string>();
}

namespace {

Result<void> read_error(const nlohmann::json& message, Envelope& env) {
    Error error{Errc::Internal, ""};
    auto err_it = message.find("error");
    if (err_it == message.end() || !err_it->is_object())
        return fail(Errc::ProtocolError, "error reply without an 'error' object");
    auto code_it = err_it->find("code");
    if (code_it == err_it->end() || !code_it->is_string() ||
        !parse_errc(code_it->get<std::string>(), error.code))
        return fail(Errc::ProtocolError, "error reply with a missing or unknown 'code'");
    auto msg_it = err_it->find("message");
    if (msg_it != err_it->end() && msg_it->is_string()) error.message = msg_it->get<std::string>();
    env.error = std::move(error);
    return {};
}

bool is_id(const nlohmann::json& v) {
    return v.is_number_integer() && (v.is_number_unsigned() || v.get<std::int64_t>() >= 0);
}

}  // namespace

Result<Envelope> read_envelope(const nlohmann::json& message) {
    if (!message.is_object()) return fail(Errc::ProtocolError, "a message must be a JSON object");
    auto type_it = message.find("type");
    // An error reply to a message whose type the daemon could not read carries no type.
    if (type_it == message.end()) {
        auto ok_it = message.find("ok");
        auto id_it = message.find("id");
        if (ok_it != message.end() && ok_it->is_boolean() && !ok_it->get<bool>() && id_it != message.end() &&
            is_id(*id_it)) {
            Envelope env;
            env.direction = Direction::Reply;
            env.type_known = false;
            env.ok = false;
            env.id = id_it->get<std::uint64_t>();
            if (auto r = read_error(message, env); !r) return std::unexpected(r.error());
            return env;
        }
    }
    if (type_it == message.end() || !type_it->is_string())
        return fail(Errc::ProtocolError, "message has no string field 'type'");
    auto type = parse_message_type(type_it->get<std::string>());
    if (!type) return fail(Errc::ProtocolError, "unknown message type " + proto::json_preview(*type_it));

    Envelope env;
    env.type = *type;
    auto event_it = message.find("event");
    if (event_it != message.end() && event_it->is_boolean() && event_it->get<bool>()) {
        if (info(*type).kind != MessageKind::Event)
            return fail(Errc::ProtocolError, "'" + type_it->get<std::string>() + "' is not an event");
        env.direction = Direction::Event;
        return env;
    }
    if (info(*type).kind != MessageKind::Request)
        return fail(Errc::ProtocolError, "'" + type_it->get<std::string>() + "' is an event, not a request");

    auto id_it = message.find("id");
    if (id_it == message.end() || !is_id(*id_it))
        return fail(Errc::InvalidArgument,
                    "message '" + type_it->get<std::string>() + "' needs a non-negative integer field 'id'");
    env.id = id_it->get<std::uint64_t>();

    auto ok_it = message.find("ok");
    if (ok_it == message.end()) {
        env.direction = Direction::Request;
        return env;
    }
    if (!ok_it->is_boolean()) return fail(Errc::InvalidArgument, "field 'ok' must be a boolean");
    env.direction = Direction::Reply;
    env.ok = ok_it->get<bool>();
    if (!env.ok)
        if (auto r = read_error(message, env); !r) return std::unexpected(r.error());
    return env;
}

nlohmann::json make_error_reply(MessageType type, std::uint64_t id, const Error& error) {
    return nlohmann::json{{"type", to_string(type)},
                          {"id", id},
                          {"ok", false},
                          {"error", {{"code", to_string(error.code)}, {"message", error.message}}}};
}

nlohmann::json make_error_reply(std::uint64_t id, const Error& error) {
    return nlohmann::json{
        {"id", id}, {"ok", false}, {"error", {{"code", to_string(error.code)}, {"message", error.message}}}};
}

}  // namespace ksim::wire
