// libksim follows the pages of `connections` and `ledger` as it does those of `list`: one
// request per page, each from the previous page's next_offset, until a page without one; a
// next_offset that does not move forward is a protocol error, not a loop. Against a scripted
// daemon that pages in twos, so the test decides exactly what each page holds.
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "fake_daemon.hpp"
#include "ksim/client/client.hpp"

namespace ksim::client {
namespace {

using nlohmann::json;
using test::FakeDaemon;
using test::FakePeer;
using namespace std::chrono_literals;

ConnectOptions paging_options(const FakeDaemon& d) {
    ConnectOptions o;
    o.socket_path = d.socket_path();
    o.name = "paging-test";
    o.timeout = 5s;
    return o;
}

json connection(int i) {
    return {{"from", "src.p" + std::to_string(i)}, {"to", "snk.p" + std::to_string(i)}};
}
json ledger_entry(int i) {
    return {{"pool", "cam.capture"},
            {"frame", {{"region", 1}, {"index", i}, {"generation", 1}}},
            {"owner", 3},
            {"holder", "client 3"}};
}

// Answers every `type` request with entries [offset, offset + 2) of `total`, as `field`, and
// next_offset/more while entries remain (or `stuck_at` as next_offset, to misbehave); records the
// offsets asked for.
FakeDaemon::Script pages_of_two(const std::string& type, const std::string& field, int total,
                                std::vector<json>& asked, std::mutex& mu, std::function<json(int)> entry,
                                std::optional<int> stuck_at = std::nullopt) {
    return [=, &asked, &mu](FakePeer& peer) {
        peer.accept_hello();
        for (json request = peer.read(); !request.is_null(); request = peer.read()) {
            {
                std::lock_guard lock(mu);
                asked.push_back(request);
            }
            const int offset = request.value("offset", 0);
            json reply{{"type", type}, {"id", request["id"]}, {"ok", true}, {field, json::array()}};
            for (int i = offset; i < std::min(offset + 2, total); ++i) reply[field].push_back(entry(i));
            if (stuck_at) {
                reply["next_offset"] = *stuck_at;
                reply["more"] = true;
            } else if (offset + 2 < total) {
                reply["next_offset"] = offset + 2;
                reply["more"] = true;
            }
            peer.send(reply);
        }
    };
}

TEST(Client_Paging, Connections_FollowsEveryPageInOrder) {
    std::vector<json> asked;
    std::mutex mu;
    FakeDaemon daemon(pages_of_two("connections", "connections", 5, asked, mu, connection));
    auto c = Client::connect(paging_options(daemon));
    ASSERT_TRUE(c) << c.error().message;
    auto all = c->connections();
    ASSERT_TRUE(all) << all.error().message;
    ASSERT_EQ(all->size(), 5u);
    for (int i = 0; i < 5; ++i) EXPECT_EQ((*all)[i].from.to_string(), "src.p" + std::to_string(i));
    std::lock_guard lock(mu);
    ASSERT_EQ(asked.size(), 3u);
    EXPECT_FALSE(asked[0].contains("offset"));
    EXPECT_EQ(asked[0]["max_connections"], wire::kConnectionsMaxPerPage);
    EXPECT_EQ(asked[1]["offset"], 2);
    EXPECT_EQ(asked[2]["offset"], 4);
}

TEST(Client_Paging, Ledger_FollowsEveryPageInOrder) {
    std::vector<json> asked;
    std::mutex mu;
    FakeDaemon daemon(pages_of_two("ledger", "entries", 4, asked, mu, ledger_entry));
    auto c = Client::connect(paging_options(daemon));
    ASSERT_TRUE(c) << c.error().message;
    auto all = c->ledger();
    ASSERT_TRUE(all) << all.error().message;
    ASSERT_EQ(all->size(), 4u);
    for (std::uint32_t i = 0; i < 4; ++i) EXPECT_EQ((*all)[i].frame.index, i);
    std::lock_guard lock(mu);
    ASSERT_EQ(asked.size(), 2u);
    EXPECT_EQ(asked[0]["max_entries"], wire::kLedgerMaxPerPage);
    EXPECT_EQ(asked[1]["offset"], 2);
}

TEST(Client_Paging, NextOffsetThatDoesNotMoveForward_IsAProtocolErrorNotALoop) {
    std::vector<json> asked;
    std::mutex mu;
    FakeDaemon daemon(pages_of_two("connections", "connections", 5, asked, mu, connection, 0));
    auto c = Client::connect(paging_options(daemon));
    ASSERT_TRUE(c) << c.error().message;
    auto all = c->connections();
    ASSERT_FALSE(all);
    EXPECT_EQ(all.error().code, Errc::ProtocolError);
    EXPECT_NE(all.error().message.find("connections page at offset 0 names next_offset 0"), std::string::npos)
        << all.error().message;
}

}  // namespace
}  // namespace ksim::client
