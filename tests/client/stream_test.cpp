// Stream against a scripted fake daemon that grants a real region and real rings: next_frame
// shows each frame's bytes where the grant's offsets put them, and refuses - with a
// ProtocolError, handing the frame back - a descriptor the grant does not cover.
#include "ksim/client/stream.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "fake_daemon.hpp"
#include "ksim/client/connection.hpp"
#include "ksim/shm/mapping.hpp"
#include "ksim/shm/region.hpp"
#include "ksim/shm/ring.hpp"
#include "ksim/wire/envelope.hpp"

namespace ksim::client {
namespace {

using test::FakeDaemon;
using test::FakePeer;
using namespace std::chrono_literals;

constexpr std::uint32_t kFrameSize = 64;
constexpr std::uint32_t kRegionId = 5;
constexpr std::size_t kRegionSize = 4096;  // one page: what Region::create makes of it
// Frame i (0..2) is filled with the byte i + 1. Frame 3's offset makes it overrun the region.
const std::vector<std::uint64_t> kOffsets{0, 64, 128, kRegionSize - 16};

// A region, a to_client ring the test produces on and a to_daemon ring it consumes, granted to
// the stream of one client by a fake daemon that then waits for the client to leave.
class StreamGrant : public ::testing::Test {
protected:
    void SetUp() override {
        auto region = shm::Region::create("stream-test", kRegionSize);
        ASSERT_TRUE(region) << region.error().message;
        ASSERT_EQ(region->size(), kRegionSize);
        {
            auto fill = shm::WritableMapping::map(*region);
            ASSERT_TRUE(fill) << fill.error().message;
            for (std::size_t i = 0; i < 3; ++i)
                std::ranges::fill(fill->slice(kOffsets[i], kFrameSize), std::byte(i + 1));
        }
        region_.emplace(std::move(*region));
        auto to_client = shm::RingChannel::create("stream-test-in", 8);
        auto to_daemon = shm::RingChannel::create("stream-test-out", 8);
        ASSERT_TRUE(to_client && to_daemon);
        to_client_.emplace(std::move(*to_client));
        to_daemon_.emplace(std::move(*to_daemon));
        auto producer_share = to_client_->share();
        auto consumer_share = to_daemon_->share();
        ASSERT_TRUE(producer_share && consumer_share);
        auto producer = shm::RingProducer::attach(std::move(*producer_share));
        auto consumer = shm::RingConsumer::attach(std::move(*consumer_share));
        ASSERT_TRUE(producer && consumer);
        producer_.emplace(std::move(*producer));
        released_.emplace(std::move(*consumer));
        daemon_.emplace([this](FakePeer& peer) { grant(peer); });

        ConnectOptions o;
        o.socket_path = daemon_->socket_path();
        o.name = "stream-test";
        o.timeout = 5s;
        auto c = Connection::connect(o);
        ASSERT_TRUE(c) << c.error().message;
        connection_ = std::move(*c);
        auto s = Stream::open(connection_, proto::PinRef{"viewer", "input"});
        ASSERT_TRUE(s) << s.error().message;
        stream_ = std::move(*s);
    }
    void TearDown() override {
        stream_.reset();
        connection_.reset();
        daemon_.reset();  // the script sees EOF and ends
    }

    // Publishes a frame descriptor as the daemon would.
    void publish(std::uint32_t region, std::uint32_t index) {
        ASSERT_TRUE(
            producer_->try_push(shm::RingEntry{.frame = {region, index, 1, 0}, .data_used = kFrameSize}));
    }
    // The frame the client gave back on its to_daemon ring.
    std::optional<shm::FrameHandle> given_back() {
        auto entry = released_->pop(5000ms);
        if (!entry) return std::nullopt;
        return entry->frame;
    }

    std::unique_ptr<Stream> stream_;

private:
    void grant(FakePeer& peer) {
        peer.accept_hello();
        const auto request = peer.read();
        auto memory = region_->share(shm::Access::ReadOnly);
        auto in = to_client_->share();
        auto out = to_daemon_->share();
        wire::OpenStreamReply reply;
        reply.pin = proto::PinRef{"viewer", "input"};
        reply.frame_size = kFrameSize;
        reply.frames = static_cast<std::uint32_t>(kOffsets.size());
        reply.regions.push_back(
            wire::RegionGrant{kRegionId, kRegionSize, shm::Access::ReadOnly, 0, kOffsets});
        reply.rings.push_back(wire::RingGrant{wire::RingDirection::ToClient, 1, in->size, 8, 2, 3});
        reply.rings.push_back(wire::RingGrant{wire::RingDirection::ToDaemon, 4, out->size, 8, 5, 6});
        reply.fd_count = 7;
        const int fds[] = {memory->get(),         in->memory.get(),  in->data_ready.get(),
                           in->space_ready.get(), out->memory.get(), out->data_ready.get(),
                           out->space_ready.get()};
        peer.send(wire::make_reply(request["id"].get<std::uint64_t>(), reply), fds);
        while (!peer.read().is_null()) {
        }
    }

    std::optional<shm::Region> region_;
    std::optional<shm::RingChannel> to_client_, to_daemon_;
    std::optional<shm::RingProducer> producer_;
    std::optional<shm::RingConsumer> released_;
    std::optional<FakeDaemon> daemon_;
    std::shared_ptr<Connection> connection_;
};

TEST_F(StreamGrant, NextFrame_ShowsTheBytesAtTheGrantedOffset_AndReleaseGivesTheFrameBack) {
    for (std::uint32_t index : {2u, 0u, 1u}) {
        publish(kRegionId, index);
        auto view = stream_->next_frame(5000ms);
        ASSERT_TRUE(view) << view.error().message;
        ASSERT_EQ(view->bytes().size(), kFrameSize);
        EXPECT_EQ(view->bytes().front(), std::byte(index + 1));
        EXPECT_EQ(view->bytes().back(), std::byte(index + 1));
        ASSERT_TRUE(view->release());
        auto back = given_back();
        ASSERT_TRUE(back);
        EXPECT_EQ(back->region, kRegionId);
        EXPECT_EQ(back->index, index);
    }
}

struct Forged {
    std::uint32_t region, index;
    const char* says;  // part of the error message
};

TEST_F(StreamGrant, NextFrame_RefusesADescriptorTheGrantDoesNotCover_AndHandsItBack) {
    for (const Forged& f :
         {Forged{kRegionId + 1, 0, "which was not granted"}, Forged{kRegionId, 4, "is outside 0..3"},
          Forged{kRegionId, 3, "at offset 4080 lies outside region"}}) {
        publish(f.region, f.index);
        auto view = stream_->next_frame(5000ms);
        ASSERT_FALSE(view) << "region " << f.region << " frame " << f.index;
        EXPECT_EQ(view.error().code, Errc::ProtocolError);
        EXPECT_NE(view.error().message.find(f.says), std::string::npos) << view.error().message;
        auto back = given_back();  // never held by a client that cannot show it
        ASSERT_TRUE(back);
        EXPECT_EQ(back->region, f.region);
        EXPECT_EQ(back->index, f.index);
    }
    // The stream still works afterwards.
    publish(kRegionId, 1);
    auto view = stream_->next_frame(5000ms);
    ASSERT_TRUE(view) << view.error().message;
    EXPECT_EQ(view->bytes().front(), std::byte(2));
}

}  // namespace
}  // namespace ksim::client
