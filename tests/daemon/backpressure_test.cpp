// What a client that does not read makes the daemon hold. One that pipelines requests is
// stalled (backpressure): ksimd stops handling and reading its requests while a quarter of its
// outgoing allowance is unread, so its memory stays bounded and it loses nothing. One that
// subscribes and does not read its events is disconnected as a slow reader. Others are served
// all along.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "daemon_fixture.hpp"
#include "ksim/wire/codec.hpp"

namespace ksim::test {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

class DaemonBackpressure : public DaemonFixture {
protected:
    bool start_in_setup() const override { return false; }

    std::optional<daemon::server::ClientUsage> usage_of(std::uint64_t client) {
        for (const auto& u : daemon_->client_usage())
            if (u.client_id == client) return u;
        return std::nullopt;
    }
};

// Requests padded with a field ksimd ignores, so that the stream is far larger than the socket
// buffers and the daemon's read buffer together: only a daemon that reads it all takes it all.
std::string pipelined_lists(std::uint64_t first_id, std::uint64_t count) {
    const std::string pad(400, 'x');
    std::string out;
    for (std::uint64_t id = first_id; id < first_id + count; ++id)
        out += *wire::encode_frame(json{{"type", "list"}, {"id", id}, {"filter", "camera"}, {"pad", pad}});
    return out;
}

// Writes what the socket takes now; false on an error (the daemon hung up).
bool write_some(int fd, std::string_view bytes, std::size_t& written) {
    while (written < bytes.size()) {
        ssize_t n = ::send(fd, bytes.data() + written, bytes.size() - written, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        written += static_cast<std::size_t>(n);
    }
    return true;
}

TEST_F(DaemonBackpressure, ClientThatPipelinesWithoutReading_IsStalledWithBoundedMemoryAndLosesNothing) {
    auto options = default_options();
    const std::size_t max_messages = options.max_queued_messages;  // 1024: the pause is at 256
    start(options);
    auto flooder = connect();
    auto welcome = flooder.hello(wire::Role::Client, "flooder");
    ASSERT_TRUE(welcome.has_value()) << welcome.error().message;
    const auto id = (*welcome)["client_id"].get<std::uint64_t>();
    auto other = connect_with_hello();

    constexpr std::uint64_t kRequests = 10000;  // ~4.5 MB of requests, ~10 MB of replies
    const std::string stream = pipelined_lists(1, kRequests);
    std::size_t written = 0;
    const auto deadline = Clock::now() + 20s;
    bool paused = false;
    while (!paused && Clock::now() < deadline) {
        ASSERT_TRUE(write_some(flooder.fd(), stream, written)) << "ksimd hung up: " << std::strerror(errno);
        auto u = usage_of(id);
        ASSERT_TRUE(u.has_value()) << "the flooder's session is gone";
        paused = u->requests_paused;
        if (!paused && written == stream.size()) break;
        pollfd p{flooder.fd(), POLLOUT, 0};
        ::poll(&p, 1, 10);  // wait for room, or look at the daemon again
    }
    ASSERT_TRUE(paused) << "ksimd never paused the flooder's requests (" << written << " of " << stream.size()
                        << " bytes written)";
    EXPECT_LT(written, stream.size()) << "ksimd took every request although nothing was read";

    // Another client is served at once while the flooder is stalled.
    const auto asked = Clock::now();
    auto theirs = other.request(json{{"type", "connections"}}, 2s);
    ASSERT_TRUE(theirs.has_value()) << theirs.error().message;
    EXPECT_TRUE((*theirs)["ok"].get<bool>());
    EXPECT_LT(Clock::now() - asked, 1s);

    // What the flooder made the daemon hold stayed within the backpressure bound.
    auto u = usage_of(id);
    ASSERT_TRUE(u.has_value());
    EXPECT_LE(u->peak_queued_messages, max_messages / 4);
    EXPECT_LE(u->peak_queued_bytes, 16u * 1024 * 1024 / 4 + wire::kMaxMessageBytes);
    EXPECT_LE(u->peak_buffered_request_bytes, 64u * 1024 + wire::kMaxMessageBytes);

    // Now it reads: every request is answered, in order, and the rest of the stream goes in.
    wire::FrameDecoder decoder;
    std::uint64_t next_reply = 1;
    std::array<char, 65536> buffer{};
    while (next_reply <= kRequests && Clock::now() < deadline + 40s) {
        ASSERT_TRUE(write_some(flooder.fd(), stream, written));
        pollfd p{flooder.fd(), static_cast<short>(POLLIN | (written < stream.size() ? POLLOUT : 0)), 0};
        ASSERT_GT(::poll(&p, 1, 5000), 0) << "no reply after " << next_reply - 1;
        if (!(p.revents & POLLIN)) continue;
        ssize_t n = ::recv(flooder.fd(), buffer.data(), buffer.size(), MSG_DONTWAIT);
        ASSERT_GT(n, 0) << "ksimd closed the flooder's connection after " << next_reply - 1 << " replies";
        decoder.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
        for (;;) {
            auto m = decoder.next();
            ASSERT_TRUE(m.has_value()) << m.error().message;
            if (!*m) break;
            ASSERT_EQ((**m)["id"].get<std::uint64_t>(), next_reply) << (*m)->dump().substr(0, 200);
            ASSERT_TRUE((**m)["ok"].get<bool>()) << (*m)->dump().substr(0, 200);
            ++next_reply;
        }
    }
    EXPECT_EQ(next_reply, kRequests + 1);
    u = usage_of(id);
    ASSERT_TRUE(u.has_value());
    EXPECT_FALSE(u->requests_paused);
    EXPECT_EQ(u->queued_messages, 0u);
    EXPECT_LE(u->peak_queued_messages, max_messages / 4);
}

TEST_F(DaemonBackpressure, SubscriberThatNeverReads_IsDisconnectedAsASlowReaderWhileOthersAreServed) {
    auto options = default_options();
    options.max_queued_messages = 8;
    start(options);
    auto slow = connect();
    auto welcome = slow.hello(wire::Role::Client, "slow");
    ASSERT_TRUE(welcome.has_value()) << welcome.error().message;
    const auto slow_id = (*welcome)["client_id"].get<std::uint64_t>();
    ASSERT_TRUE(slow.request(json{{"type", "subscribe"}, {"events", {"framing_changed"}}}).has_value());
    // Pins with wide framing, on a new filter each round: every framing_changed is ~10 KB and
    // about a distinct pin, so none replaces another; a few rounds outgrow the socket and the queue.
    json items = json::array();
    for (std::size_t i = 0; i < daemon::server::kMaxFramingItemsPerPin; ++i)
        items.push_back({{"memory_type", "USER"},
                         {"frames", 4},
                         {"physical_range", {{"min", 4096}, {"max", 8192}, {"stepping", 1}}},
                         {"framing_range", {{"min", 4096}, {"max", 8192}, {"stepping", 1}}}});
    bool disconnected = false;
    for (int round = 0; round < 100 && !disconnected; ++round) {
        auto creator = connect_with_hello();
        for (int i = 0; i < 16; ++i) {
            auto created = creator.request(json{{"type", "create_pin"},
                                                {"filter", "f" + std::to_string(round)},
                                                {"pin_id", "in" + std::to_string(i)},
                                                {"direction", "in"},
                                                {"framing", {{"items", items}}}});
            ASSERT_TRUE(created.has_value()) << created.error().message;
            ASSERT_TRUE((*created)["ok"].get<bool>()) << created->dump();
        }
        auto reply = creator.request(json{{"type", "connections"}}, 2s);
        ASSERT_TRUE(reply.has_value()) << "a bystander stalled in round " << round;
        disconnected = !usage_of(slow_id).has_value();
    }
    EXPECT_TRUE(disconnected) << "the subscriber that never reads kept its session";
    EXPECT_TRUE(slow.wait_closed(5s));
}

}  // namespace
}  // namespace ksim::test
