// The data path end to end in-process: the graph manager commits, a client opens the stream of
// the topology's user sink pin, receives the descriptors of the region and the two rings over
// SCM_RIGHTS, gets frames from the simulated camera through the to_client ring and returns them
// through the to_daemon ring. Disconnecting returns every frame the client held.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

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

    // The viewer's stream as a client holds it: the grant and its ends of the two rings.
    struct ViewerStream {
        wire::OpenStreamReply grant;
        std::optional<shm::RingConsumer> incoming;  // to_client: delivered frames
        std::optional<shm::RingProducer> outgoing;  // to_daemon: released frames
    };
    static void open_viewer(TestClient& client, ViewerStream& out) {
        auto opened = client.request(wire::make_request(0, wire::OpenStreamRequest{{"viewer", "input"}}));
        ASSERT_TRUE(opened.has_value());
        ASSERT_TRUE((*opened)["ok"].get<bool>()) << opened->dump();
        auto grant = wire::decode_body<wire::OpenStreamReply>(*opened);
        ASSERT_TRUE(grant.has_value()) << grant.error().message;
        out.grant = *grant;
        for (const auto& r : grant->rings) {
            if (r.direction == wire::RingDirection::ToClient) {
                auto c = shm::RingConsumer::attach(take_ring(r, client.fds));
                ASSERT_TRUE(c.has_value()) << c.error().message;
                out.incoming.emplace(std::move(*c));
            } else if (r.direction == wire::RingDirection::ToDaemon) {
                auto p = shm::RingProducer::attach(take_ring(r, client.fds));
                ASSERT_TRUE(p.has_value()) << p.error().message;
                out.outgoing.emplace(std::move(*p));
            }
        }
        ASSERT_TRUE(out.incoming && out.outgoing);
    }
    static void set_state(TestClient& client, const char* pin, const char* state) {
        auto reply = client.request(json{{"type", "set_state"}, {"pin", pin}, {"state", state}});
        ASSERT_TRUE(reply.has_value());
        ASSERT_TRUE((*reply)["ok"].get<bool>()) << pin << " -> " << state << ": " << reply->dump();
    }
    // Frames the ledger shows held by a client.
    static std::size_t held_by_clients(TestClient& client) {
        auto ledger = wire::decode_body<wire::LedgerReply>(*client.request(json{{"type", "ledger"}}));
        EXPECT_TRUE(ledger.has_value());
        if (!ledger) return 0;
        return static_cast<std::size_t>(std::count_if(ledger->entries.begin(), ledger->entries.end(),
                                                      [](const auto& e) { return e.owner != 0; }));
    }
};

// A release as libksim puts it on the ring while the pool is not short: quietly (no wake-up).
void release_quietly(shm::RingProducer& ring, const shm::FrameDescriptor& frame) {
    ASSERT_TRUE(ring.try_push(shm::to_release_entry(frame, {}), shm::Publish::Quietly))
        << "the release ring holds more entries than the pool has frames";
}

// Whether ksimd takes every entry of the release ring within `limit`, watched from the ring
// alone: a request would take the releases itself (StreamRings::take_releases), so none is
// made meanwhile.
bool taken_within(const shm::RingProducer& ring, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (ring.size() > 0) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::yield();
    }
    return true;
}

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
        ViewerStream viewer;
        ASSERT_NO_FATAL_FAILURE(open_viewer(client, viewer));
        for (const char* pin : {"viewer.input", "camera.capture"}) set_state(client, pin, "RUN");
        ASSERT_TRUE(viewer.incoming->pop(std::chrono::seconds(5)).has_value());  // hold it, never return it
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
    ViewerStream viewer;
    ASSERT_NO_FATAL_FAILURE(open_viewer(client, viewer));
    for (const char* pin : {"viewer.input", "camera.capture"}) set_state(client, pin, "RUN");
    const auto* grant = &viewer.grant;
    for (std::uint32_t i = 0; i < grant->frames; ++i)
        ASSERT_TRUE(viewer.incoming->pop(std::chrono::seconds(5)).has_value()) << "frame " << i;  // held

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

// Lazy release where ksimd already runs (docs/memory.md): once the camera's streaming thread has
// delivered to the viewer, every one of its ticks takes the viewer's releases
// (DeliveryTarget::after_delivery) and the drain thread sleeps untimed until the ticks end. So a
// quiet release is taken within a tick or two with no syscall on the ring at all: the client
// woke nobody, ksimd interrupted no one, and the drain thread never came back from its sleep,
// neither for a release nor on a timer of its own (a wake-up of any kind would show as a new
// sleep). And the frame it took went to the kernel:
// the ledger, once the camera is paused, holds exactly the frames still on the viewer's ring.
TEST_F(DaemonStreaming, AReleaseWhileTheCameraFeeds_IsTakenByItsTicks_WithoutWakingTheDrainThread) {
    auto client = connect_with_hello();
    commit_and_acquire(client);
    ViewerStream viewer;
    ASSERT_NO_FATAL_FAILURE(open_viewer(client, viewer));
    set_state(client, "viewer.input", "RUN");
    set_state(client, "camera.capture", "RUN");
    // The first delivery wakes the drain thread (it slept untimed: nothing delivered yet), which
    // then goes back to sleep, untimed again once the streaming thread takes the releases (after
    // at most one kReleaseLag sleep had it looked before the first tick's ticks_started). Six
    // frames (200 ms at 30 fps) leave it that time.
    for (int i = 0; i < 6; ++i) {
        auto entry = viewer.incoming->pop(std::chrono::seconds(5));
        ASSERT_TRUE(entry.has_value()) << "warm-up frame " << i << ": " << entry.error().message;
        ASSERT_NO_FATAL_FAILURE(release_quietly(*viewer.outgoing, entry->frame));
    }
    ASSERT_TRUE(taken_within(*viewer.outgoing, std::chrono::seconds(5)));

    const shm::RingSyscalls at_start = viewer.outgoing->syscalls();
    constexpr int kRounds = 6;
    for (int round = 0; round < kRounds; ++round) {
        auto entry = viewer.incoming->pop(std::chrono::seconds(5));
        ASSERT_TRUE(entry.has_value()) << "frame " << round << ": " << entry.error().message;
        const shm::RingSyscalls before = viewer.outgoing->syscalls();
        ASSERT_NO_FATAL_FAILURE(release_quietly(*viewer.outgoing, entry->frame));
        // Well within the bound at 30 fps; only a broken hand-over runs into it (the drain
        // thread sleeps for an hour while a streaming thread ticks).
        ASSERT_TRUE(taken_within(*viewer.outgoing, std::chrono::seconds(5)))
            << "round " << round << ": the release was not taken while the camera kept delivering";
        const shm::RingSyscalls spent = viewer.outgoing->syscalls() - before;
        EXPECT_EQ(spent.producer_wakes, 0u) << "round " << round << ": the quiet release woke ksimd";
        EXPECT_EQ(spent.consumer_wakes, 0u)
            << "round " << round << ": a delivery interrupted the drain thread";
        EXPECT_EQ(spent.consumer_sleeps, 0u) << "round " << round << ": the drain thread woke to take it";
    }
    // Nor between the releases: while the ticks take them, the drain thread keeps no timed
    // schedule (on its own it would look once per frame).
    EXPECT_EQ((viewer.outgoing->syscalls() - at_start).consumer_sleeps, 0u)
        << "the drain thread woke during " << kRounds << " frames fed by the streaming thread";
    set_state(client, "camera.capture", "PAUSE");  // its reply comes after the last delivery
    EXPECT_EQ(held_by_clients(client), viewer.incoming->size())
        << "the frames taken back must be in their pool, the ones on the ring with the viewer";
}

// The hand-back: when the streaming thread stops (RUN -> PAUSE ends it), its ticks take nothing
// any more, so ticks_ended wakes the drain thread, which arms its own timer again. Releases the
// viewer puts on its ring after that are taken without any request (a request would take them
// itself) and without a wake-up from the client, and the ledger is exact.
TEST_F(DaemonStreaming, AfterTheCameraStops_ReleasesAreStillTaken_WithoutARequestOrAWake) {
    auto client = connect_with_hello();
    commit_and_acquire(client);
    ViewerStream viewer;
    ASSERT_NO_FATAL_FAILURE(open_viewer(client, viewer));
    set_state(client, "viewer.input", "RUN");
    set_state(client, "camera.capture", "RUN");
    for (int i = 0; i < 3; ++i) {  // the streaming thread now takes the releases on its ticks
        auto entry = viewer.incoming->pop(std::chrono::seconds(5));
        ASSERT_TRUE(entry.has_value()) << "frame " << i << ": " << entry.error().message;
        ASSERT_NO_FATAL_FAILURE(release_quietly(*viewer.outgoing, entry->frame));
    }
    auto held = viewer.incoming->pop(std::chrono::seconds(5));
    ASSERT_TRUE(held.has_value()) << held.error().message;
    std::vector<shm::FrameDescriptor> releasing{held->frame};
    set_state(client, "camera.capture", "PAUSE");
    while (auto late = viewer.incoming->try_pop()) releasing.push_back(late->frame);  // delivered before it
    ASSERT_EQ(held_by_clients(client), releasing.size()) << "the viewer holds what it took, nothing else";

    const shm::RingSyscalls before = viewer.outgoing->syscalls();
    for (const auto& frame : releasing) ASSERT_NO_FATAL_FAILURE(release_quietly(*viewer.outgoing, frame));
    // The drain thread's schedule takes them within kReleaseBound; the limit only ends a hang.
    ASSERT_TRUE(taken_within(*viewer.outgoing, std::chrono::seconds(5)))
        << "releases after the streaming thread stopped were never taken";
    EXPECT_EQ((viewer.outgoing->syscalls() - before).producer_wakes, 0u)
        << "the client had to wake ksimd: its drain thread did not take over from the ticks";
    EXPECT_EQ(held_by_clients(client), 0u) << "every frame released must be back in its pool";
}

}  // namespace
}  // namespace ksim::test
