// The data path end to end in-process: the graph manager commits, a client opens the stream of
// the topology's user sink pin, receives the descriptors of the region and the two rings over
// SCM_RIGHTS, gets frames from the simulated camera through the to_client ring and returns them
// through the to_daemon ring. Disconnecting returns every frame the client held.
#include <gtest/gtest.h>

#include "daemon_fixture.hpp"
#include "ksim/proto/memory_types.hpp"
#include "ksim/shm/mapping.hpp"
#include "ksim/shm/ring.hpp"
#include "ksim/wire/envelope.hpp"

namespace ksim::test {
namespace {

using nlohmann::json;

constexpr std::uint32_t kImage = 1920 * 1080 * 3 / 2;

class DaemonStreaming : public DaemonFixture {
protected:
    // Commits a user-mode pool for camera.capture -> viewer.input (the graph manager), then
    // `client` puts the camera in ACQUIRE: it starts the pin, so it may run it later.
    void commit_and_acquire(TestClient& client) {
        auto gm = connect_with_hello(wire::Role::GraphManager);
        wire::CommitRequest commit{
            {{proto::PinRef{"camera", "capture"}, proto::PinRef{"viewer", "input"}}},
            wire::AllocatorDecision{
                wire::AllocatorKind::User, {"camera", "capture"}, proto::memory_type::kUser, kImage, 4, 0}};
        auto reply = gm.request(wire::make_request(0, commit));
        ASSERT_TRUE(reply.has_value());
        ASSERT_TRUE((*reply)["ok"].get<bool>()) << reply->dump();
        auto acquire = client.request(
            wire::make_request(0, wire::SetStateRequest{{"camera", "capture"}, proto::PinState::Acquire}));
        ASSERT_TRUE(acquire.has_value());
        ASSERT_TRUE((*acquire)["ok"].get<bool>()) << acquire->dump();
    }

    static shm::RingShare take_ring(const wire::RingGrant& g, std::vector<shm::UniqueFd>& fds) {
        shm::RingShare s;
        s.memory = std::move(fds.at(g.fd_index));
        s.data_ready = std::move(fds.at(*g.wake_fd_index));
        s.space_ready = std::move(fds.at(*g.peer_wake_fd_index));
        s.size = g.size;
        return s;
    }
};

TEST_F(DaemonStreaming, UserSink_ReceivesCameraFramesThroughTheRingAndReturnsThem) {
    auto client = connect_with_hello();
    commit_and_acquire(client);
    auto opened = client.request(wire::make_request(0, wire::OpenStreamRequest{{"viewer", "input"}}));
    ASSERT_TRUE(opened.has_value());
    ASSERT_TRUE((*opened)["ok"].get<bool>()) << opened->dump();
    auto grant = wire::decode_body<wire::OpenStreamReply>(*opened);
    ASSERT_TRUE(grant.has_value()) << grant.error().message;
    ASSERT_EQ(client.fds.size(), grant->fd_count) << "every granted descriptor arrives with the reply";
    EXPECT_EQ(grant->frame_size, kImage);
    EXPECT_EQ(grant->frames, 4u);
    ASSERT_EQ(grant->regions.size(), 1u);
    EXPECT_EQ(grant->regions[0].access, shm::Access::ReadOnly) << "a consumer maps frames read-only";
    ASSERT_EQ(grant->rings.size(), 2u);

    auto region = shm::Region::adopt(std::move(client.fds.at(grant->regions[0].fd_index)),
                                     grant->regions[0].size, shm::Access::ReadOnly, grant->regions[0].id);
    ASSERT_TRUE(region.has_value()) << region.error().message;
    auto mapping = shm::ReadOnlyMapping::map(*region);
    ASSERT_TRUE(mapping.has_value()) << mapping.error().message;
    std::optional<shm::RingConsumer> incoming;
    std::optional<shm::RingProducer> outgoing;
    for (const auto& r : grant->rings) {
        if (r.direction == wire::RingDirection::ToClient) {
            auto c = shm::RingConsumer::attach(take_ring(r, client.fds));
            ASSERT_TRUE(c.has_value()) << c.error().message;
            incoming.emplace(std::move(*c));
        } else {
            auto p = shm::RingProducer::attach(take_ring(r, client.fds));
            ASSERT_TRUE(p.has_value()) << p.error().message;
            outgoing.emplace(std::move(*p));
        }
    }
    ASSERT_TRUE(incoming && outgoing);

    for (const char* pin : {"viewer.input", "camera.capture"}) {
        auto run = client.request(json{{"type", "set_state"}, {"pin", pin}, {"state", "RUN"}});
        ASSERT_TRUE(run.has_value());
        ASSERT_TRUE((*run)["ok"].get<bool>()) << run->dump();
        EXPECT_EQ((*run)["state"], "RUN");
    }

    std::int64_t last_pts = -1;
    for (int i = 0; i < 6; ++i) {
        auto entry = incoming->pop(std::chrono::seconds(5));
        ASSERT_TRUE(entry.has_value()) << "frame " << i << ": " << entry.error().message;
        EXPECT_EQ(entry->frame.region, grant->regions[0].id);
        EXPECT_LT(entry->frame.index, grant->frames);
        EXPECT_EQ(entry->data_used, kImage);
        EXPECT_GT(entry->presentation_time, last_pts) << "presentation times increase";
        last_pts = entry->presentation_time;
        ASSERT_TRUE(
            outgoing->push(shm::RingEntry{entry->frame, 0, 0, 0}, std::chrono::seconds(1)).has_value());
    }

    auto stats = client.request(
        wire::make_request(0, wire::GetPropertyRequest{{"camera", "capture"}, wire::PropertyId::Statistics}));
    ASSERT_TRUE(stats.has_value());
    ASSERT_TRUE((*stats)["ok"].get<bool>()) << stats->dump();
    EXPECT_GE((*stats)["statistics"]["completed"].get<std::uint64_t>(), 6u);
}

TEST_F(DaemonStreaming, DisconnectingWhileHoldingFrames_ReturnsThemToThePool) {
    std::uint64_t client_id = 0;
    {
        auto client = connect_with_hello();
        commit_and_acquire(client);
        auto opened = client.request(wire::make_request(0, wire::OpenStreamRequest{{"viewer", "input"}}));
        ASSERT_TRUE(opened.has_value());
        ASSERT_TRUE((*opened)["ok"].get<bool>()) << opened->dump();
        auto grant = wire::decode_body<wire::OpenStreamReply>(*opened);
        ASSERT_TRUE(grant.has_value());
        std::optional<shm::RingConsumer> incoming;
        for (const auto& r : grant->rings)
            if (r.direction == wire::RingDirection::ToClient) {
                shm::RingShare s;
                s.memory = std::move(client.fds.at(r.fd_index));
                s.data_ready = std::move(client.fds.at(*r.wake_fd_index));
                s.space_ready = std::move(client.fds.at(*r.peer_wake_fd_index));
                s.size = r.size;
                auto c = shm::RingConsumer::attach(std::move(s));
                ASSERT_TRUE(c.has_value());
                incoming.emplace(std::move(*c));
            }
        ASSERT_TRUE(incoming.has_value());
        for (const char* pin : {"viewer.input", "camera.capture"}) {
            auto run = client.request(json{{"type", "set_state"}, {"pin", pin}, {"state", "RUN"}});
            ASSERT_TRUE(run && (*run)["ok"].get<bool>());
        }
        ASSERT_TRUE(incoming->pop(std::chrono::seconds(5)).has_value());  // hold it, never return it
        auto ledger = wire::decode_body<wire::LedgerReply>(*client.request(json{{"type", "ledger"}}));
        ASSERT_TRUE(ledger.has_value());
        for (const auto& e : ledger->entries)
            if (e.owner != 0) client_id = e.owner;
        ASSERT_NE(client_id, 0u) << "the ledger must show the frame held by the client";
    }
    auto observer = connect_with_hello();
    ASSERT_TRUE(observer.request(json{{"type", "subscribe"}, {"events", {"client_gone"}}}).has_value());
    // The disconnect may already have been processed before the subscription. Otherwise its
    // client_gone event is now queued for the observer: wait for it (not a round-trip count,
    // which a slow sanitizer build can exhaust) and look at the ledger again.
    const auto holds_nothing = [&] {
        auto ledger = wire::decode_body<wire::LedgerReply>(*observer.request(json{{"type", "ledger"}}));
        EXPECT_TRUE(ledger.has_value());
        return ledger && std::none_of(ledger->entries.begin(), ledger->entries.end(),
                                      [&](const auto& e) { return e.owner == client_id; });
    };
    bool released = holds_nothing();
    while (!released) {
        auto event = observer.next_event(std::chrono::seconds(30));
        ASSERT_TRUE(event.has_value()) << "no client_gone event for client " << client_id;
        if ((*event)["type"] == "client_gone") released = holds_nothing();
    }
    EXPECT_TRUE(released) << "client " << client_id << " still holds frames after disconnecting";
}

// The ledger pages as list does. A sink that takes every frame of its pool and returns none
// makes a ledger that stands still (every frame held by the client, the camera dropping), so
// pages of one entry must add up to the whole ledger, each entry once.
TEST_F(DaemonStreaming, LedgerInPagesOfOne_AddsUpToTheWholeLedger) {
    auto client = connect_with_hello();
    commit_and_acquire(client);
    auto opened = client.request(wire::make_request(0, wire::OpenStreamRequest{{"viewer", "input"}}));
    ASSERT_TRUE(opened.has_value());
    ASSERT_TRUE((*opened)["ok"].get<bool>()) << opened->dump();
    auto grant = wire::decode_body<wire::OpenStreamReply>(*opened);
    ASSERT_TRUE(grant.has_value()) << grant.error().message;
    std::optional<shm::RingConsumer> incoming;
    for (const auto& r : grant->rings)
        if (r.direction == wire::RingDirection::ToClient) {
            auto c = shm::RingConsumer::attach(take_ring(r, client.fds));
            ASSERT_TRUE(c.has_value());
            incoming.emplace(std::move(*c));
        }
    ASSERT_TRUE(incoming.has_value());
    for (const char* pin : {"viewer.input", "camera.capture"}) {
        auto run = client.request(json{{"type", "set_state"}, {"pin", pin}, {"state", "RUN"}});
        ASSERT_TRUE(run && (*run)["ok"].get<bool>());
    }
    for (std::uint32_t i = 0; i < grant->frames; ++i)
        ASSERT_TRUE(incoming->pop(std::chrono::seconds(5)).has_value()) << "frame " << i;  // held

    auto whole = wire::decode_body<wire::LedgerReply>(*client.request(json{{"type", "ledger"}}));
    ASSERT_TRUE(whole.has_value()) << whole.error().message;
    ASSERT_EQ(whole->entries.size(), grant->frames);
    EXPECT_FALSE(whole->more);
    std::vector<wire::LedgerEntry> paged;
    std::uint32_t offset = 0;
    for (bool more = true; more;) {
        ASSERT_LE(paged.size(), grant->frames) << "paging does not end";
        auto reply = client.request(json{{"type", "ledger"}, {"offset", offset}, {"max_entries", 1}});
        ASSERT_TRUE(reply.has_value());
        auto page = wire::decode_body<wire::LedgerReply>(*reply);
        ASSERT_TRUE(page.has_value()) << page.error().message;
        ASSERT_LE(page->entries.size(), 1u);
        paged.insert(paged.end(), page->entries.begin(), page->entries.end());
        more = page->more;
        if (more) {
            EXPECT_EQ(*page->next_offset, offset + 1);
            offset = *page->next_offset;
        }
    }
    ASSERT_EQ(paged.size(), whole->entries.size());
    for (std::size_t i = 0; i < paged.size(); ++i) {
        EXPECT_EQ(paged[i].frame, whole->entries[i].frame) << i;
        EXPECT_EQ(paged[i].owner, whole->entries[i].owner) << i;
        EXPECT_NE(paged[i].owner, 0u) << "frame " << i << " should be held by the client";
    }
}

}  // namespace
}  // namespace ksim::test
