// A reconnecting Client (ConnectOptions::reconnect) outlives its ksimd: ksimd is SIGKILLed
// mid-stream and restarted on the same socket; the client's next frame call reconnects, redoes
// its set-up (states, streams) once the graph manager — here the test — has committed again, and
// frames flow again through the new pool. The gap is reported once; a frame view held across the
// gap stays readable but goes back to no pool. Without a daemon to come back, the client gives
// up after give_up_after and says so.
#include <gtest/gtest.h>

#include <cstring>
#include <future>
#include <vector>

#include "ksim/client/client.hpp"
#include "ksim/client/stream.hpp"
#include "ksim/proto/memory_types.hpp"
#include "ksimd_fixture.hpp"

namespace ksim::client {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kPoolFrames = 4;

class KsimdReconnectTest : public test::KsimdFixture {
protected:
    // app.output -> viewer.input with a pool of small user frames, as the graph manager would.
    void commit_pipe() {
        Client gm = connect(wire::Role::GraphManager, "test-graph-manager");
        wire::CommitRequest c;
        c.connections = {{kApp, kViewer}};
        c.decision = {wire::AllocatorKind::User, kViewer, proto::memory_type::kUser, 4096, kPoolFrames, 0};
        auto r = gm.commit(c);
        ASSERT_TRUE(r) << r.error().message << "\n" << daemon_->log();
    }

    // The client under test: reconnecting, both ends of the pipe open and running.
    void start_pipe(ReconnectPolicy policy) {
        start(kUserSourceSink);
        commit_pipe();
        ConnectOptions o;
        o.socket_path = daemon_->socket_path();
        o.name = "reconnecting-client";
        policy.on_lost = [this](const Error& e) { lost_.push_back(e); };
        policy.on_gap = [this](const Gap& g) { gaps_.push_back(g); };
        o.reconnect = std::move(policy);
        auto c = Client::connect(o);
        ASSERT_TRUE(c) << c.error().message;
        client_.emplace(std::move(*c));
        for (const auto& p : {kApp, kViewer}) ASSERT_TRUE(client_->set_state(p, proto::PinState::Acquire));
        auto source = client_->open_stream(kApp);
        auto sink = client_->open_stream(kViewer);
        ASSERT_TRUE(source && sink);
        source_ = std::move(*source);
        sink_ = std::move(*sink);
        for (const auto& p : {kViewer, kApp}) ASSERT_TRUE(client_->set_state(p, proto::PinState::Run));
    }

    // Produces frame `number` (its first bytes carry the number) and receives it.
    Result<FrameView> pass_frame(std::uint64_t number) {
        auto w = source_->acquire_frame(5s);
        if (!w) return std::unexpected(w.error());
        std::memcpy(w->bytes().data(), &number, sizeof number);
        w->header().duration = 333'333;  // 30 frames/s, in 100 ns units
        if (auto s = w->submit(sizeof number); !s) return std::unexpected(s.error());
        return sink_->next_frame(5s);
    }
    static std::uint64_t number_in(const FrameView& f) {
        std::uint64_t n = 0;
        std::memcpy(&n, f.bytes().data(), std::min(sizeof n, f.bytes().size()));
        return n;
    }

    void TearDown() override {
        source_.reset();
        sink_.reset();
        if (client_ && daemon_ && daemon_->running())
            for (const auto& p : {kApp, kViewer}) (void)client_->set_state(p, proto::PinState::Stop);
        client_.reset();
        test::KsimdFixture::TearDown();
    }

    std::vector<Error> lost_;
    std::vector<Gap> gaps_;
    std::optional<Client> client_;
    std::unique_ptr<Stream> source_, sink_;
};

TEST_F(KsimdReconnectTest, Stream_KsimdKilledAndRestarted_ResumesAndReportsTheGap) {
    ReconnectPolicy policy;
    policy.initial_delay = 20ms;
    policy.max_delay = 200ms;
    policy.give_up_after = 20s;
    start_pipe(std::move(policy));
    auto first = pass_frame(1);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(number_in(*first), 1u);
    first->release();
    auto held = pass_frame(2);  // held across the gap
    ASSERT_TRUE(held) << held.error().message;

    kill_daemon();
    ASSERT_TRUE(daemon_->restart()) << daemon_->log();
    // The new daemon has no allocator for the pipe until the graph manager commits again; the
    // client's recovery waits for that (or finds it done).
    auto committed = std::async(std::launch::async, [this] { commit_pipe(); });

    // The first call after the loss reconnects, re-acquires, re-opens both streams, runs the pins.
    auto resumed = pass_frame(3);
    committed.get();
    ASSERT_TRUE(resumed) << resumed.error().message << "\n" << daemon_->log();
    EXPECT_EQ(number_in(*resumed), 3u) << "a frame of the old session must never reappear";
    resumed->release();
    for (std::uint64_t n = 4; n < 4 + 2 * kPoolFrames; ++n) {  // the new pool cycles: nothing leaked
        auto f = pass_frame(n);
        ASSERT_TRUE(f) << n << ": " << f.error().message;
        EXPECT_EQ(number_in(*f), n);
    }

    ASSERT_EQ(lost_.size(), 1u);
    EXPECT_EQ(lost_[0].code, Errc::Disconnected);
    EXPECT_EQ(lost_[0].message, "ksimd closed the connection");
    ASSERT_EQ(gaps_.size(), 1u);
    EXPECT_EQ(gaps_[0].cause.message, "ksimd closed the connection");
    EXPECT_GE(gaps_[0].attempts, 1u);
    EXPECT_GT(gaps_[0].duration.count(), 0);
    EXPECT_GE(gaps_[0].frames_possibly_lost, 1u) << "the held view at least";
    EXPECT_TRUE(client_->connection().connected()) << "connection() is the new session's";

    // The view from the old session is still mapped (its bytes are intact) but in no pool.
    EXPECT_EQ(number_in(*held), 2u);
    auto released = held->release();
    ASSERT_FALSE(released);
    EXPECT_EQ(released.error().code, Errc::Disconnected);
    auto state = client_->connection_state(kViewer);
    ASSERT_TRUE(state) << state.error().message;
    EXPECT_EQ(state->state, proto::PinState::Run);
}

TEST_F(KsimdReconnectTest,
       NextFrame_WaitingWhenKsimdIsKilled_ResumesOnceForEveryThreadAndDeliversTheNextFrame) {
    ReconnectPolicy policy;
    policy.initial_delay = 20ms;
    policy.max_delay = 100ms;
    policy.give_up_after = 20s;
    start_pipe(std::move(policy));
    // The sink waits (an hour) on another thread: it sees the loss at once, before ksimd is back,
    // so its first attempts find nobody listening and it keeps trying.
    std::promise<void> waiting;
    auto received = std::async(std::launch::async, [&] {
        waiting.set_value();
        return sink_->next_frame(std::chrono::hours(1));
    });
    waiting.get_future().wait();
    kill_daemon();
    ASSERT_TRUE(daemon_->restart()) << daemon_->log();
    commit_pipe();
    // The source's call finds the session lost too; it waits for the one recovery and goes on.
    auto w = source_->acquire_frame(20s);
    ASSERT_TRUE(w) << w.error().message << "\n" << daemon_->log();
    const std::uint64_t number = 7;
    std::memcpy(w->bytes().data(), &number, sizeof number);
    ASSERT_TRUE(w->submit(sizeof number));
    auto frame = received.get();
    ASSERT_TRUE(frame) << frame.error().message;
    EXPECT_EQ(number_in(*frame), number);
    EXPECT_EQ(lost_.size(), 1u);
    ASSERT_EQ(gaps_.size(), 1u) << "two threads found the loss; the session is resumed once";
    EXPECT_GE(gaps_[0].attempts, 1u);
}

TEST_F(KsimdReconnectTest, NextFrame_KsimdDoesNotComeBack_GivesUpAfterTheDeadline) {
    ReconnectPolicy policy;
    policy.initial_delay = 20ms;
    policy.max_delay = 50ms;
    policy.give_up_after = 300ms;
    start_pipe(std::move(policy));
    kill_daemon();
    const auto before = std::chrono::steady_clock::now();
    auto frame = sink_->next_frame(std::chrono::hours(1));
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error().code, Errc::Disconnected);
    EXPECT_NE(frame.error().message.find("ksimd closed the connection; gave up reconnecting after "),
              std::string::npos)
        << frame.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - before, 10s) << "gave up long after give_up_after";
    EXPECT_EQ(lost_.size(), 1u);
    EXPECT_TRUE(gaps_.empty());
    // Given up for good: later calls say so at once, without new attempts.
    auto later = client_->set_state(kViewer, proto::PinState::Stop);
    ASSERT_FALSE(later);
    EXPECT_NE(later.error().message.find("gave up reconnecting"), std::string::npos) << later.error().message;
    EXPECT_EQ(lost_.size(), 1u);
}

TEST_F(KsimdReconnectTest, NextFrame_ConnectionClosedByTheApplication_IsNotALossAndStaysClosed) {
    ReconnectPolicy policy;
    policy.initial_delay = 20ms;
    start_pipe(std::move(policy));
    client_->connection().close();
    auto frame = sink_->next_frame(std::chrono::hours(1));
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error().code, Errc::Disconnected);
    EXPECT_EQ(frame.error().message, "connection closed by this client");
    EXPECT_TRUE(lost_.empty()) << "no reconnect was attempted";
    EXPECT_FALSE(client_->connection().connected());
}

}  // namespace
}  // namespace ksim::client
