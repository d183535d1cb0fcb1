// A client of the real ksimd notices at once that the daemon died: ksimd is SIGKILLed while the
// client waits for a frame (a sink's next_frame) or for a free frame (a source whose pool is
// exhausted). Each wait is given an hour, so returning Disconnected ("ksimd closed the
// connection") means it returned because of the death; a regression hangs until the test's
// timeout.
#include <gtest/gtest.h>

#include <future>
#include <vector>

#include "ksim/client/client.hpp"
#include "ksim/client/stream.hpp"
#include "ksim/proto/memory_types.hpp"
#include "ksimd_fixture.hpp"

namespace ksim::client {
namespace {

using namespace std::chrono_literals;

constexpr auto kAnHour = std::chrono::hours(1);

class KsimdDisconnectTest : public test::KsimdFixture {
protected:
    // app.output -> viewer.input committed with a pool of `frames` small user frames; both pins
    // at ACQUIRE with their streams open, then RUN.
    void start_pipe(std::uint32_t frames) {
        start(kUserSourceSink);
        {
            Client gm = connect(wire::Role::GraphManager);
            wire::CommitRequest c;
            c.connections = {{kApp, kViewer}};
            c.decision = {wire::AllocatorKind::User, kViewer, proto::memory_type::kUser, 4096, frames, 0};
            auto r = gm.commit(c);
            ASSERT_TRUE(r) << r.error().message << "\n" << daemon_->log();
        }
        client_.emplace(connect());
        for (const auto& p : {kApp, kViewer}) ASSERT_TRUE(client_->set_state(p, proto::PinState::Acquire));
        auto source = client_->open_stream(kApp);
        auto sink = client_->open_stream(kViewer);
        ASSERT_TRUE(source && sink);
        source_ = std::move(*source);
        sink_ = std::move(*sink);
        for (const auto& p : {kViewer, kApp}) ASSERT_TRUE(client_->set_state(p, proto::PinState::Run));
    }
    static void expect_daemon_closed(const Error& e) {
        EXPECT_EQ(e.code, Errc::Disconnected) << e.message;
        EXPECT_EQ(e.message, "ksimd closed the connection");
    }

    std::optional<Client> client_;
    std::unique_ptr<Stream> source_, sink_;
};

TEST_F(KsimdDisconnectTest, NextFrame_WaitingWhenKsimdIsKilled_ReturnsDisconnected) {
    start_pipe(2);
    ASSERT_TRUE(sink_->uses_rings());
    std::promise<void> waiting;
    auto frame = std::async(std::launch::async, [&] {
        waiting.set_value();
        return sink_->next_frame(kAnHour);  // the source never submits: nothing will come
    });
    waiting.get_future().wait();
    kill_daemon();
    auto result = frame.get();
    ASSERT_FALSE(result);
    expect_daemon_closed(result.error());
    EXPECT_FALSE(client_->connection().connected());
}

TEST_F(KsimdDisconnectTest, AcquireFrame_WaitingForAFreeFrameWhenKsimdIsKilled_ReturnsDisconnected) {
    start_pipe(2);
    ASSERT_TRUE(source_->uses_free_frame_ring());
    std::vector<WritableFrame> held;  // the whole pool: the next acquire must wait
    for (int i = 0; i < 2; ++i) {
        auto w = source_->acquire_frame(5s);
        ASSERT_TRUE(w) << w.error().message;
        held.push_back(std::move(*w));
    }
    std::promise<void> waiting;
    auto frame = std::async(std::launch::async, [&] {
        waiting.set_value();
        return source_->acquire_frame(kAnHour);
    });
    waiting.get_future().wait();
    kill_daemon();
    auto result = frame.get();
    ASSERT_FALSE(result);
    expect_daemon_closed(result.error());
    // A frame held across the death cannot be submitted either, and says why.
    auto submitted = held.front().submit(16);
    ASSERT_FALSE(submitted);
    expect_daemon_closed(submitted.error());
}

}  // namespace
}  // namespace ksim::client
