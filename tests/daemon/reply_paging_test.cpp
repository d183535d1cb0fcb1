// `connections` pages as `list` does: by count (max_connections) and by bytes (a page ends
// before the connection that would take it over the message limit), with next_offset/more, so
// that a graph of any size is read whole and never refused. (The ledger's pages:
// streaming_test.cpp, which can hold frames still.)
#include <gtest/gtest.h>

#include <map>

#include "daemon_fixture.hpp"
#include "ksim/wire/codec.hpp"
#include "ksim/wire/envelope.hpp"

namespace ksim::test {
namespace {

using nlohmann::json;

class DaemonConnectionsPaging : public DaemonFixture {
protected:
    // `clients` clients each connect `per_client` pairs of their own pins; with `long_ids` every
    // filter and pin id is over 120 characters, ~500 bytes per connection on the wire. Returns
    // the clients (the connections live as long as they do) and adds "from -> to" to `made`.
    std::vector<TestClient> connect_pairs(int clients, int per_client, bool long_ids,
                                          std::map<std::string, int>& made) {
        const std::string pad = long_ids ? std::string(120, 'x') : "";
        std::vector<TestClient> hosts;
        for (int k = 0; k < clients; ++k) {
            hosts.push_back(connect_with_hello());
            auto& c = hosts.back();
            const std::string source = pad + "src" + std::to_string(k);
            const std::string sink = pad + "snk" + std::to_string(k);
            for (int i = 0; i < per_client; ++i) {
                const std::string pin = pad + "p" + std::to_string(i);
                for (auto [filter, direction] : {std::pair{source, "out"}, std::pair{sink, "in"}}) {
                    auto created = c.request(json{{"type", "create_pin"},
                                                  {"filter", filter},
                                                  {"pin_id", pin},
                                                  {"direction", direction}});
                    if (!created || !(*created)["ok"].get<bool>()) {
                        ADD_FAILURE() << (created ? created->dump() : created.error().message);
                        return hosts;
                    }
                }
                const std::string from = source + "." + pin;
                const std::string to = sink + "." + pin;
                auto connected = c.request(json{{"type", "connect"}, {"from", from}, {"to", to}});
                if (!connected || !(*connected)["ok"].get<bool>()) {
                    ADD_FAILURE() << (connected ? connected->dump() : connected.error().message);
                    return hosts;
                }
                ++made[from + " -> " + to];
            }
        }
        return hosts;
    }

    // The topology's own connections ("camera.capture -> viewer.input", ...).
    static void add_topology_connections(std::map<std::string, int>& made) {
        for (const auto& c : load_config("demo-capture-1080p.json").connections)
            ++made[c.from.to_string() + " -> " + c.to.to_string()];
    }
};

std::string key_of(const json& connection) {
    return connection["from"].get<std::string>() + " -> " + connection["to"].get<std::string>();
}

TEST_F(DaemonConnectionsPaging, ConnectionsOverTheMessageLimit_ComeInPagesThatEachFitAndCoverEveryOneOnce) {
    // 18 clients x 128 connections of ~500 bytes: ~1.2 MB in one reply, which no message may carry.
    std::map<std::string, int> made;
    auto hosts = connect_pairs(18, 128, true, made);
    ASSERT_FALSE(HasFailure());
    add_topology_connections(made);
    auto c = connect_with_hello();
    std::map<std::string, int> seen;
    std::uint32_t offset = 0;
    int pages = 0;
    for (bool more = true; more; ++pages) {
        ASSERT_LT(pages, 100) << "paging does not end";
        // No max_connections: what a client older than paging sends, and it gets the first page.
        json request{{"type", "connections"}};
        if (offset > 0) request["offset"] = offset;
        auto reply = c.request(request, 10s);
        ASSERT_TRUE(reply.has_value()) << reply.error().message;
        ASSERT_TRUE((*reply)["ok"].get<bool>()) << reply->dump().substr(0, 300);
        auto frame = wire::encode_frame(*reply);
        ASSERT_TRUE(frame.has_value()) << frame.error().message;
        auto page = wire::decode_body<wire::ConnectionsReply>(*reply);
        ASSERT_TRUE(page.has_value()) << page.error().message;
        for (const auto& entry : (*reply)["connections"]) ++seen[key_of(entry)];
        more = page->more;
        if (more) {
            EXPECT_EQ(*page->next_offset, offset + page->connections.size());
            offset = *page->next_offset;
        }
    }
    EXPECT_GE(pages, 2);  // the byte cap ended a page before the 4096-connection maximum
    EXPECT_EQ(seen, made);
}

TEST_F(DaemonConnectionsPaging, MaxConnections_BoundsThePageAndAnOffsetPastTheEndIsAnEmptyLastPage) {
    std::map<std::string, int> made;
    auto hosts = connect_pairs(1, 5, false, made);
    ASSERT_FALSE(HasFailure());
    add_topology_connections(made);
    const std::size_t total = made.size();
    auto c = connect_with_hello();
    std::map<std::string, int> seen;
    for (std::uint32_t offset = 0; offset < total; offset += 2) {
        auto reply = c.request(json{{"type", "connections"}, {"offset", offset}, {"max_connections", 2}});
        ASSERT_TRUE(reply.has_value());
        ASSERT_TRUE((*reply)["ok"].get<bool>()) << reply->dump();
        ASSERT_EQ((*reply)["connections"].size(), std::min<std::size_t>(2, total - offset)) << reply->dump();
        for (const auto& entry : (*reply)["connections"]) ++seen[key_of(entry)];
        if (offset + 2 < total) {
            EXPECT_EQ((*reply)["next_offset"], offset + 2) << reply->dump();
            EXPECT_EQ((*reply)["more"], true);
        } else {
            EXPECT_FALSE(reply->contains("next_offset")) << reply->dump();
            EXPECT_FALSE(reply->contains("more")) << reply->dump();
        }
    }
    EXPECT_EQ(seen, made);

    auto past = c.request(json{{"type", "connections"}, {"offset", 1000}});
    ASSERT_TRUE(past.has_value());
    ASSERT_TRUE((*past)["ok"].get<bool>()) << past->dump();
    EXPECT_TRUE((*past)["connections"].empty());
    EXPECT_FALSE(past->contains("more"));

    auto bad = c.request(json{{"type", "connections"}, {"max_connections", 0}});
    ASSERT_TRUE(bad.has_value());
    EXPECT_EQ(error_code(*bad), "invalid_argument") << bad->dump();
    EXPECT_NE((*bad)["error"]["message"].get<std::string>().find("max_connections"), std::string::npos)
        << bad->dump();
}

}  // namespace
}  // namespace ksim::test
