// Who may change a pin's state over the protocol: the client that started it (its holder), the
// graph manager and operators; a stranger gets permission_denied naming the holder. A session's
// end returns the pins it held to STOP.
#include <gtest/gtest.h>

#include "daemon_fixture.hpp"
#include "ksim/proto/memory_types.hpp"
#include "ksim/wire/envelope.hpp"

namespace ksim::test {
namespace {

using nlohmann::json;

constexpr std::uint32_t kDemoImage = 1920 * 1080 * 3 / 2;  // NV12 1080p

class DaemonOwnership : public DaemonFixture {
protected:
    void commit(TestClient& gm) {
        wire::CommitRequest c{{{proto::PinRef{"camera", "capture"}, proto::PinRef{"viewer", "input"}}},
                              wire::AllocatorDecision{wire::AllocatorKind::User,
                                                      {"camera", "capture"},
                                                      proto::memory_type::kUser,
                                                      kDemoImage,
                                                      4,
                                                      0}};
        auto reply = gm.request(wire::make_request(0, c));
        ASSERT_TRUE(reply.has_value());
        ASSERT_TRUE((*reply)["ok"].get<bool>()) << reply->dump();
    }
    static json set_state(TestClient& c, const std::string& state) {
        auto r = c.request(json{{"type", "set_state"}, {"pin", "camera.capture"}, {"state", state}});
        EXPECT_TRUE(r.has_value()) << r.error().message;
        return r.value_or(json::object());
    }
    TestClient hello_as(wire::Role role, const std::string& name) {
        auto c = connect();
        auto w = c.hello(role, name);
        EXPECT_TRUE(w.has_value()) << w.error().message;
        EXPECT_TRUE(w && (*w)["ok"].get<bool>()) << w->dump();
        return c;
    }
    std::string camera_state(TestClient& c) {
        auto r = c.request(json{{"type", "list"}, {"filter", "camera"}});
        if (!r) return "?";
        return (*r)["filters"][0]["pins"][0]["state"].get<std::string>();
    }
};

TEST_F(DaemonOwnership, Stranger_ChangingAPinAnotherClientStarted_IsRefusedNamingTheHolder) {
    auto gm = hello_as(wire::Role::GraphManager, "gm");
    commit(gm);
    auto viewer = hello_as(wire::Role::Client, "viewer");
    auto started = set_state(viewer, "RUN");
    ASSERT_TRUE(started["ok"].get<bool>()) << started.dump();
    auto stranger = hello_as(wire::Role::Client, "stranger");
    auto refused = set_state(stranger, "STOP");
    EXPECT_EQ(error_code(refused), "permission_denied") << refused.dump();
    const std::string message = refused["error"]["message"].get<std::string>();
    EXPECT_NE(message.find("(viewer)"), std::string::npos) << message;
    EXPECT_EQ(camera_state(stranger), "RUN");
    auto own = set_state(viewer, "PAUSE");
    EXPECT_TRUE(own["ok"].get<bool>()) << "the holder may: " << own.dump();
}

TEST_F(DaemonOwnership, GraphManagerAndOperator_MayChangeAnotherClientsPin) {
    auto gm = hello_as(wire::Role::GraphManager, "gm");
    commit(gm);
    auto viewer = hello_as(wire::Role::Client, "viewer");
    ASSERT_TRUE(set_state(viewer, "RUN")["ok"].get<bool>());
    auto op = hello_as(wire::Role::Operator, "ksimctl");  // same uid as the daemon: granted
    auto paused = set_state(op, "PAUSE");
    EXPECT_TRUE(paused["ok"].get<bool>()) << paused.dump();
    auto stopped = set_state(gm, "STOP");
    EXPECT_TRUE(stopped["ok"].get<bool>()) << stopped.dump();
    EXPECT_EQ(camera_state(viewer), "STOP");
}

TEST_F(DaemonOwnership, SessionEnd_ReturnsThePinsItStartedToStop_AndTheGraphManagerCanRecommit) {
    auto gm = hello_as(wire::Role::GraphManager, "gm");
    commit(gm);
    ASSERT_TRUE(gm.request(json{{"type", "subscribe"}, {"events", {"client_gone"}}}).has_value());
    {
        auto viewer = hello_as(wire::Role::Client, "viewer");
        ASSERT_TRUE(set_state(viewer, "RUN")["ok"].get<bool>());
    }
    for (;;) {
        auto e = gm.next_event(std::chrono::seconds(30));
        ASSERT_TRUE(e.has_value()) << "no client_gone: " << e.error().message;
        if ((*e)["type"] == "client_gone") break;
    }
    EXPECT_EQ(camera_state(gm), "STOP");
    commit(gm);
}

}  // namespace
}  // namespace ksim::test
