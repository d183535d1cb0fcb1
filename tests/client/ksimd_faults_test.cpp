// The client-facing faults against the real ksimd and libksim (docs/config.md, "Faults"): what a
// client process sees when its session is cut by disconnect_client, and when its sink's releases
// are stalled by stall_releases. The exact timing of both is checked on a fake clock in
// tests/daemon_core/kernel_faults_test.cpp; here the whole path runs (kernel event, server, socket).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "ksim/client/client.hpp"
#include "ksim/client/stream.hpp"
#include "ksim/proto/memory_types.hpp"
#include "ksimd_fixture.hpp"

namespace ksim::client {
namespace {

using namespace std::chrono_literals;

// A wait that ends because the session closed returns Disconnected; one that ran out (the close
// never came) returns Timeout, so a regression fails instead of hanging.
constexpr auto kCloseWait = std::chrono::seconds(10);

class KsimdFaultsTest : public test::KsimdFixture {
protected:
    void SetUp() override {
        char path[] = "/tmp/ksim-faults-test-XXXXXX";
        ASSERT_NE(::mkdtemp(path), nullptr);
        dir_ = path;
    }
    void TearDown() override {
        KsimdFixture::TearDown();
        std::filesystem::remove_all(dir_);
    }
    // user-source-sink.json (app.output -> viewer.input, both hosted by a client) with `fault`.
    void start_with_fault(const nlohmann::json& fault) {
        std::ifstream in(kUserSourceSink);
        nlohmann::json config = nlohmann::json::parse(in);
        config["faults"] = nlohmann::json::array({fault});
        const auto path = dir_ / "faulty.json";
        std::ofstream(path) << config.dump(2);
        start(path.string());
    }
    // Commits a pool of 2 user frames; one client hosts both pins, streams open, RUN.
    void start_pipe() {
        {
            Client gm = connect(wire::Role::GraphManager);
            wire::CommitRequest c;
            c.connections = {{kApp, kViewer}};
            c.decision = {wire::AllocatorKind::User, kViewer, proto::memory_type::kUser, 4096, 2, 0};
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
    // One frame from the source to the sink and back.
    void send_one() {
        auto w = source_->acquire_frame(5s);
        ASSERT_TRUE(w) << w.error().message;
        ASSERT_TRUE(w->submit(16));
        auto f = sink_->next_frame(5s);
        ASSERT_TRUE(f) << f.error().message;
        ASSERT_TRUE(f->release());
    }
    proto::PinState state_of(Client& c, const proto::PinRef& pin) {
        auto filters = c.list();
        EXPECT_TRUE(filters) << filters.error().message;
        for (const auto& f : filters.value_or(std::vector<wire::FilterInfo>{}))
            for (const auto& p : f.pins)
                if (f.id == pin.filter && p.id == pin.pin) return p.state;
        ADD_FAILURE() << "no pin " << pin.to_string();
        return proto::PinState::Stop;
    }

    std::filesystem::path dir_;
    std::optional<Client> client_;
    std::unique_ptr<Stream> source_, sink_;
};

TEST_F(KsimdFaultsTest, DisconnectClient_AfterTheNthFrame_TheClientSeesDisconnectedAndItsPinsStop) {
    start_with_fault({{"kind", "disconnect_client"}, {"pin", "viewer.input"}, {"frames", 3}});
    start_pipe();
    send_one();
    send_one();
    // The third frame is the last: ksimd closes the session right after delivering it. The sink
    // may still read it from its ring; the wait after it returns because the session ended.
    auto w = source_->acquire_frame(5s);
    ASSERT_TRUE(w) << w.error().message;
    ASSERT_TRUE(w->submit(16));
    Result<FrameView> next = sink_->next_frame(kCloseWait);
    if (next) next = sink_->next_frame(kCloseWait);
    ASSERT_FALSE(next);
    EXPECT_EQ(next.error().code, Errc::Disconnected) << next.error().message;
    EXPECT_FALSE(client_->connection().connected());

    // As if the client had died: its pins are back in STOP, every frame is home.
    Client observer = connect(wire::Role::Client, "observer");
    EXPECT_EQ(state_of(observer, kViewer), proto::PinState::Stop);
    EXPECT_EQ(state_of(observer, kApp), proto::PinState::Stop);
    auto ledger = observer.ledger();
    ASSERT_TRUE(ledger);
    EXPECT_TRUE(ledger->empty());
    auto stats = observer.statistics(kViewer);
    ASSERT_TRUE(stats);
    EXPECT_EQ(stats->completed, 3u);  // exactly three frames crossed the pin
    EXPECT_NE(
        daemon_->log().find("closed: fault disconnect_client at /faults/0: 3 frame(s) crossed viewer.input"),
        std::string::npos)
        << daemon_->log();

    // The fault fires once: a client that comes back streams on.
    source_.reset();
    sink_.reset();
    client_.reset();
    start_pipe();
    for (int i = 0; i < 4; ++i) send_one();
}

TEST_F(KsimdFaultsTest, StallReleases_ReleasedFramesStayWithThePinAndTheSourceWaitsForAFreeOne) {
    start_with_fault({{"kind", "stall_releases"}, {"pin", "viewer.input"}, {"microseconds", 1'000'000}});
    start_pipe();
    const auto stall_started = std::chrono::steady_clock::now();
    send_one();  // its release starts the stall
    send_one();
    // Both frames of the pool were released, and both are held by the sink pin, not the client.
    Client observer = connect(wire::Role::Client, "observer");
    auto ledger = observer.ledger();
    ASSERT_TRUE(ledger);
    ASSERT_EQ(ledger->size(), 2u);
    for (const auto& e : *ledger) {
        EXPECT_EQ(e.owner, 0u);  // ksimd
        EXPECT_EQ(e.holder, "viewer.input");
    }
    // The source waits for a free frame until the stall ends and both come back.
    auto w = source_->acquire_frame(5s);
    ASSERT_TRUE(w) << w.error().message;
    EXPECT_GE(std::chrono::steady_clock::now() - stall_started, 1s);
    ASSERT_TRUE(w->submit(16));
    auto f = sink_->next_frame(5s);
    ASSERT_TRUE(f) << f.error().message;
    ASSERT_TRUE(f->release());
    EXPECT_NE(daemon_->log().find("viewer/input: releases stalled for 1000000 us"), std::string::npos)
        << daemon_->log();
    EXPECT_NE(daemon_->log().find("2 frame(s) returned to the pool at once"), std::string::npos)
        << daemon_->log();
}

}  // namespace
}  // namespace ksim::client
