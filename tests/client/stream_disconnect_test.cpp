// A Stream notices at once that its daemon is gone: a scripted fake daemon grants real rings and
// then closes the control socket while the client waits for a frame (consumer) or for a free
// frame (producer). Every wait here is given an hour, so a wait that returns Disconnected
// returned because of the disconnect (and a regression hangs until the test's timeout).
#include <gtest/gtest.h>

#include <future>
#include <optional>
#include <thread>

#include "fake_daemon.hpp"
#include "ksim/client/connection.hpp"
#include "ksim/client/stream.hpp"
#include "ksim/shm/region.hpp"
#include "ksim/shm/ring.hpp"
#include "ksim/wire/envelope.hpp"

namespace ksim::client {
namespace {

using test::FakeDaemon;
using test::FakePeer;
using namespace std::chrono_literals;

constexpr auto kHour = std::chrono::hours(1);
constexpr std::uint32_t kPoolFrameSize = 64;
constexpr std::size_t kPoolRegionSize = 4096;

// One stream's grant, served by a fake daemon that closes the socket when told to.
class StreamDisconnect : public ::testing::Test {
protected:
    // `producer`: a writable region with a (never filled) free_frames ring and a to_daemon ring;
    // otherwise a read-only region with an (empty) to_client ring and a to_daemon ring.
    void open(bool producer) {
        auto region = shm::Region::create("stream-disconnect", kPoolRegionSize);
        auto first = shm::RingChannel::create("stream-disconnect-in", 4);
        auto second = shm::RingChannel::create("stream-disconnect-out", 4);
        ASSERT_TRUE(region && first && second);
        region_.emplace(std::move(*region));
        in_.emplace(std::move(*first));
        out_.emplace(std::move(*second));
        daemon_.emplace([this, producer](FakePeer& peer) {
            peer.accept_hello();
            grant(peer, producer);
            close_now_.get_future().wait();
            peer.close();
        });
        ConnectOptions o;
        o.socket_path = daemon_->socket_path();
        o.name = "stream-disconnect";
        auto c = Connection::connect(o);
        ASSERT_TRUE(c) << c.error().message;
        connection_ = std::move(*c);
        auto s = Stream::open(connection_, proto::PinRef{"app", "pin"});
        ASSERT_TRUE(s) << s.error().message;
        stream_ = std::move(*s);
    }
    void TearDown() override {
        if (daemon_ && !closed_) close_now_.set_value();
        stream_.reset();
        connection_.reset();
        daemon_.reset();
    }
    // Lets the fake daemon close the socket; the caller may already be waiting, or not yet.
    void close_daemon_side() {
        closed_ = true;
        close_now_.set_value();
    }
    static void expect_daemon_closed(const Error& e) {
        EXPECT_EQ(e.code, Errc::Disconnected) << e.message;
        EXPECT_EQ(e.message, "ksimd closed the connection");
    }

    std::shared_ptr<Connection> connection_;
    std::unique_ptr<Stream> stream_;

private:
    void grant(FakePeer& peer, bool producer) {
        const auto request = peer.read();
        const auto access = producer ? shm::Access::ReadWrite : shm::Access::ReadOnly;
        auto memory = region_->share(access);
        auto in = in_->share();
        auto out = out_->share();
        ASSERT_TRUE(memory && in && out);
        wire::OpenStreamReply reply;
        reply.pin = proto::PinRef{"app", "pin"};
        reply.frame_size = kPoolFrameSize;
        reply.frames = 2;
        reply.regions.push_back(wire::RegionGrant{1,
                                                  kPoolRegionSize,
                                                  producer ? shm::Access::ReadWrite : shm::Access::ReadOnly,
                                                  0,
                                                  {0, kPoolFrameSize}});
        wire::RingGrant incoming{
            producer ? wire::RingDirection::FreeFrames : wire::RingDirection::ToClient, 1, in->size, 4, 2, 3};
        if (producer) incoming.depth = 2;
        reply.rings.push_back(incoming);
        reply.rings.push_back(wire::RingGrant{wire::RingDirection::ToDaemon, 4, out->size, 4, 5, 6});
        reply.fd_count = 7;
        const int fds[] = {memory->get(),         in->memory.get(),  in->data_ready.get(),
                           in->space_ready.get(), out->memory.get(), out->data_ready.get(),
                           out->space_ready.get()};
        peer.send(wire::make_reply(request["id"].get<std::uint64_t>(), reply), fds);
    }

    std::optional<shm::Region> region_;
    std::optional<shm::RingChannel> in_, out_;
    std::promise<void> close_now_;
    bool closed_ = false;
    std::optional<FakeDaemon> daemon_;
};

TEST_F(StreamDisconnect, NextFrame_WaitingWhenTheDaemonCloses_ReturnsDisconnected) {
    open(false);
    ASSERT_TRUE(stream_->uses_rings());
    std::thread closer([this] { close_daemon_side(); });
    auto frame = stream_->next_frame(kHour);
    closer.join();
    ASSERT_FALSE(frame);
    expect_daemon_closed(frame.error());
    // And every later wait at once.
    auto again = stream_->next_frame(kHour);
    ASSERT_FALSE(again);
    expect_daemon_closed(again.error());
}

TEST_F(StreamDisconnect, AcquireFrame_WaitingForAFreeFrameWhenTheDaemonCloses_ReturnsDisconnected) {
    open(true);
    ASSERT_TRUE(stream_->uses_free_frame_ring());
    std::thread closer([this] { close_daemon_side(); });
    auto frame = stream_->acquire_frame(kHour);
    closer.join();
    ASSERT_FALSE(frame);
    expect_daemon_closed(frame.error());
    auto again = stream_->acquire_frame(kHour);
    ASSERT_FALSE(again);
    expect_daemon_closed(again.error());
}

TEST_F(StreamDisconnect, ClosingTheConnection_EndsAWaitOfItsStreamWithTheClientsReason) {
    open(false);
    std::thread closer([this] { connection_->close(); });
    auto frame = stream_->next_frame(kHour);
    closer.join();
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error().code, Errc::Disconnected);
    EXPECT_EQ(frame.error().message, "connection closed by this client");
}

}  // namespace
}  // namespace ksim::client
