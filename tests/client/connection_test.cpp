// Connection against a scripted fake daemon: handshake fields, replies matched by id even out of
// order, error replies as Errc, descriptors handed to the right reply, events, timeouts and a
// daemon that goes away mid-request.
#include "ksim/client/connection.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <future>

#include "fake_daemon.hpp"

namespace ksim::client {
namespace {

using test::FakeDaemon;
using test::FakePeer;
using namespace std::chrono_literals;

ConnectOptions options_for(const FakeDaemon& d, wire::Role role = wire::Role::Client) {
    ConnectOptions o;
    o.socket_path = d.socket_path();
    o.role = role;
    o.name = "connection-test";
    o.timeout = 5s;
    return o;
}

void drain_until_eof(FakePeer& peer) {
    while (!peer.read().is_null()) {
    }
}

TEST(Connection_Handshake, SendsVersionRoleAndNameAndKeepsTheWelcome) {
    std::promise<nlohmann::json> hello;
    FakeDaemon daemon([&](FakePeer& peer) {
        hello.set_value(peer.accept_hello(42));
        drain_until_eof(peer);
    });
    auto c = Connection::connect(options_for(daemon, wire::Role::GraphManager));
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ((*c)->client_id(), 42u);
    EXPECT_EQ((*c)->daemon_version(), "fake-1");
    auto h = hello.get_future().get();
    EXPECT_EQ(h["type"], "hello");
    EXPECT_EQ(h["protocol_version"], wire::kProtocolVersion);
    EXPECT_EQ(h["role"], "graph-manager");
    EXPECT_EQ(h["client_name"], "connection-test");
}

TEST(Connection_Handshake, RefusedHelloReportsTheDaemonsCode) {
    FakeDaemon daemon([](FakePeer& peer) {
        auto hello = peer.read();
        peer.send({{"type", "hello"},
                   {"id", hello["id"]},
                   {"ok", false},
                   {"error", {{"code", "protocol_error"}, {"message", "version 9 not supported"}}}});
        drain_until_eof(peer);
    });
    auto c = Connection::connect(options_for(daemon));
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::ProtocolError);
    EXPECT_NE(c.error().message.find("version 9 not supported"), std::string::npos) << c.error().message;
}

TEST(Connection_NoDaemon, FailsWithCannotConnectAndThePath) {
    auto dir = test::make_temp_dir("ksim-client-absent");
    ConnectOptions o;
    o.socket_path = (dir / "ksimd.sock").string();
    auto c = Connection::connect(o);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::Disconnected);
    EXPECT_NE(c.error().message.find("cannot connect to ksimd at " + o.socket_path), std::string::npos)
        << c.error().message;
    std::filesystem::remove_all(dir);
}

TEST(Connection_Requests, ConcurrentCallersEachGetTheirOwnReplyEvenOutOfOrder) {
    FakeDaemon daemon([](FakePeer& peer) {
        peer.accept_hello();
        auto first = peer.read();
        auto second = peer.read();
        // Answer in reverse order; each reply echoes the filter the request named.
        for (const auto* r : {&second, &first})
            peer.send({{"type", "list"}, {"id", (*r)["id"]}, {"ok", true}, {"echo", (*r)["filter"]}});
        drain_until_eof(peer);
    });
    auto c = Connection::connect(options_for(daemon));
    ASSERT_TRUE(c);
    auto a = std::async(std::launch::async, [&] {
        return (*c)->call(wire::MessageType::List, {{"filter", "a"}});
    });
    auto b = std::async(std::launch::async, [&] {
        return (*c)->call(wire::MessageType::List, {{"filter", "b"}});
    });
    auto ra = a.get();
    auto rb = b.get();
    ASSERT_TRUE(ra && rb);
    EXPECT_EQ((*ra)["echo"], "a");
    EXPECT_EQ((*rb)["echo"], "b");
    EXPECT_FALSE(ra->contains("id")) << "envelope fields are stripped from the body";
}

TEST(Connection_Requests, ErrorReplyBecomesItsErrcAndMessage) {
    FakeDaemon daemon([](FakePeer& peer) {
        peer.accept_hello();
        auto r = peer.read();
        peer.send(
            {{"type", "commit"},
             {"id", r["id"]},
             {"ok", false},
             {"error", {{"code", "permission_denied"}, {"message", "commit needs the graph-manager role"}}}});
        drain_until_eof(peer);
    });
    auto c = Connection::connect(options_for(daemon));
    ASSERT_TRUE(c);
    auto reply = (*c)->call(wire::MessageType::Commit);
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, Errc::PermissionDenied);
    EXPECT_EQ(reply.error().message, "commit needs the graph-manager role");
}

TEST(Connection_Requests, DescriptorsAnnouncedInAReplyReachTheCaller) {
    int memfd = ::memfd_create("connection-test", MFD_CLOEXEC);
    ASSERT_GE(memfd, 0);
    ASSERT_EQ(::write(memfd, "frame-bytes", 11), 11);
    FakeDaemon daemon([memfd](FakePeer& peer) {
        peer.accept_hello();
        auto r = peer.read();
        int fds[] = {memfd};
        peer.send({{"type", "open_stream"}, {"id", r["id"]}, {"ok", true}, {"fd_count", 1}}, fds);
        drain_until_eof(peer);
    });
    auto c = Connection::connect(options_for(daemon));
    ASSERT_TRUE(c);
    auto reply = (*c)->request(wire::MessageType::OpenStream);
    ASSERT_TRUE(reply) << reply.error().message;
    ASSERT_EQ(reply->fds.size(), 1u);
    char buf[11] = {};
    ASSERT_EQ(::pread(reply->fds[0].get(), buf, sizeof buf, 0), 11);
    EXPECT_EQ(std::string(buf, 11), "frame-bytes");
    ::close(memfd);
}

TEST(Connection_Requests, NoReplyInTimeIsTimeoutAndTheConnectionStaysUsable) {
    FakeDaemon daemon([](FakePeer& peer) {
        peer.accept_hello();
        auto ignored = peer.read();  // never answered
        auto r = peer.read();
        peer.send({{"type", "list"}, {"id", r["id"]}, {"ok", true}});
        drain_until_eof(peer);
    });
    auto c = Connection::connect(options_for(daemon));
    ASSERT_TRUE(c);
    auto slow = (*c)->call(wire::MessageType::Ledger, {}, 50ms);
    ASSERT_FALSE(slow);
    EXPECT_EQ(slow.error().code, Errc::Timeout);
    EXPECT_TRUE((*c)->call(wire::MessageType::List));
}

TEST(Connection_Events, QueueInArrivalOrderThenGoToAHandler) {
    std::promise<void> handler_installed;
    FakeDaemon daemon([&](FakePeer& peer) {
        peer.accept_hello();
        peer.send({{"type", "state_changed"}, {"event", true}, {"pin", "cam.out"}, {"state", "ACQUIRE"}});
        peer.send({{"type", "state_changed"}, {"event", true}, {"pin", "cam.out"}, {"state", "PAUSE"}});
        handler_installed.get_future().wait();
        peer.send({{"type", "client_gone"}, {"event", true}, {"client_id", 3}});
        drain_until_eof(peer);
    });
    auto c = Connection::connect(options_for(daemon));
    ASSERT_TRUE(c);
    auto e1 = (*c)->next_event(5s);
    auto e2 = (*c)->next_event(5s);
    ASSERT_TRUE(e1 && e2);
    EXPECT_EQ(e1->type, wire::MessageType::StateChanged);
    EXPECT_EQ(e1->body["state"], "ACQUIRE");
    EXPECT_EQ(e2->body["state"], "PAUSE");

    std::promise<Event> seen;
    (*c)->set_event_handler([&](const Event& e) { seen.set_value(e); });
    handler_installed.set_value();
    auto f = seen.get_future();
    ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(f.get().type, wire::MessageType::ClientGone);
    (*c)->set_event_handler(nullptr);
}

TEST(Connection_Disconnect, DaemonGoingAwayFailsThePendingRequestAsDisconnected) {
    FakeDaemon daemon([](FakePeer& peer) {
        peer.accept_hello();
        (void)peer.read();
        peer.close();  // dies before answering
    });
    auto c = Connection::connect(options_for(daemon));
    ASSERT_TRUE(c);
    auto reply = (*c)->call(wire::MessageType::List, {}, 5s);
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, Errc::Disconnected);
    EXPECT_FALSE((*c)->connected());
    auto later = (*c)->call(wire::MessageType::List);
    ASSERT_FALSE(later);
    EXPECT_EQ(later.error().code, Errc::Disconnected);
    auto event = (*c)->next_event(1s);
    ASSERT_FALSE(event);
    EXPECT_EQ(event.error().code, Errc::Disconnected);
}

}  // namespace
}  // namespace ksim::client
