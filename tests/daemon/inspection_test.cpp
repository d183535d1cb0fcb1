// list / get_property / connections / ledger through the socket, checked against the topology
// the daemon loaded (the same config, loaded independently here).
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "daemon_fixture.hpp"
#include "ksim/proto/framing_json.hpp"
#include "ksim/wire/codec.hpp"
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

// `count` framing items of user memory, as a create_pin carries them.
json framing_items(std::size_t count) {
    json items = json::array();
    for (std::size_t i = 0; i < count; ++i)
        items.push_back({{"memory_type", "USER"},
                         {"frames", 4},
                         {"physical_range", {{"min", 4096}, {"max", 8192}, {"stepping", 1}}},
                         {"framing_range", {{"min", 4096}, {"max", 8192}, {"stepping", 1}}}});
    return {{"items", std::move(items)}};
}

TEST_F(DaemonInspection, CreatePinWithMoreFramingItemsThanAPinMayHave_IsTooLargeNamingTheCap) {
    auto c = connect_with_hello();
    auto create = [&](const std::string& pin, std::size_t items) {
        return c.request(json{{"type", "create_pin"},
                              {"filter", "mine"},
                              {"pin_id", pin},
                              {"direction", "in"},
                              {"framing", framing_items(items)}});
    };
    auto widest = create("widest", daemon::server::kMaxFramingItemsPerPin);
    ASSERT_TRUE(widest.has_value());
    ASSERT_TRUE((*widest)["ok"].get<bool>()) << widest->dump().substr(0, 300);
    // Items of two bytes each ("{}") expand to a full framing item in the daemon: refused by count.
    json tiny = {{"items", json::array()}};
    for (std::size_t i = 0; i <= daemon::server::kMaxFramingItemsPerPin; ++i)
        tiny["items"].push_back(json::object());
    auto refused = c.request(json{{"type", "create_pin"},
                                  {"filter", "mine"},
                                  {"pin_id", "wide"},
                                  {"direction", "in"},
                                  {"framing", tiny}});
    ASSERT_TRUE(refused.has_value());
    ASSERT_EQ(error_code(*refused), "too_large") << refused->dump();
    EXPECT_NE((*refused)["error"]["message"].get<std::string>().find("33 items"), std::string::npos)
        << refused->dump();
    EXPECT_NE((*refused)["error"]["message"].get<std::string>().find("max_framing_items_per_pin 32"),
              std::string::npos)
        << refused->dump();
    auto listed = c.request(json{{"type", "list"}, {"filter", "mine"}});
    ASSERT_TRUE(listed.has_value());
    EXPECT_EQ((*listed)["filters"][0]["pins"].size(), 1u) << "the refused pin was created";
}

TEST_F(DaemonInspection, CreatePinPastThePerClientFramingBytes_IsTooLargeNamingTheCapAndWhatIsHeld) {
    auto c = connect_with_hello();
    const std::size_t items = daemon::server::kMaxFramingItemsPerPin;
    const std::size_t per_pin = 24 + 88 * items;  // KSALLOCATOR_FRAMING_EX with `items` items
    const std::size_t fit = daemon::server::kMaxFramingBytesPerClient / per_pin;
    auto create = [&](std::size_t i) {
        return c.request(json{{"type", "create_pin"},
                              {"filter", "mine"},
                              {"pin_id", "in" + std::to_string(i)},
                              {"direction", "in"},
                              {"framing", framing_items(items)}});
    };
    for (std::size_t i = 0; i < fit; ++i) {
        auto created = create(i);
        ASSERT_TRUE(created.has_value());
        ASSERT_TRUE((*created)["ok"].get<bool>()) << "pin " << i << ": " << created->dump().substr(0, 300);
    }
    auto refused = create(fit);
    ASSERT_TRUE(refused.has_value());
    ASSERT_EQ(error_code(*refused), "too_large") << refused->dump();
    const auto message = (*refused)["error"]["message"].get<std::string>();
    EXPECT_NE(message.find("holds " + std::to_string(fit * per_pin) + " bytes of framing"), std::string::npos)
        << message;
    EXPECT_NE(message.find("max_framing_bytes_per_client 131072"), std::string::npos) << message;
    // A pin without framing holds none and is still welcome; another client has its own allowance.
    auto bare =
        c.request(json{{"type", "create_pin"}, {"filter", "mine"}, {"pin_id", "bare"}, {"direction", "in"}});
    ASSERT_TRUE(bare.has_value());
    EXPECT_TRUE((*bare)["ok"].get<bool>()) << bare->dump();
    auto other = connect_with_hello();
    auto theirs = other.request(json{{"type", "create_pin"},
                                     {"filter", "theirs"},
                                     {"pin_id", "in0"},
                                     {"direction", "in"},
                                     {"framing", framing_items(items)}});
    ASSERT_TRUE(theirs.has_value());
    EXPECT_TRUE((*theirs)["ok"].get<bool>()) << theirs->dump().substr(0, 300);
}

class DaemonListPaging : public DaemonFixture {
protected:
    // Pins with long ids, as many as each client may create, from `clients` clients; client k
    // puts its pins on filter filter_of(k). The pins live as long as the returned clients.
    std::vector<TestClient> fill(int clients, const std::function<std::string(int)>& filter_of) {
        const std::string long_id(120, 'p');
        std::vector<TestClient> creators;
        for (int k = 0; k < clients; ++k) {
            creators.push_back(connect_with_hello());
            for (std::size_t i = 0; i < daemon::server::kMaxPinsPerClient; ++i) {
                auto created = creators.back().request(json{{"type", "create_pin"},
                                                            {"filter", filter_of(k)},
                                                            {"pin_id", long_id + std::to_string(i)},
                                                            {"direction", "in"}});
                EXPECT_TRUE(created.has_value());
                if (!created || !(*created)["ok"].get<bool>()) {
                    ADD_FAILURE() << (created ? created->dump() : created.error().message);
                    return creators;
                }
            }
        }
        return creators;
    }
};

TEST_F(DaemonListPaging, ListOverTheMessageLimit_ComesInPagesThatEachFitAndCoverEveryFilterOnce) {
    // 20 filters of 256 long pins: ~1.4 MiB in one reply, which no message may carry.
    auto creators = fill(20, [](int k) { return "big" + std::to_string(k); });
    ASSERT_FALSE(HasFailure());
    auto c = connect_with_hello();
    std::map<std::string, int> seen;
    std::uint32_t offset = 0;
    int pages = 0;
    for (bool more = true; more; ++pages) {
        ASSERT_LT(pages, 100) << "paging does not end";
        auto reply = c.request(json{{"type", "list"}, {"offset", offset}}, 10s);
        ASSERT_TRUE(reply.has_value()) << reply.error().message;
        ASSERT_TRUE((*reply)["ok"].get<bool>()) << reply->dump().substr(0, 300);
        EXPECT_LE(reply->dump().size(), wire::kMaxMessageBytes);
        auto page = wire::decode_body<wire::ListReply>(*reply);
        ASSERT_TRUE(page.has_value()) << page.error().message;
        EXPECT_EQ(page->topology, "demo-capture-1080p");
        for (const auto& f : page->filters) ++seen[f.id];
        more = page->more;
        if (more) {
            ASSERT_GT(*page->next_offset, offset);
            EXPECT_EQ(*page->next_offset, offset + page->filters.size());
            offset = *page->next_offset;
        }
    }
    EXPECT_GE(pages, 2);  // the byte cap ended a page before the default 64 filters
    auto topology = load_config("demo-capture-1080p.json");
    EXPECT_EQ(seen.size(), topology.filters.size() + 20);
    for (const auto& [id, count] : seen) EXPECT_EQ(count, 1) << id;
    for (int k = 0; k < 20; ++k) EXPECT_EQ(seen.count("big" + std::to_string(k)), 1u) << k;
}

TEST_F(DaemonListPaging, MaxFilters_BoundsThePageAndAnOldClientGetsTheFirstPageWithMore) {
    auto creators = fill(3, [](int k) { return "small" + std::to_string(k); });
    ASSERT_FALSE(HasFailure());
    auto c = connect_with_hello();
    auto topology = load_config("demo-capture-1080p.json");
    const std::size_t total = topology.filters.size() + 3;
    std::map<std::string, int> seen;
    for (std::uint32_t offset = 0; offset < total; offset += 2) {
        auto reply = c.request(json{{"type", "list"}, {"offset", offset}, {"max_filters", 2}});
        ASSERT_TRUE(reply.has_value());
        ASSERT_TRUE((*reply)["ok"].get<bool>()) << reply->dump().substr(0, 300);
        ASSERT_EQ((*reply)["filters"].size(), std::min<std::size_t>(2, total - offset));
        for (const auto& f : (*reply)["filters"]) ++seen[f["id"].get<std::string>()];
        if (offset + 2 < total) {
            EXPECT_EQ((*reply)["next_offset"], offset + 2);
            EXPECT_EQ((*reply)["more"], true);
        } else {
            EXPECT_FALSE(reply->contains("next_offset")) << reply->dump().substr(0, 300);
            EXPECT_FALSE(reply->contains("more"));
        }
    }
    EXPECT_EQ(seen.size(), total);
    for (const auto& [id, count] : seen) EXPECT_EQ(count, 1) << id;
    // Past the end: an empty last page.
    auto past = c.request(json{{"type", "list"}, {"offset", total + 5}});
    ASSERT_TRUE(past.has_value());
    EXPECT_TRUE((*past)["filters"].empty()) << past->dump();
    EXPECT_FALSE(past->contains("more"));
    auto bad = c.request(json{{"type", "list"}, {"max_filters", wire::kListMaxFilters + 1}});
    ASSERT_TRUE(bad.has_value());
    EXPECT_EQ(error_code(*bad), "invalid_argument");
    EXPECT_NE(bad->dump().find("max_filters"), std::string::npos) << bad->dump();
}

TEST_F(DaemonListPaging, OldClientWithoutPagingFields_GetsTheFirstPageAndMore) {
    auto creators = fill(20, [](int k) { return "big" + std::to_string(k); });
    ASSERT_FALSE(HasFailure());
    auto c = connect_with_hello();
    auto reply = c.request(json{{"type", "list"}}, 10s);
    ASSERT_TRUE(reply.has_value()) << reply.error().message;
    ASSERT_TRUE((*reply)["ok"].get<bool>()) << reply->dump().substr(0, 300);
    EXPECT_LE(reply->dump().size(), wire::kMaxMessageBytes);
    EXPECT_EQ((*reply)["more"], true);
    EXPECT_EQ((*reply)["next_offset"], (*reply)["filters"].size());
}

// A topology whose middle filter alone does not fit one message: 8000 pins (~1.8 MiB) with long ids.
class DaemonHugeFilter : public DaemonFixture {
protected:
    bool start_in_setup() const override { return false; }
    void SetUp() override {
        DaemonFixture::SetUp();
        auto options = default_options();
        auto& filters = options.topology.filters;
        proto::FilterDescriptor huge = filters.at(1);  // viewer: one user-hosted input pin
        huge.id = "huge";
        const auto pin = huge.pins.at(0);
        huge.pins.clear();
        for (int i = 0; i < 8000; ++i) {
            huge.pins.push_back(pin);
            huge.pins.back().id = std::string(120, 'p') + std::to_string(i);
        }
        filters.insert(filters.begin() + 1, std::move(huge));  // camera, huge, viewer
        start(std::move(options));
    }
};

TEST_F(DaemonHugeFilter, OneFilterOverTheMessageLimit_IsTooLargeNamingItAndTheOthersStillList) {
    auto c = connect_with_hello();
    auto first = c.request(json{{"type", "list"}}, 10s);
    ASSERT_TRUE(first.has_value()) << first.error().message;
    ASSERT_TRUE((*first)["ok"].get<bool>()) << first->dump().substr(0, 300);
    ASSERT_EQ((*first)["filters"].size(), 1u);  // the page ends before the filter that cannot fit
    EXPECT_EQ((*first)["filters"][0]["id"], "camera");
    EXPECT_EQ((*first)["next_offset"], 1);

    auto reply = c.request(json{{"type", "list"}, {"offset", 1}}, 10s);
    ASSERT_TRUE(reply.has_value()) << reply.error().message;
    ASSERT_EQ(error_code(*reply), "too_large") << reply->dump().substr(0, 300);
    EXPECT_EQ(reply->value("type", ""), "list");
    const auto message = (*reply)["error"]["message"].get<std::string>();
    EXPECT_NE(message.find("filter 'huge'"), std::string::npos) << message;
    EXPECT_NE(message.find("1048576 byte"), std::string::npos) << message;

    // The session survives, and the filter after it is still reachable.
    auto rest = c.request(json{{"type", "list"}, {"offset", 2}});
    ASSERT_TRUE(rest.has_value());
    ASSERT_TRUE((*rest)["ok"].get<bool>()) << rest->dump();
    ASSERT_EQ((*rest)["filters"].size(), 1u);
    EXPECT_EQ((*rest)["filters"][0]["id"], "viewer");
    EXPECT_FALSE(rest->contains("more"));
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
