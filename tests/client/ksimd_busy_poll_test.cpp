// Busy-poll mode end to end (docs/memory.md, "Busy-poll mode"): a real ksimd started with
// --busy-poll-drain and a user source -> user sink connection whose two libksim streams poll
// (StreamOptions::busy_poll). Every frame arrives in order and goes back to the pool, neither
// side of a polled ring sleeps for it, closing the session ends the client's polling waits at
// once (not at their timeout) and ksimd's polling drain thread with it, and `ksimctl status`
// reports the daemon's setting and its polling drains.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "ksim/client/client.hpp"
#include "ksim/client/stream.hpp"
#include "ksim/proto/memory_types.hpp"
#include "ksimctl_run.hpp"
#include "ksimd_fixture.hpp"

namespace ksim::client::busy_poll_test {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kSmallFrame = 4096;
constexpr std::uint32_t kPoolFrames = 2;  // user-source-sink.json's pool
constexpr std::uint64_t kFrames = 500;
const StreamOptions kBusyPoll{.busy_poll = true};

class KsimdBusyPollTest : public test::KsimdFixture {
protected:
    Client connect(wire::Role role = wire::Role::Client) {
        return KsimdFixture::connect(role, "ksimd-busy-poll-test");
    }
    void commit_pair() {
        Client gm = connect(wire::Role::GraphManager);
        wire::CommitRequest c;
        c.connections = {{kApp, kViewer}};
        c.decision = {
            wire::AllocatorKind::User, kViewer, proto::memory_type::kUser, kSmallFrame, kPoolFrames, 0};
        auto r = gm.commit(c);
        ASSERT_TRUE(r) << r.error().message << "\n" << daemon_->log();
    }
    void set(Client& c, const proto::PinRef& pin, proto::PinState s) {
        auto r = c.set_state(pin, s);
        ASSERT_TRUE(r) << pin.to_string() << ": " << r.error().message;
    }
    // Both pins hosted by `c` in RUN, their streams opened with `options`.
    void open_pair(Client& c, const StreamOptions& options, std::unique_ptr<Stream>& source,
                   std::unique_ptr<Stream>& sink) {
        set(c, kApp, proto::PinState::Acquire);
        set(c, kViewer, proto::PinState::Acquire);
        auto src = c.open_stream(kApp, options);
        auto snk = c.open_stream(kViewer, options);
        ASSERT_TRUE(src) << src.error().message;
        ASSERT_TRUE(snk) << snk.error().message;
        source = std::move(*src);
        sink = std::move(*snk);
        set(c, kViewer, proto::PinState::Run);
        set(c, kApp, proto::PinState::Run);
    }
    nlohmann::json status_json() {
        const auto r =
            test::ksimctl(daemon_->dir(), {"status", "--json", "--socket", daemon_->socket_path()});
        EXPECT_EQ(r.exit_code, 0) << r.output;
        return nlohmann::json::parse(r.output, nullptr, false);
    }
    std::string status_text() {
        const auto r = test::ksimctl(daemon_->dir(), {"status", "--socket", daemon_->socket_path()});
        EXPECT_EQ(r.exit_code, 0) << r.output;
        return r.output;
    }
};

// Waits for ksimd's client_gone for `id` on `observer` (subscribed): by then ksimd has joined
// that client's drain threads and reclaimed its frames.
bool wait_client_gone(Client& observer, ClientId id) {
    for (;;) {
        auto e = observer.connection().next_event(20s);
        if (!e) return false;
        if (e->type == wire::MessageType::ClientGone && e->body.value("client_id", ClientId{0}) == id)
            return true;
    }
}

TEST_F(KsimdBusyPollTest, PollingStreams_DeliverEveryFrameInOrder_ReturnEveryFrame_AndStopPollingOnClose) {
    start(kUserSourceSink, {"--busy-poll-drain"});
    commit_pair();
    Client observer = connect();
    ASSERT_TRUE(observer.connection().subscribe());
    Client c = connect();
    const ClientId id = c.connection().client_id();
    std::unique_ptr<Stream> source, sink;
    open_pair(c, kBusyPoll, source, sink);
    ASSERT_TRUE(source->options().busy_poll && sink->options().busy_poll);

    // The setting, and one polling drain: the source stream's (a sink's drain keeps its lazy release).
    auto status = status_json();
    EXPECT_EQ(status["busy_poll_drain"], true) << status.dump(2);
    EXPECT_EQ(status["busy_poll_drains"], 1) << status.dump(2);
    EXPECT_NE(status_text().find("busy-poll drain: on (1 source stream drain threads"), std::string::npos);

    // A producer thread streams numbered frames as fast as the 2-frame pool lets it; this
    // thread takes them. 500 frames through 2 can only pass if each frame keeps coming back to
    // the pool (the ledger shows the pool whole once the session is closed, below).
    const auto sink_before = sink->ring_syscalls();
    const auto source_before = source->ring_syscalls();
    std::promise<std::string> produced;
    std::jthread producer([&] {
        for (std::uint64_t n = 0; n < kFrames; ++n) {
            auto w = source->acquire_frame(10s);
            if (!w) return produced.set_value("acquire " + std::to_string(n) + ": " + w.error().message);
            std::memcpy(w->bytes().data(), &n, sizeof n);
            if (auto r = w->submit(sizeof n); !r)
                return produced.set_value("submit " + std::to_string(n) + ": " + r.error().message);
        }
        produced.set_value("");
    });
    for (std::uint64_t n = 0; n < kFrames; ++n) {
        auto f = sink->next_frame(10s);
        ASSERT_TRUE(f) << "frame " << n << ": " << f.error().message;
        ASSERT_EQ(f->bytes().size(), sizeof n);
        std::uint64_t got = 0;
        std::memcpy(&got, f->bytes().data(), sizeof got);
        ASSERT_EQ(got, n) << "frames out of order or lost";
    }  // each frame goes back to the pool as its view goes
    producer.join();
    EXPECT_EQ(produced.get_future().get(), "");

    // Polled waits never sleep, so nobody has to wake them: the viewer's next_frame and the
    // source's free-frame acquire made no sleep; ksimd's drain of the submissions polled
    // instead of sleeping per frame (it sleeps only after 1 s without one).
    const auto sink_after = sink->ring_syscalls();
    const auto source_after = source->ring_syscalls();
    EXPECT_EQ((sink_after.to_client - sink_before.to_client).consumer_sleeps, 0u);
    EXPECT_EQ((sink_after.to_client - sink_before.to_client).producer_wakes, 0u);
    EXPECT_EQ((source_after.free_frames - source_before.free_frames).consumer_sleeps, 0u);
    EXPECT_LT((source_after.to_daemon - source_before.to_daemon).consumer_sleeps, kFrames / 10)
        << "ksimd's drain slept for the submissions instead of polling";

    // Two waits poll now: the viewer for a frame that does not come, the source for a free frame
    // of a pool the viewer holds whole. Closing the session ends both at once with Disconnected,
    // not at their 60 s timeout.
    std::vector<FrameView> held;
    for (std::uint32_t i = 0; i < kPoolFrames; ++i) {
        auto w = source->acquire_frame(10s);
        ASSERT_TRUE(w) << w.error().message;
        ASSERT_TRUE(w->submit(8));
        auto f = sink->next_frame(10s);
        ASSERT_TRUE(f) << f.error().message;
        held.push_back(std::move(*f));
    }
    std::promise<void> waiting[2];
    auto frame_wait = std::async(std::launch::async, [&] {
        waiting[0].set_value();
        auto f = sink->next_frame(60s);
        return f ? Errc{} : f.error().code;
    });
    auto acquire_wait = std::async(std::launch::async, [&] {
        waiting[1].set_value();
        auto w = source->acquire_frame(60s);
        return w ? Errc{} : w.error().code;
    });
    for (auto& w : waiting) w.get_future().wait();
    c.connection().close();
    EXPECT_EQ(frame_wait.get(), Errc::Disconnected);
    EXPECT_EQ(acquire_wait.get(), Errc::Disconnected);

    // ksimd's side: the client's drain threads are joined before its client_gone; none polls
    // any more, and every frame is back in the pool.
    ASSERT_TRUE(wait_client_gone(observer, id)) << daemon_->log();
    status = status_json();
    EXPECT_EQ(status["busy_poll_drain"], true) << status.dump(2);
    EXPECT_EQ(status["busy_poll_drains"], 0) << status.dump(2);
    auto after = observer.ledger();
    ASSERT_TRUE(after) << after.error().message;
    EXPECT_TRUE(after->empty()) << after->size() << " frames outside the pool after the close";
    held.clear();
}

// Without the daemon option a client's busy_poll is only the client's: status says off and no
// drain thread of ksimd polls.
TEST_F(KsimdBusyPollTest, WithoutTheDaemonOption_StatusSaysOff_EvenWithAPollingStreamOpen) {
    start(kUserSourceSink);
    commit_pair();
    Client c = connect();
    std::unique_ptr<Stream> source, sink;
    open_pair(c, kBusyPoll, source, sink);
    const auto status = status_json();
    EXPECT_EQ(status["busy_poll_drain"], false) << status.dump(2);
    EXPECT_EQ(status["busy_poll_drains"], 0) << status.dump(2);
    EXPECT_NE(status_text().find("busy-poll drain: off"), std::string::npos);
}

}  // namespace
}  // namespace ksim::client::busy_poll_test
