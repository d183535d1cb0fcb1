// list / get_property / connections / ledger through the socket, checked against the topology
// the daemon loaded (the same config, loaded independently here).
#include <gtest/gtest.h>

#include "daemon_fixture.hpp"
#include "ksim/proto/framing_json.hpp"
#include "ksim/wire/envelope.hpp"

namespace ksim::test {
namespace {

using nlohmann::json;

class DaemonInspection : public DaemonFixture {};

TEST_F(DaemonInspection, CreatePinPastThePerClientCap_IsTooLargeNamingTheCap) {
    auto c = connect_with_hello();
    auto create = [&](std::size_t i) {
        return c.request(json{{"type", "create_pin"},
                              {"filter", "mine"},
                              {"pin_id", "in" + std::to_string(i)},
                              {"direction", "in"}});
    };
    for (std::size_t i = 0; i < daemon::server::kMaxPinsPerClient; ++i) {
        auto created = create(i);
        ASSERT_TRUE(created.has_value());
        ASSERT_TRUE((*created)["ok"].get<bool>()) << created->dump();
    }
    auto refused = create(daemon::server::kMaxPinsPerClient);
    ASSERT_TRUE(refused.has_value());
    ASSERT_EQ(error_code(*refused), "too_large") << refused->dump();
    EXPECT_NE((*refused)["error"]["message"].get<std::string>().find("max_pins_per_client 256"),
              std::string::npos)
        << refused->dump();
    // Another client has its own allowance.
    auto other = connect_with_hello();
    auto theirs = other.request(
        json{{"type", "create_pin"}, {"filter", "theirs"}, {"pin_id", "in0"}, {"direction", "in"}});
    ASSERT_TRUE(theirs.has_value());
    EXPECT_TRUE((*theirs)["ok"].get<bool>()) << theirs->dump();
}

TEST_F(DaemonInspection, ReplyOverTheMessageLimit_IsRefusedAsTooLargeNotInternal) {
    // Pins with long ids, as many as each client may create, from enough clients that a full
    // list no longer fits one message.
    const std::string long_id(120, 'p');
    std::vector<TestClient> creators;
    for (int k = 0; k < 20; ++k) {
        creators.push_back(connect_with_hello());
        for (std::size_t i = 0; i < daemon::server::kMaxPinsPerClient; ++i) {
            auto created = creators.back().request(json{{"type", "create_pin"},
                                                        {"filter", "big" + std::to_string(k)},
                                                        {"pin_id", long_id + std::to_string(i)},
                                                        {"direction", "in"}});
            ASSERT_TRUE(created.has_value());
            ASSERT_TRUE((*created)["ok"].get<bool>()) << created->dump();
        }
    }
    auto c = connect_with_hello();
    auto reply = c.request(json{{"type", "list"}}, 10s);
    ASSERT_TRUE(reply.has_value()) << reply.error().message;
    ASSERT_EQ(error_code(*reply), "too_large") << reply->dump().substr(0, 300);
    EXPECT_EQ(reply->value("type", ""), "list");
    EXPECT_NE((*reply)["error"]["message"].get<std::string>().find("byte limit"), std::string::npos);
    // The session survives: a small request still works.
    auto one = c.request(json{{"type", "list"}, {"filter", "camera"}});
    ASSERT_TRUE(one.has_value());
    EXPECT_TRUE((*one)["ok"].get<bool>()) << one->dump();
}

TEST_F(DaemonInspection, List_ReturnsEveryFilterAndPinOfTheTopology) {
    auto c = connect_with_hello();
    auto reply = c.request(json{{"type", "list"}});
    ASSERT_TRUE(reply.has_value());
    ASSERT_TRUE((*reply)["ok"].get<bool>()) << reply->dump();
    auto list = wire::decode_body<wire::ListReply>(*reply);
    ASSERT_TRUE(list.has_value()) << list.error().message;
    auto topology = load_config("demo-capture-1080p.json");
    ASSERT_EQ(list->filters.size(), topology.filters.size());
    for (const auto& f : topology.filters) {
        auto it = std::find_if(list->filters.begin(), list->filters.end(),
                               [&](const auto& x) { return x.id == f.id; });
        ASSERT_NE(it, list->filters.end()) << f.id;
        EXPECT_EQ(it->kind, f.kind);
        for (const auto& p : f.pins) {
            auto pin =
                std::find_if(it->pins.begin(), it->pins.end(), [&](const auto& x) { return x.id == p.id; });
            ASSERT_NE(pin, it->pins.end()) << f.id << "." << p.id;
            EXPECT_EQ(pin->direction, p.direction);
            EXPECT_EQ(pin->hosting, p.hosting);
            EXPECT_EQ(pin->state, proto::PinState::Stop);
        }
    }
    const auto& camera = *std::find_if(list->filters.begin(), list->filters.end(),
                                       [](const auto& x) { return x.id == "camera"; });
    EXPECT_EQ(camera.pins.at(0).connected_to, "viewer.input");
}

TEST_F(DaemonInspection, ListOfAnUnknownFilter_IsNotFound) {
    auto c = connect_with_hello();
    auto reply = c.request(json{{"type", "list"}, {"filter", "nope"}});
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(error_code(*reply), "not_found");
}

TEST_F(DaemonInspection, AllocatorFramingEx_IsThePinsFormatEditedFraming) {
    auto c = connect_with_hello();
    auto reply = c.request(wire::make_request(
        0, wire::GetPropertyRequest{{"camera", "capture"}, wire::PropertyId::AllocatorFramingEx}));
    ASSERT_TRUE(reply.has_value());
    ASSERT_TRUE((*reply)["ok"].get<bool>()) << reply->dump();
    auto topology = load_config("demo-capture-1080p.json");
    const auto& filter = *topology.find_filter("camera");
    auto expected = proto::effective_framing(filter, *filter.find_pin("capture"));
    ASSERT_TRUE(expected.has_value());
    EXPECT_EQ((*reply)["framing"], json(*expected));
    auto decoded = wire::decode_body<wire::GetPropertyReply>(*reply);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
    ASSERT_EQ(decoded->framing->items.size(), 1u);
    // avshws: min = max = the NV12 1080p image size.
    EXPECT_EQ(decoded->framing->items[0].framing_range.range.min_frame_size, 1920u * 1080u * 3u / 2u);
    EXPECT_EQ(decoded->framing->items[0].framing_range.range.max_frame_size, 1920u * 1080u * 3u / 2u);
}

TEST_F(DaemonInspection, ConnectionStateAndStatistics_DescribeAStoppedUncommittedPin) {
    auto c = connect_with_hello();
    auto state = c.request(wire::make_request(
        0, wire::GetPropertyRequest{{"camera", "capture"}, wire::PropertyId::ConnectionState}));
    ASSERT_TRUE(state.has_value());
    ASSERT_TRUE((*state)["ok"].get<bool>()) << state->dump();
    EXPECT_EQ((*state)["connection"]["state"], "STOP");
    EXPECT_EQ((*state)["connection"]["peer"], "viewer.input");
    EXPECT_EQ((*state)["connection"]["committed"], false);
    auto stats = c.request(
        wire::make_request(0, wire::GetPropertyRequest{{"camera", "capture"}, wire::PropertyId::Statistics}));
    ASSERT_TRUE(stats.has_value());
    ASSERT_TRUE((*stats)["ok"].get<bool>()) << stats->dump();
    EXPECT_EQ((*stats)["statistics"]["completed"], 0);
    EXPECT_EQ((*stats)["statistics"]["dropped"], 0);
}

TEST_F(DaemonInspection, PropertyOfAnUnknownPin_IsNotFoundNamingIt) {
    auto c = connect_with_hello();
    auto reply = c.request(wire::make_request(
        0, wire::GetPropertyRequest{{"camera", "nosuchpin"}, wire::PropertyId::AllocatorFramingEx}));
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(error_code(*reply), "not_found");
    EXPECT_NE((*reply)["error"]["message"].get<std::string>().find("nosuchpin"), std::string::npos);
}

TEST_F(DaemonInspection, Connections_ListTheTopologyWithoutDecisionsBeforeACommit) {
    auto c = connect_with_hello();
    auto reply = c.request(json{{"type", "connections"}});
    ASSERT_TRUE(reply.has_value());
    auto conns = wire::decode_body<wire::ConnectionsReply>(*reply);
    ASSERT_TRUE(conns.has_value()) << conns.error().message;
    ASSERT_EQ(conns->connections.size(), 1u);
    EXPECT_EQ(conns->connections[0].from.to_string(), "camera.capture");
    EXPECT_EQ(conns->connections[0].to.to_string(), "viewer.input");
    EXPECT_FALSE(conns->connections[0].decision.has_value());
}

TEST_F(DaemonInspection, LeavingStopWithoutACommit_IsNotCommitted) {
    auto c = connect_with_hello();
    auto reply =
        c.request(wire::make_request(0, wire::SetStateRequest{{"camera", "capture"}, proto::PinState::Run}));
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(error_code(*reply), "not_committed");
}

TEST_F(DaemonInspection, CommitFromTheGraphManager_IsReportedInConnectionsAndAnnounced) {
    auto watcher = connect_with_hello();
    ASSERT_TRUE(
        watcher.request(json{{"type", "subscribe"}, {"events", {"allocator_committed"}}}).has_value());
    auto gm = connect_with_hello(wire::Role::GraphManager);
    wire::CommitRequest commit{
        {{proto::PinRef{"camera", "capture"}, proto::PinRef{"viewer", "input"}}},
        wire::AllocatorDecision{
            wire::AllocatorKind::User, {"camera", "capture"}, proto::memory_type::kUser, 3110400, 2, 0}};
    auto reply = gm.request(wire::make_request(0, commit));
    ASSERT_TRUE(reply.has_value());
    ASSERT_TRUE((*reply)["ok"].get<bool>()) << reply->dump();
    auto conns = wire::decode_body<wire::ConnectionsReply>(*gm.request(json{{"type", "connections"}}));
    ASSERT_TRUE(conns.has_value());
    ASSERT_TRUE(conns->connections.at(0).decision.has_value());
    EXPECT_EQ(conns->connections[0].decision->kind, wire::AllocatorKind::User);
    EXPECT_EQ(conns->connections[0].decision->frame_size, 3110400u);
    auto event = watcher.next_event();
    ASSERT_TRUE(event.has_value()) << event.error().message;
    EXPECT_EQ((*event)["type"], "allocator_committed");
}

TEST_F(DaemonInspection, CommitThatBreaksAPinsFraming_IsRejectedByTheDaemon) {
    auto gm = connect_with_hello(wire::Role::GraphManager);
    wire::CommitRequest commit{
        {{proto::PinRef{"camera", "capture"}, proto::PinRef{"viewer", "input"}}},
        wire::AllocatorDecision{
            wire::AllocatorKind::User, {"camera", "capture"}, proto::memory_type::kUser, 4096, 2, 0}};
    auto reply = gm.request(wire::make_request(0, commit));
    ASSERT_TRUE(reply.has_value());
    EXPECT_FALSE((*reply)["ok"].get<bool>())
        << "a frame size below the capture pin's minimum must be refused";
}

TEST_F(DaemonInspection, Ledger_IsEmptyWhileNothingStreams) {
    auto c = connect_with_hello();
    auto reply = c.request(json{{"type", "ledger"}});
    ASSERT_TRUE(reply.has_value());
    auto ledger = wire::decode_body<wire::LedgerReply>(*reply);
    ASSERT_TRUE(ledger.has_value()) << ledger.error().message;
    EXPECT_TRUE(ledger->entries.empty());
}

}  // namespace
}  // namespace ksim::test
