// libksim against the real ksimd binary (one daemon per test, demo config): handshake, list,
// properties, specific errors, and the data path — frames as RAII views that go back to the
// pool when destroyed, over a mapping the OS keeps read-only.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>

#include "ksim/client/client.hpp"
#include "ksim/client/stream.hpp"
#include "ksim/proto/memory_types.hpp"
#include "ksimd_fixture.hpp"

namespace ksim::client {
namespace {

using namespace std::chrono_literals;
using test::KsimdProcess;

class KsimdClientTest : public test::KsimdFixture {
protected:
    void SetUp() override { start(kDemoConfig); }

    // What ksim-graphmgr would commit for the demo: a user-mode pool both ends can live with.
    void commit_demo_pipe() {
        Client gm = connect(wire::Role::GraphManager);
        wire::CommitRequest commit;
        commit.connections = {{kCamera, kViewer}};
        commit.decision = {
            wire::AllocatorKind::User, kViewer, proto::memory_type::kUser, kDemoFrameSize, 2, 0};
        auto r = gm.commit(commit);
        ASSERT_TRUE(r) << r.error().message;
    }

    // Commits, opens the viewer's stream and runs the pipe.
    std::unique_ptr<Stream> open_running_stream(Client& client) {
        commit_demo_pipe();
        auto acquired = client.set_state(kViewer, proto::PinState::Acquire);
        EXPECT_TRUE(acquired) << acquired.error().message;
        auto stream = client.open_stream(kViewer);
        EXPECT_TRUE(stream) << stream.error().message;
        if (!stream) return nullptr;
        for (const auto& pin : {kCamera, kViewer}) {
            auto run = client.set_state(pin, proto::PinState::Run);
            EXPECT_TRUE(run) << pin.to_string() << ": " << run.error().message;
        }
        return std::move(*stream);
    }
};

TEST_F(KsimdClientTest, Connect_HandshakeGivesAClientIdAndTheDaemonVersion) {
    Client c = connect();
    EXPECT_GT(c.connection().client_id(), 0u);
    EXPECT_FALSE(c.connection().daemon_version().empty());
    EXPECT_EQ(c.connection().socket_path(), daemon_->socket_path());
}

TEST_F(KsimdClientTest, List_ShowsTheConfiguredFiltersAndPins) {
    Client c = connect();
    auto filters = c.list();
    ASSERT_TRUE(filters) << filters.error().message;
    std::set<std::string> pins;
    for (const auto& f : *filters)
        for (const auto& p : f.pins) {
            pins.insert(f.id + "." + p.id);
            EXPECT_EQ(p.state, proto::PinState::Stop);
        }
    EXPECT_EQ(pins, (std::set<std::string>{"camera.capture", "viewer.input"}));
}

TEST_F(KsimdClientTest, Props_FramingExIsTheFramingTheCameraDeclares) {
    Client c = connect();
    auto framing = c.allocator_framing_ex(kCamera);
    ASSERT_TRUE(framing) << framing.error().message;
    ASSERT_EQ(framing->items.size(), 1u);
    const auto& item = framing->items[0];
    EXPECT_EQ(item.memory_type, proto::memory_type::kKernelNonPaged);
    EXPECT_EQ(item.frames, 2u);
    EXPECT_EQ(item.framing_range.range.min_frame_size, kDemoFrameSize);
    EXPECT_EQ(item.framing_range.range.max_frame_size, kDemoFrameSize);
}

TEST_F(KsimdClientTest, Props_UnknownPinIsNotFound) {
    Client c = connect();
    auto framing = c.allocator_framing_ex({"camera", "nope"});
    ASSERT_FALSE(framing);
    EXPECT_EQ(framing.error().code, Errc::NotFound);
}

TEST_F(KsimdClientTest, Commit_FromAPlainClientIsPermissionDenied) {
    Client c = connect();
    wire::CommitRequest commit;
    commit.connections = {{kCamera, kViewer}};
    commit.decision = {wire::AllocatorKind::User, kViewer, proto::memory_type::kUser, kDemoFrameSize, 2, 0};
    auto r = c.commit(commit);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::PermissionDenied);
}

TEST_F(KsimdClientTest, OpenStream_BeforeAnyCommitIsNotCommitted) {
    Client c = connect();
    auto stream = c.open_stream(kViewer);
    ASSERT_FALSE(stream);
    EXPECT_EQ(stream.error().code, Errc::NotCommitted) << stream.error().message;
}

TEST_F(KsimdClientTest, Stream_FramesArriveInOrderWithTheirHeaders) {
    Client c = connect();
    auto stream = open_running_stream(c);
    ASSERT_TRUE(stream);
    EXPECT_EQ(stream->frame_size(), kDemoFrameSize);
    EXPECT_FALSE(stream->writable());
    std::int64_t last_time = -1;
    for (int i = 0; i < 3; ++i) {
        auto frame = stream->next_frame(5s);
        ASSERT_TRUE(frame) << frame.error().message << "\n" << daemon_->log();
        EXPECT_EQ(frame->bytes().size(), kDemoFrameSize);
        EXPECT_GT(frame->header().presentation_time.time, last_time);
        last_time = frame->header().presentation_time.time;
    }
}

TEST_F(KsimdClientTest, Stream_FrameViewReturnsItsFrameWhenDestroyed) {
    Client c = connect();
    auto stream = open_running_stream(c);
    ASSERT_TRUE(stream);
    const ClientId me = c.connection().client_id();
    auto held_by_me = [&](const shm::FrameDescriptor& d) {
        auto entries = c.ledger();
        EXPECT_TRUE(entries) << entries.error().message;
        for (const auto& e : entries.value_or(std::vector<wire::LedgerEntry>{}))
            if (e.owner == me && e.frame.region == d.region && e.frame.index == d.index &&
                e.frame.generation == d.generation)
                return true;
        return false;
    };
    shm::FrameDescriptor d;
    {
        auto frame = stream->next_frame(5s);
        ASSERT_TRUE(frame) << frame.error().message;
        d = frame->descriptor();
        EXPECT_TRUE(held_by_me(d)) << "the ledger must show the frame held by this client";
    }
    // The release travels asynchronously (ring or socket); wait for the ledger to show it.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    bool still_held = true;
    while (still_held && std::chrono::steady_clock::now() < deadline) still_held = held_by_me(d);
    EXPECT_FALSE(still_held) << "destroying the view must return the frame";
}

TEST_F(KsimdClientTest, Stream_ConsumerMappingIsReadOnlyEnforcedByTheOs) {
    Client c = connect();
    auto stream = open_running_stream(c);
    ASSERT_TRUE(stream);
    auto frame = stream->next_frame(5s);
    ASSERT_TRUE(frame) << frame.error().message;
    const std::byte first = frame->bytes()[0];
    pid_t child = ::fork();
    if (child == 0) {
        // Undo any sanitizer handler so the fault kills the child with the signal itself.
        ::signal(SIGSEGV, SIG_DFL);
        ::signal(SIGBUS, SIG_DFL);
        auto* p = const_cast<volatile std::byte*>(frame->bytes().data());
        *p = ~first;  // must fault: the pages are mapped PROT_READ from a read-only descriptor
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the write through a consumer mapping succeeded";
    EXPECT_TRUE(WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS) << WTERMSIG(status);
    EXPECT_EQ(frame->bytes()[0], first);
}

TEST(KsimdClient_Absent, ConnectFailsWithCannotConnectAndThePath) {
    ConnectOptions o;
    o.socket_path = "/nonexistent-ksim-dir/ksimd.sock";
    auto c = Client::connect(o);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::Disconnected);
    EXPECT_NE(c.error().message.find("cannot connect to ksimd at /nonexistent-ksim-dir/ksimd.sock"),
              std::string::npos)
        << c.error().message;
}

// The user-source example's topology: a client-hosted source feeding a kernel sink.
TEST(KsimdUserSource, SubmittedFramesReachTheKernelSink) {
    const auto before = test::dev_shm_entries();
    auto daemon =
        std::make_unique<test::KsimdProcess>(std::string(KSIM_EXAMPLES_DIR) + "/user-source-demo.json");
    ASSERT_TRUE(daemon->ready()) << daemon->log();
    const proto::PinRef source{"app", "output"}, sink{"sink", "input"};
    constexpr std::uint32_t kFrameSize = 320 * 240 * 3;
    ConnectOptions o;
    o.socket_path = daemon->socket_path();
    {
        o.role = wire::Role::GraphManager;
        auto gm = Client::connect(o);
        ASSERT_TRUE(gm) << gm.error().message;
        wire::CommitRequest commit;
        commit.connections = {{source, sink}};
        commit.decision = {wire::AllocatorKind::User, source, proto::memory_type::kUser, kFrameSize, 4, 0};
        auto r = gm->commit(commit);
        ASSERT_TRUE(r) << r.error().message;
    }
    o.role = wire::Role::Client;
    auto client = Client::connect(o);
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->wait_until_committed(source, 5s));
    ASSERT_TRUE(client->set_state(source, proto::PinState::Acquire));
    auto stream = client->open_stream(source);
    ASSERT_TRUE(stream) << stream.error().message;
    EXPECT_TRUE((*stream)->writable());
    for (const auto& p : {sink, source}) ASSERT_TRUE(client->set_state(p, proto::PinState::Run));

    constexpr int kFrames = 3;
    for (int n = 0; n < kFrames; ++n) {
        auto frame = (*stream)->acquire_frame(5s);
        ASSERT_TRUE(frame) << frame.error().message << "\n" << daemon->log();
        ASSERT_EQ(frame->bytes().size(), kFrameSize);
        std::ranges::fill(frame->bytes(), static_cast<std::byte>(n));
        ASSERT_TRUE(frame->submit(kFrameSize));
        EXPECT_FALSE(frame->valid()) << "a submitted frame is no longer ours";
    }
    // Submissions travel on the to_daemon ring, which the daemon drains on its own thread: poll
    // the sink's statistics (each poll is a round trip to ksimd) until it has counted them all.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    wire::PinStatistics stats;
    while (stats.completed < kFrames && std::chrono::steady_clock::now() < deadline) {
        auto polled = client->statistics(sink);
        ASSERT_TRUE(polled) << polled.error().message;
        stats = *polled;
    }
    EXPECT_EQ(stats.completed, static_cast<std::uint64_t>(kFrames)) << "each submitted frame arrives once\n"
                                                                    << daemon->log();
    EXPECT_EQ(stats.dropped, 0u);

    stream->reset();
    auto status = daemon->stop();
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << daemon->log();
    daemon.reset();
    EXPECT_EQ(test::dev_shm_entries(), before);
}

}  // namespace
}  // namespace ksim::client
