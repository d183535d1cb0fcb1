// Pin holders and the end of a session: a client that moves a pin out of STOP (or joins it at its
// state) holds it like an open handle, at the state it asked for; when its session ends, every pin
// nobody else holds or hosts returns to STOP through the state machine (pool freed, recommit
// possible), a pin others hold goes down to the highest state they claim, and the pins it created
// go away with it.
#include <gtest/gtest.h>

#include <algorithm>

#include "kernel_fixture.hpp"

namespace ksim::daemon::testing {
namespace {

using proto::PinDirection;
using proto::PinHosting;
using proto::PinState;

constexpr ClientId kStranger = 8;
const StateRequester kViewerApp{kClient, "viewer", false};
const StateRequester kStrangerApp{kStranger, "stranger", false};

class KernelHoldersTest : public KernelTest {
protected:
    // camera.capture -> sink.input (user-hosted), committed with 2 user-memory frames.
    void make_committed() {
        const auto t = camera_to_sink(false, PinHosting::User);
        make(t);
        ASSERT_TRUE(kernel->commit(default_commit(t)).has_value());
    }
    PinInfo info(const PinKey& key) {
        for (const auto& f : kernel->filters())
            for (const auto& p : f.pins)
                if (p.key == key) return p;
        ADD_FAILURE() << "no pin " << key.to_string();
        return {};
    }
    bool pool_active(const PinKey& key) {
        auto s = kernel->allocator_status(key);
        return s && s->active;
    }
    void set_as(const PinKey& k, PinState s, const StateRequester& who) {
        auto r = kernel->set_state(k, s, who);
        ASSERT_TRUE(r.has_value()) << k.to_string() << ": " << r.error().message;
    }
};

TEST_F(KernelHoldersTest, Holders_AClientLeavingStop_HoldsThePinUntilItIsBackInStop) {
    make_committed();
    EXPECT_TRUE(info(camera).holders.empty());
    set_as(camera, PinState::Acquire, kViewerApp);
    EXPECT_EQ(info(camera).holders, std::vector<ClientId>{kClient});
    set_as(camera, PinState::Run, kViewerApp);
    EXPECT_EQ(info(camera).holders, std::vector<ClientId>{kClient}) << "recorded once";
    set_as(camera, PinState::Stop, kViewerApp);
    EXPECT_TRUE(info(camera).holders.empty()) << "a pin in STOP is nobody's";
}

TEST_F(KernelHoldersTest, Holders_APrivilegedRequester_ChangesAnyPinAndNeverHoldsOne) {
    make_committed();
    set_as(camera, PinState::Run, kViewerApp);
    const StateRequester operator_tool{9, "ksimctl", true};
    set_as(camera, PinState::Pause, operator_tool);
    EXPECT_EQ(info(camera).holders, std::vector<ClientId>{kClient}) << "the holders stay as they were";
    set_as(sink, PinState::Acquire, operator_tool);
    EXPECT_TRUE(info(sink).holders.empty());
}

TEST_F(KernelHoldersTest, Permission_AStrangerChangingAHeldPin_IsRefusedNamingTheHolder) {
    make_committed();
    set_as(camera, PinState::Run, kViewerApp);
    for (PinState target : {PinState::Stop, PinState::Pause, PinState::Acquire}) {
        auto r = kernel->set_state(camera, target, kStrangerApp);
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error().code, Errc::PermissionDenied);
        EXPECT_NE(r.error().message.find("client 7 (viewer)"), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find("client 8 (stranger)"), std::string::npos) << r.error().message;
    }
    EXPECT_EQ(info(camera).state, PinState::Run) << "a refused request changes nothing";
}

TEST_F(KernelHoldersTest, Join_AskingAHeldPinForTheStateItIsIn_MakesTheRequesterAHolder) {
    make_committed();
    set_as(camera, PinState::Run, kViewerApp);
    set_as(camera, PinState::Run, kStrangerApp);
    EXPECT_EQ(info(camera).holders, (std::vector<ClientId>{kClient, kStranger}));
    EXPECT_EQ(info(camera).state, PinState::Run);
}

TEST_F(KernelHoldersTest, Join_APinStartedByAPrivilegedRequester_IsRefused) {
    make_committed();
    set(camera, PinState::Run);  // the daemon itself: nobody's handle
    auto r = kernel->set_state(camera, PinState::Run, kStrangerApp);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::PermissionDenied);
    EXPECT_TRUE(info(camera).holders.empty());
}

TEST_F(KernelHoldersTest, SessionEnd_TwoClientsRunningAPin_OneLeavingKeepsItRunning) {
    make_committed();
    set_as(camera, PinState::Run, kViewerApp);
    set_as(camera, PinState::Run, kStrangerApp);
    kernel->client_gone(kClient);
    EXPECT_EQ(info(camera).state, PinState::Run) << "client 8 still holds it in RUN";
    EXPECT_EQ(info(camera).holders, std::vector<ClientId>{kStranger});
    kernel->client_gone(kStranger);
    EXPECT_EQ(info(camera).state, PinState::Stop) << "its last holder is gone";
    EXPECT_FALSE(pool_active(camera));
}

TEST_F(KernelHoldersTest, SessionEnd_TheOtherHolderClaimsALowerState_WalksDownToIt) {
    make_committed();
    set_as(camera, PinState::Acquire, kViewerApp);
    set_as(camera, PinState::Acquire, kStrangerApp);
    set_as(camera, PinState::Run, kViewerApp);
    kernel->client_gone(kClient);
    EXPECT_EQ(info(camera).state, PinState::Acquire) << "what client 8 asked for";
    EXPECT_TRUE(pool_active(camera));
}

TEST_F(KernelHoldersTest, SetState_AHolderStoppingAPinAnotherHoldsInRun_LetsGoOfItOnly) {
    make_committed();
    set_as(camera, PinState::Run, kViewerApp);
    set_as(camera, PinState::Run, kStrangerApp);
    auto r = kernel->set_state(camera, PinState::Stop, kStrangerApp);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(info(camera).state, PinState::Run) << "client 7 still runs it";
    EXPECT_EQ(info(camera).holders, std::vector<ClientId>{kClient}) << "client 8 let go";
    set_as(camera, PinState::Pause, kViewerApp);
    EXPECT_EQ(info(camera).state, PinState::Pause) << "the last holder lowers it for real";
}

TEST_F(KernelHoldersTest, Permission_APinStartedByAPrivilegedRequester_IsNotAClientsToChange) {
    make_committed();
    set(camera, PinState::Acquire);  // the daemon itself
    auto r = kernel->set_state(camera, PinState::Stop, kStrangerApp);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::PermissionDenied);
    EXPECT_NE(r.error().message.find("no client holds it"), std::string::npos) << r.error().message;
}

TEST_F(KernelHoldersTest, SessionEnd_BetweenAcquireAndOpenStream_ReturnsThePinsToStopAndFreesThePool) {
    make_committed();
    set_as(camera, PinState::Acquire, kViewerApp);
    set_as(sink, PinState::Acquire, kViewerApp);
    ASSERT_TRUE(pool_active(camera));
    kernel->client_gone(kClient);
    EXPECT_EQ(info(camera).state, PinState::Stop);
    EXPECT_EQ(info(sink).state, PinState::Stop);
    EXPECT_FALSE(pool_active(camera)) << "the pool is freed as on any STOP";
}

TEST_F(KernelHoldersTest, SessionEnd_InRunHoldingFrames_WalksDownToStopAndTheGraphCanBeRecommitted) {
    const auto t = camera_to_sink(false, PinHosting::User);
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t)).has_value());
    set_as(sink, PinState::Acquire, kViewerApp);
    ASSERT_TRUE(kernel->open_stream(kClient, sink).has_value());
    set_as(sink, PinState::Run, kViewerApp);
    set_as(camera, PinState::Run, kViewerApp);
    run_periods(4);
    ASSERT_FALSE(kernel->ledger().empty()) << "the client holds frames";
    const auto before = events.of(KernelEvent::Type::StateChanged).size();
    kernel->client_gone(kClient);
    EXPECT_EQ(info(camera).state, PinState::Stop);
    EXPECT_EQ(info(sink).state, PinState::Stop);
    EXPECT_EQ(info(sink).owner, kDaemon);
    EXPECT_TRUE(kernel->ledger().empty());
    EXPECT_FALSE(pool_active(camera));
    // Each pin walked RUN -> PAUSE -> ACQUIRE -> STOP: three steps each.
    EXPECT_EQ(events.of(KernelEvent::Type::StateChanged).size() - before, 6u);
    EXPECT_TRUE(kernel->commit(default_commit(t, 3)).has_value()) << "every pin of the pipe is in STOP";
}

TEST_F(KernelHoldersTest, SessionEnd_APinAnotherLiveClientHolds_KeepsItsState) {
    make_committed();
    set_as(camera, PinState::Acquire, kViewerApp);
    set_as(sink, PinState::Acquire, kStrangerApp);
    set_as(camera, PinState::Run, kViewerApp);
    kernel->client_gone(kClient);
    EXPECT_EQ(info(camera).state, PinState::Stop);
    EXPECT_EQ(info(sink).state, PinState::Acquire) << "client 8 still holds it";
    EXPECT_EQ(info(sink).holders, std::vector<ClientId>{kStranger});
    EXPECT_TRUE(pool_active(sink)) << "a pin of the pipe is still out of STOP";
    kernel->client_gone(kStranger);
    EXPECT_EQ(info(sink).state, PinState::Stop);
    EXPECT_FALSE(pool_active(sink));
}

TEST_F(KernelHoldersTest, SessionEnd_APinItCreated_IsRemovedWithItsConnectionAndPipe) {
    auto t = camera_to_sink(false, PinHosting::Kernel);
    t.filters.pop_back();  // the camera alone: a client brings the consumer
    t.connections.clear();
    make(t);
    proto::PinDescriptor in;
    in.id = "in0";
    in.direction = PinDirection::In;
    auto created = kernel->create_user_pin(kClient, in, "myapp");
    ASSERT_TRUE(created.has_value()) << created.error().message;
    EXPECT_EQ(info(*created).creator, kClient);
    ASSERT_TRUE(kernel->connect(kClient, camera, *created).has_value());
    ASSERT_TRUE(kernel->commit(user_pipe_commit({{camera, *created}}, camera, kImage, 2)).has_value());
    set_as(*created, PinState::Acquire, kViewerApp);
    ASSERT_TRUE(kernel->open_stream(kClient, *created).has_value());
    set_as(*created, PinState::Run, kViewerApp);
    set_as(camera, PinState::Run, kViewerApp);
    run_periods(3);

    kernel->client_gone(kClient);
    const auto filters = kernel->filters();
    EXPECT_FALSE(std::ranges::any_of(filters, [](const FilterInfo& f) { return f.id == "myapp"; }));
    EXPECT_TRUE(kernel->connections().empty());
    EXPECT_EQ(info(camera).state, PinState::Stop);
    EXPECT_FALSE(info(camera).committed) << "the pipe went with the pin";
    EXPECT_TRUE(kernel->ledger().empty());
    const auto framing = events.of(KernelEvent::Type::FramingChanged);
    ASSERT_FALSE(framing.empty());
    EXPECT_EQ(framing.back().pin, *created);
    EXPECT_NE(framing.back().detail.find("removed"), std::string::npos) << framing.back().detail;
    // The same client id may never come back, but another client can rebuild the graph.
    auto again = kernel->create_user_pin(kStranger, in, "myapp");
    EXPECT_TRUE(again.has_value()) << again.error().message;
}

TEST_F(KernelHoldersTest, OpenStream_OfAPinAnotherClientStarted_IsRefusedNamingTheHolder) {
    make_committed();
    set_as(sink, PinState::Acquire, kViewerApp);
    auto r = kernel->open_stream(kStranger, sink);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::PermissionDenied);
    EXPECT_NE(r.error().message.find("client 7 (viewer)"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace ksim::daemon::testing
