// The control protocol against an in-process ksimd: handshake, roles, bad input, slow clients,
// disconnects. None of these depend on what the topology contains.
#include <gtest/gtest.h>

#include "daemon_fixture.hpp"
#include "ksim/wire/envelope.hpp"

namespace ksim::test {
namespace {

using nlohmann::json;

std::string prefix(std::uint32_t n) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
    return s;
}

class DaemonProtocol : public DaemonFixture {};

TEST_F(DaemonProtocol, ManyRequestsInOneWrite_AreAllAnsweredInOrderAcrossTurns) {
    auto c = connect_with_hello();
    auto other = connect_with_hello();
    // Far more than one turn's worth (kMessagesPerTurn) in a single write: the session yields
    // between turns and must resume where it stopped, without a new read.
    std::string burst;
    constexpr std::uint64_t kCount = 200;
    for (std::uint64_t id = 1000; id < 1000 + kCount; ++id)
        burst += *wire::encode_frame(json{{"type", "list"}, {"id", id}, {"filter", "camera"}});
    ASSERT_TRUE(c.send_raw(burst).has_value());
    // Another session is served meanwhile.
    auto theirs = other.request(json{{"type", "connections"}});
    ASSERT_TRUE(theirs.has_value());
    EXPECT_TRUE((*theirs)["ok"].get<bool>());
    for (std::uint64_t id = 1000; id < 1000 + kCount; ++id) {
        auto reply = c.next_message(10s);
        ASSERT_TRUE(reply.has_value()) << "reply " << id << ": " << reply.error().message;
        EXPECT_EQ((*reply)["id"].get<std::uint64_t>(), id);
        EXPECT_TRUE((*reply)["ok"].get<bool>());
    }
}

TEST_F(DaemonProtocol, Hello_IsAnsweredWithAClientIdAndVersions) {
    auto c = connect();
    auto welcome = c.hello(wire::Role::Client, "unit");
    ASSERT_TRUE(welcome.has_value()) << welcome.error().message;
    EXPECT_TRUE((*welcome)["ok"].get<bool>()) << welcome->dump();
    EXPECT_EQ((*welcome)["type"], "hello");
    EXPECT_GT((*welcome)["client_id"].get<std::uint64_t>(), 0u);
    EXPECT_EQ((*welcome)["protocol_version"], wire::kProtocolVersion);
    EXPECT_EQ((*welcome)["daemon_version"], daemon::server::daemon_version());
}

TEST_F(DaemonProtocol, TwoClients_GetDistinctIds) {
    auto a = connect();
    auto b = connect();
    auto wa = a.hello();
    auto wb = b.hello();
    ASSERT_TRUE(wa && wb);
    EXPECT_NE((*wa)["client_id"], (*wb)["client_id"]);
}

TEST_F(DaemonProtocol, RequestBeforeHello_IsAProtocolError) {
    auto c = connect();
    auto reply = c.request(json{{"type", "list"}});
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(error_code(*reply), "protocol_error");
    EXPECT_NE((*reply)["error"]["message"].get<std::string>().find("hello"), std::string::npos);
}

TEST_F(DaemonProtocol, WrongProtocolVersion_IsRefusedNamingBothVersions) {
    auto c = connect();
    auto reply = c.request(json{{"type", "hello"}, {"protocol_version", 99}, {"role", "client"}});
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(error_code(*reply), "protocol_error");
    auto msg = (*reply)["error"]["message"].get<std::string>();
    EXPECT_NE(msg.find("99"), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::to_string(wire::kProtocolVersion)), std::string::npos) << msg;
    // The session stays usable: a correct hello still works.
    auto ok = c.hello();
    ASSERT_TRUE(ok.has_value());
    EXPECT_TRUE((*ok)["ok"].get<bool>());
}

TEST_F(DaemonProtocol, HelloWithANameLongerThanTheLimit_IsRefusedNamingTheFieldAndTheLimit) {
    auto c = connect();
    auto reply = c.hello(wire::Role::Client, std::string(900 * 1024, 'n'));
    ASSERT_TRUE(reply.has_value()) << reply.error().message;
    EXPECT_EQ(error_code(*reply), "invalid_argument") << reply->dump().substr(0, 300);
    const auto msg = (*reply)["error"]["message"].get<std::string>();
    EXPECT_NE(msg.find("/client_name"), std::string::npos) << msg.substr(0, 300);
    EXPECT_NE(msg.find("at most 128"), std::string::npos) << msg.substr(0, 300);
    EXPECT_LT(msg.size(), 300u) << "the name is not echoed";
    auto ok = c.hello(wire::Role::Client, std::string(wire::kMaxClientNameBytes, 'n'));
    ASSERT_TRUE(ok.has_value());
    EXPECT_TRUE((*ok)["ok"].get<bool>()) << ok->dump().substr(0, 300);
}

TEST_F(DaemonProtocol, SubscriptionNamingATypeManyTimes_IsKeptOnceAndStillDeliversEachEventOnce) {
    auto watcher = connect_with_hello();
    json events = json::array();
    for (int i = 0; i < 10000; ++i) events.push_back(i % 2 ? "client_gone" : "state_changed");
    ASSERT_TRUE(watcher.request(json{{"type", "subscribe"}, {"events", events}}).has_value());
    { auto leaver = connect_with_hello(); }
    auto gone = watcher.next_event();
    ASSERT_TRUE(gone.has_value()) << gone.error().message;
    EXPECT_EQ((*gone)["type"], "client_gone");
    auto reply = watcher.request(json{{"type", "connections"}});  // any second copy is queued before it
    ASSERT_TRUE(reply.has_value());
    EXPECT_FALSE(watcher.next_event(0ms).has_value());
}

TEST_F(DaemonProtocol, SecondHello_IsAnInvalidState) {
    auto c = connect_with_hello();
    auto again = c.hello();
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(error_code(*again), "invalid_state");
}

TEST_F(DaemonProtocol, CommitFromAClient_IsPermissionDenied) {
    auto c = connect_with_hello(wire::Role::Client);
    wire::CommitRequest commit{
        {{proto::PinRef{"camera", "capture"}, proto::PinRef{"viewer", "input"}}},
        wire::AllocatorDecision{wire::AllocatorKind::Default, {"camera", "capture"}, {}, 3110400, 2, 0}};
    auto reply = c.request(wire::make_request(0, commit));
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(error_code(*reply), "permission_denied");
    EXPECT_NE((*reply)["error"]["message"].get<std::string>().find("graph-manager"), std::string::npos);
}

TEST_F(DaemonProtocol, SecondGraphManager_IsBusyUntilTheFirstLeaves) {
    {
        auto first = connect_with_hello(wire::Role::GraphManager);
        auto second = connect();
        auto reply = second.hello(wire::Role::GraphManager);
        ASSERT_TRUE(reply.has_value());
        EXPECT_EQ(error_code(*reply), "busy");
    }
    // The first one disconnected; the role is free again once the daemon noticed.
    auto observer = connect_with_hello();
    bool accepted = false;
    for (int attempt = 0; attempt < 100 && !accepted; ++attempt) {
        auto third = connect();
        auto reply = third.hello(wire::Role::GraphManager);
        ASSERT_TRUE(reply.has_value());
        accepted = error_code(*reply).empty();
        if (!accepted) {
            ASSERT_TRUE(observer.request(json{{"type", "ledger"}}).has_value());  // let the daemon run
        }
    }
    EXPECT_TRUE(accepted);
}

TEST_F(DaemonProtocol, UnknownType_IsAProtocolErrorThatKeepsTheId) {
    auto c = connect_with_hello();
    auto reply = c.request(json{{"type", "format_disk"}});
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(error_code(*reply), "protocol_error");
    EXPECT_FALSE(reply->contains("type"));
}

TEST_F(DaemonProtocol, MissingField_IsAnInvalidArgumentNamingIt) {
    auto c = connect_with_hello();
    auto reply = c.request(json{{"type", "get_property"}, {"pin", "camera.capture"}});
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(error_code(*reply), "invalid_argument");
    EXPECT_NE((*reply)["error"]["message"].get<std::string>().find("'property'"), std::string::npos);
}

TEST_F(DaemonProtocol, EventSentAsARequest_IsRefused) {
    auto c = connect_with_hello();
    auto reply = c.request(json{{"type", "client_gone"}, {"client_id", 1}});
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(error_code(*reply), "protocol_error");
}

TEST_F(DaemonProtocol, GarbageBytes_GetAnErrorReplyThenTheConnectionCloses) {
    auto c = connect_with_hello();
    ASSERT_TRUE(c.send_raw(prefix(9) + "not json!").has_value());
    auto reply = c.next_message();
    ASSERT_TRUE(reply.has_value()) << reply.error().message;
    EXPECT_EQ(error_code(*reply), "protocol_error");
    EXPECT_TRUE(c.wait_closed());
    // The daemon is unaffected.
    auto other = connect_with_hello();
    EXPECT_TRUE(other.request(json{{"type", "connections"}}).has_value());
}

TEST_F(DaemonProtocol, OversizeLengthPrefix_ClosesTheConnectionWithoutReadingTheBody) {
    auto c = connect_with_hello();
    ASSERT_TRUE(c.send_raw(prefix(static_cast<std::uint32_t>(wire::kMaxMessageBytes + 1))).has_value());
    auto reply = c.next_message();
    ASSERT_TRUE(reply.has_value()) << reply.error().message;
    EXPECT_EQ(error_code(*reply), "protocol_error");
    EXPECT_NE((*reply)["error"]["message"].get<std::string>().find("limit"), std::string::npos);
    EXPECT_TRUE(c.wait_closed());
}

TEST_F(DaemonProtocol, NonObjectJson_IsAProtocolError) {
    auto c = connect_with_hello();
    ASSERT_TRUE(c.send_raw(prefix(2) + "[]").has_value());
    auto reply = c.next_message();
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(error_code(*reply), "protocol_error");
}

TEST_F(DaemonProtocol, ClientDisconnect_IsAnnouncedToSubscribers) {
    auto watcher = connect_with_hello();
    auto sub = watcher.request(json{{"type", "subscribe"}, {"events", {"client_gone"}}});
    ASSERT_TRUE(sub.has_value());
    ASSERT_TRUE((*sub)["ok"].get<bool>()) << sub->dump();
    std::uint64_t gone_id = 0;
    {
        auto leaver = connect();
        auto welcome = leaver.hello(wire::Role::Client, "leaver");
        ASSERT_TRUE(welcome.has_value());
        gone_id = (*welcome)["client_id"].get<std::uint64_t>();
    }
    auto event = watcher.next_event();
    ASSERT_TRUE(event.has_value()) << event.error().message;
    EXPECT_EQ((*event)["type"], "client_gone");
    EXPECT_EQ((*event)["client_id"], gone_id);
}

TEST_F(DaemonProtocol, UnsubscribedClient_ReceivesNoEvents) {
    auto quiet = connect_with_hello();
    auto watcher = connect_with_hello();
    ASSERT_TRUE(watcher.request(json{{"type", "subscribe"}}).has_value());
    { auto leaver = connect_with_hello(); }
    ASSERT_TRUE(watcher.next_event().has_value());  // the subscriber saw the leaver go
    // Any event for `quiet` would have been queued before the reply to this request.
    auto reply = quiet.request(json{{"type", "connections"}});
    ASSERT_TRUE(reply.has_value());
    EXPECT_FALSE(quiet.next_event(100ms).has_value());
}

}  // namespace
}  // namespace ksim::test
