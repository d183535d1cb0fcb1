// The envelope: requests, replies (ok and error) and events are told apart, and malformed
// envelopes are refused with stable codes.
#include "ksim/wire/envelope.hpp"

#include <gtest/gtest.h>

namespace ksim::wire {
namespace {

using nlohmann::json;

TEST(WireEnvelope, Request_CarriesTypeAndId) {
    json j = make_request(9, ListRequest{"cam", std::nullopt, std::nullopt});
    EXPECT_EQ(j["type"], "list");
    EXPECT_EQ(j["filter"], "cam");
    auto env = read_envelope(j);
    ASSERT_TRUE(env.has_value());
    EXPECT_EQ(env->direction, Direction::Request);
    EXPECT_EQ(env->type, MessageType::List);
    EXPECT_EQ(env->id, 9u);
}

TEST(WireEnvelope, BodyFields_NeverCollideWithTheEnvelope) {
    json j = make_request(77, CreatePinRequest{"app", "in0", proto::PinDirection::In, std::nullopt});
    auto body = decode_body<CreatePinRequest>(j);
    ASSERT_TRUE(body.has_value()) << body.error().message;
    EXPECT_EQ(body->id, "in0");
    EXPECT_EQ(j["id"], 77);
}

TEST(WireEnvelope, OkReply_IsRecognised) {
    json j = make_reply(9, Welcome{3, kProtocolVersion, "0.1.0"});
    auto env = read_envelope(j);
    ASSERT_TRUE(env.has_value());
    EXPECT_EQ(env->direction, Direction::Reply);
    EXPECT_TRUE(env->ok);
    EXPECT_EQ(env->type, MessageType::Hello);
    EXPECT_EQ(decode_body<Welcome>(j)->client_id, 3u);
}

TEST(WireEnvelope, ErrorReply_UsesTheErrcName) {
    json j = make_error_reply(MessageType::AcquireFrame, 4, Error{Errc::NoMoreEntries, "pool exhausted"});
    EXPECT_EQ(j["error"]["code"], "no_more_entries");
    EXPECT_EQ(j["ok"], false);
    auto env = read_envelope(j);
    ASSERT_TRUE(env.has_value());
    EXPECT_FALSE(env->ok);
    ASSERT_TRUE(env->error.has_value());
    EXPECT_EQ(env->error->code, Errc::NoMoreEntries);
    EXPECT_EQ(env->error->message, "pool exhausted");
}

TEST(WireEnvelope, Event_IsRecognisedWithoutId) {
    json j = make_event(ClientGoneEvent{7, "disconnected"});
    auto env = read_envelope(j);
    ASSERT_TRUE(env.has_value());
    EXPECT_EQ(env->direction, Direction::Event);
    EXPECT_EQ(env->type, MessageType::ClientGone);
}

TEST(WireEnvelope, MalformedEnvelopes_AreRefusedWithStableCodes) {
    auto code = [](const json& j) {
        auto env = read_envelope(j);
        return env ? Errc::Ok : env.error().code;
    };
    EXPECT_EQ(code(json{{"id", 1}}), Errc::ProtocolError);                           // no type
    EXPECT_EQ(code(json{{"type", 5}, {"id", 1}}), Errc::ProtocolError);              // type not a string
    EXPECT_EQ(code(json{{"type", "reboot"}, {"id", 1}}), Errc::ProtocolError);       // unknown type
    EXPECT_EQ(code(json{{"type", "list"}}), Errc::InvalidArgument);                  // no id
    EXPECT_EQ(code(json{{"type", "list"}, {"id", -3}}), Errc::InvalidArgument);      // negative id
    EXPECT_EQ(code(json{{"type", "client_gone"}, {"id", 1}}), Errc::ProtocolError);  // event as request
    EXPECT_EQ(code(json{{"type", "list"}, {"event", true}}), Errc::ProtocolError);   // request as event
    EXPECT_EQ(code(json{{"type", "list"}, {"id", 1}, {"ok", "yes"}}), Errc::InvalidArgument);
    EXPECT_EQ(code(json{{"type", "list"}, {"id", 1}, {"ok", false}}),
              Errc::ProtocolError);  // no error object
    EXPECT_EQ(code(json{{"type", "list"}, {"id", 1}, {"ok", false}, {"error", {{"code", "nope"}}}}),
              Errc::ProtocolError);
    EXPECT_EQ(code(json::array()), Errc::ProtocolError);
}

TEST(WireEnvelope, ErrorReplyToAnUnreadableType_IsStillMatchedById) {
    json j = make_error_reply(12, Error{Errc::ProtocolError, "unknown message type \"reboot\""});
    EXPECT_FALSE(j.contains("type"));
    auto env = read_envelope(j);
    ASSERT_TRUE(env.has_value()) << env.error().message;
    EXPECT_EQ(env->direction, Direction::Reply);
    EXPECT_FALSE(env->type_known);
    EXPECT_EQ(env->id, 12u);
    EXPECT_EQ(env->error->code, Errc::ProtocolError);
}

TEST(WireEnvelope, TypeNameOf_NeverThrows) {
    EXPECT_EQ(type_name_of(json{{"type", 3}}), "?");
    EXPECT_EQ(type_name_of(json(nullptr)), "?");
    EXPECT_EQ(type_name_of(json{{"type", "list"}}), "list");
}

}  // namespace
}  // namespace ksim::wire
