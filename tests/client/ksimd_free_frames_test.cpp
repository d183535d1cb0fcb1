// The free-frame ring against the real ksimd binary: a source client pops free frames that the
// daemon posts on a ring (no acquire_frame request per frame), and every pre-acquired frame goes
// back to its pool when the source pin stops or the client dies.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "ksim/client/client.hpp"
#include "ksim/client/stream.hpp"
#include "ksim/proto/memory_types.hpp"
#include "ksimd_fixture.hpp"

namespace ksim::client {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kFrame = 4096;

class KsimdFreeFramesTest : public test::KsimdFixture {
protected:
    Client connect(wire::Role role = wire::Role::Client) {
        return KsimdFixture::connect(role, "ksimd-free-frames");
    }
    void commit_pool(std::uint32_t frames) {
        Client gm = connect(wire::Role::GraphManager);
        wire::CommitRequest c;
        c.connections = {{kApp, kViewer}};
        c.decision = {wire::AllocatorKind::User, kViewer, proto::memory_type::kUser, kFrame, frames, 0};
        auto r = gm.commit(c);
        ASSERT_TRUE(r) << r.error().message << "\n" << daemon_->log();
    }
    // Ledger entries (frames out of their pool) once they stop changing towards `want`, or
    // whatever is there at the deadline: releases travel asynchronously on rings.
    std::size_t ledger_size_reaching(Client& c, std::size_t want) {
        std::size_t n = 0;
        for (auto deadline = Clock::now() + 5s; Clock::now() < deadline;) {
            auto entries = c.ledger();
            EXPECT_TRUE(entries) << entries.error().message;
            n = entries ? entries->size() : 0;
            if (n == want) break;
        }
        return n;
    }
};

TEST_F(KsimdFreeFramesTest, Producer_GetsEveryFrameFromTheRingWithoutOneAcquireRequest) {
    start(kUserSourceSink);
    commit_pool(4);
    Client c = connect();
    for (const auto& p : {kApp, kViewer}) ASSERT_TRUE(c.set_state(p, proto::PinState::Acquire));
    auto source = c.open_stream(kApp);
    auto sink = c.open_stream(kViewer);
    ASSERT_TRUE(source && sink);
    ASSERT_TRUE((*source)->uses_free_frame_ring());
    for (const auto& p : {kViewer, kApp}) ASSERT_TRUE(c.set_state(p, proto::PinState::Run));

    constexpr int kFrames = 200;
    for (int i = 1; i <= kFrames; ++i) {
        auto w = (*source)->acquire_frame(5s);
        ASSERT_TRUE(w) << "frame " << i << ": " << w.error().message << "\n" << daemon_->log();
        w->bytes()[0] = static_cast<std::byte>(i);
        w->header().picture_number = i;
        ASSERT_TRUE(w->submit(64));
        auto f = (*sink)->next_frame(5s);
        ASSERT_TRUE(f) << f.error().message;
        EXPECT_EQ(f->header().picture_number, i);
        EXPECT_EQ(f->bytes()[0], static_cast<std::byte>(i));
    }
    EXPECT_EQ(c.connection().requests_sent(wire::MessageType::AcquireFrame), 0u)
        << "free frames must come from the ring, not from acquire_frame requests";
    EXPECT_EQ(c.connection().requests_sent(wire::MessageType::SubmitFrame), 0u);
    auto stats = c.statistics(kViewer);
    ASSERT_TRUE(stats);
    EXPECT_EQ(stats->completed, static_cast<std::uint64_t>(kFrames));
    EXPECT_EQ(stats->dropped, 0u);
}

TEST_F(KsimdFreeFramesTest, StoppingTheSource_ReturnsEveryPreAcquiredFrameToThePool) {
    start(kUserSourceSink);
    commit_pool(4);
    Client c = connect();
    for (const auto& p : {kApp, kViewer}) ASSERT_TRUE(c.set_state(p, proto::PinState::Acquire));
    auto source = c.open_stream(kApp);
    ASSERT_TRUE(source);
    ASSERT_TRUE((*source)->uses_free_frame_ring());
    // Pre-acquired: frames - 1 = 3 sit in the ring, recorded as held by this client.
    EXPECT_EQ(ledger_size_reaching(c, 3), 3u);
    auto held = c.allocator_status(kApp);
    ASSERT_TRUE(held);
    EXPECT_EQ(held->allocated_frames, 3u);

    // The sink stays in ACQUIRE, so the pool lives on: what STOP returns must really be back.
    ASSERT_TRUE(c.set_state(kApp, proto::PinState::Stop));
    EXPECT_EQ(ledger_size_reaching(c, 0), 0u) << "STOP must take back what the client never popped";
    auto after = c.allocator_status(kViewer);
    ASSERT_TRUE(after) << after.error().message;
    EXPECT_EQ(after->allocated_frames, 0u);
}

TEST_F(KsimdFreeFramesTest, AClientKilledWithFramesInItsRing_LeavesTheLedgerEmpty) {
    start(kUserSourceSink);
    commit_pool(4);
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    if (child == 0) {
        // The doomed producer: opens the source, takes one frame, then waits to be killed.
        ::close(ready[0]);
        ConnectOptions o;
        o.socket_path = daemon_->socket_path();
        o.name = "doomed-producer";
        auto p = Client::connect(o);
        if (!p || !p->set_state(kApp, proto::PinState::Acquire)) ::_exit(2);
        auto stream = p->open_stream(kApp);
        if (!stream || !(*stream)->uses_free_frame_ring()) ::_exit(3);
        auto w = (*stream)->acquire_frame(5s);
        if (!w) ::_exit(4);
        const char byte = 1;
        if (::write(ready[1], &byte, 1) != 1) ::_exit(5);
        for (;;) ::pause();
    }
    ::close(ready[1]);
    pollfd pfd{ready[0], POLLIN, 0};
    ASSERT_EQ(::poll(&pfd, 1, 10000), 1) << "the producer child did not get ready\n" << daemon_->log();
    ::close(ready[0]);

    Client c = connect();
    ASSERT_TRUE(c.set_state(kViewer, proto::PinState::Acquire));  // keeps the pool alive
    // One frame in the child's hand and two more still posted in its ring (depth 3; a pop
    // alone does not top the ring up, a submit or a free does).
    EXPECT_EQ(ledger_size_reaching(c, 3), 3u);
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(ledger_size_reaching(c, 0), 0u) << "the dead client's frames must all be reclaimed";
    auto st = c.allocator_status(kViewer);
    ASSERT_TRUE(st) << st.error().message;
    EXPECT_EQ(st->allocated_frames, 0u);
}

}  // namespace
}  // namespace ksim::client
