// A subscriber that reads slowly keeps its session through a flood of framing changes: ksimd
// keeps at most one queued framing_changed per pin (the newest), so the queue is bounded by the
// number of pins and not by how fast a client creates and drops them.
#include <gtest/gtest.h>

#include <map>

#include "daemon_fixture.hpp"

namespace ksim::test {
namespace {

using nlohmann::json;

class DaemonEventFlood : public DaemonFixture {
protected:
    bool start_in_setup() const override { return false; }
};

constexpr int kPins = 32;
constexpr int kRounds = 60;  // 2 * 32 * 60 events: far past the socket buffer and the queue limit

TEST_F(DaemonEventFlood, RecreatedPins_DoNotOverflowANonReadingGraphManager) {
    auto options = default_options();
    options.max_queued_messages = 128;  // well above kPins, far below the flood
    start(options);

    auto gm = connect();
    ASSERT_TRUE(gm.hello(wire::Role::GraphManager, "slow-gm").has_value());
    ASSERT_TRUE(gm.request(json{{"type", "subscribe"}, {"events", {"framing_changed"}}}).has_value());
    auto observer = connect_with_hello();
    ASSERT_TRUE(observer.request(json{{"type", "subscribe"}, {"events", {"client_gone"}}}).has_value());

    // The graph manager reads nothing while one client creates its pins and drops them by
    // disconnecting, over and over; the last round stays connected.
    std::optional<TestClient> flooder;
    for (int round = 0; round < kRounds; ++round) {
        flooder.emplace(connect_with_hello());
        for (int i = 0; i < kPins; ++i) {
            auto created = flooder->request(json{{"type", "create_pin"},
                                                 {"filter", "flood"},
                                                 {"pin_id", "in" + std::to_string(i)},
                                                 {"direction", "in"}});
            ASSERT_TRUE(created.has_value()) << created.error().message;
            ASSERT_TRUE((*created)["ok"].get<bool>()) << "round " << round << ": " << created->dump();
        }
        if (round + 1 == kRounds) break;
        flooder.reset();  // its pins go away with it
        auto gone = observer.next_event();
        ASSERT_TRUE(gone.has_value()) << gone.error().message;
        ASSERT_EQ(gone->value("type", ""), "client_gone") << gone->dump();
    }

    // Now it reads: the session is still there, and the newest event of every pin says it exists.
    auto reply = gm.request(json{{"type", "list"}, {"filter", "camera"}}, 10s);
    ASSERT_TRUE(reply.has_value()) << "the graph manager lost its session: " << reply.error().message;
    ASSERT_TRUE((*reply)["ok"].get<bool>()) << reply->dump();
    std::map<std::string, std::string> newest_detail;
    std::size_t events = 0;
    for (;;) {
        auto e = gm.next_event(0ms);  // everything queued before the reply has been read
        if (!e) break;
        ASSERT_EQ(e->value("type", ""), "framing_changed") << e->dump();
        newest_detail[(*e)["pin"].get<std::string>()] = (*e)["detail"].get<std::string>();
        ++events;
    }
    ASSERT_EQ(newest_detail.size(), static_cast<std::size_t>(kPins));
    for (int i = 0; i < kPins; ++i)
        EXPECT_EQ(newest_detail["flood.in" + std::to_string(i)], "user pin created") << "pin in" << i;
    EXPECT_LT(events, static_cast<std::size_t>(2 * kPins * kRounds));  // some were replaced
}

}  // namespace
}  // namespace ksim::test
