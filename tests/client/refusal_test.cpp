// A daemon that refuses the connection says why (an error with id 0, then it closes): the
// Connection reports that reason, with its code, instead of "ksimd closed the connection",
// whether the refusal arrives before or after the hello went out.
#include <gtest/gtest.h>

#include "fake_daemon.hpp"
#include "ksim/client/connection.hpp"

namespace ksim::client {
namespace {

using test::FakeDaemon;
using test::FakePeer;
using namespace std::chrono_literals;

const nlohmann::json kRefusal{
    {"id", 0},
    {"ok", false},
    {"error",
     {{"code", "permission_denied"}, {"message", "ksimd refused the connection from pid 1 uid 4242"}}}};

ConnectOptions refusal_options(const FakeDaemon& d) {
    ConnectOptions o;
    o.socket_path = d.socket_path();
    o.name = "refusal-test";
    o.timeout = 5s;
    return o;
}

void expect_refused_with_reason(const Result<std::unique_ptr<Connection>>& c) {
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::PermissionDenied) << c.error().message;
    EXPECT_NE(c.error().message.find("ksimd refused the connection from pid 1 uid 4242"), std::string::npos)
        << c.error().message;
}

TEST(Connection_Refused, AfterTheHelloArrived_TheDaemonsReasonEndsTheHandshake) {
    FakeDaemon daemon([](FakePeer& peer) {
        (void)peer.read();  // the hello, unanswered
        peer.send(kRefusal);
        peer.close();
    });
    expect_refused_with_reason(Connection::connect(refusal_options(daemon)));
}

TEST(Connection_Refused, BeforeTheHelloIsRead_TheDaemonsReasonEndsTheHandshake) {
    // ksimd refuses at accept, before reading anything: the hello may meet a closed socket.
    FakeDaemon daemon([](FakePeer& peer) {
        peer.send(kRefusal);
        peer.close();
    });
    expect_refused_with_reason(Connection::connect(refusal_options(daemon)));
}

TEST(Connection_Refused, AnOrdinaryHangUp_StillSaysTheDaemonClosedTheConnection) {
    FakeDaemon daemon([](FakePeer& peer) { peer.close(); });
    auto c = Connection::connect(refusal_options(daemon));
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::Disconnected) << c.error().message;
}

}  // namespace
}  // namespace ksim::client
