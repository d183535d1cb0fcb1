#include "ksim/daemon/pin_state_machine.hpp"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace ksim::daemon {
namespace {

using proto::PinState;
constexpr PinState kAll[] = {PinState::Stop, PinState::Acquire, PinState::Pause, PinState::Run};

// Records every step the machine hands to the pin; can refuse one transition.
struct RecordingHandler : TransitionHandler {
    std::vector<std::pair<PinState, PinState>> steps;
    std::optional<std::pair<PinState, PinState>> refuse;
    Result<void> on_transition(PinState from, PinState to) override {
        if (refuse && *refuse == std::pair{from, to}) return fail(Errc::NotCommitted, "refused");
        steps.emplace_back(from, to);
        return {};
    }
};

// Drives a fresh machine to `s` through legal steps.
void drive_to(PinStateMachine& m, PinState s) {
    ASSERT_TRUE(m.set_state(s).has_value());
}

TEST(PinStateMachine_Step, EveryAdjacentTransitionIsLegalInBothDirections) {
    for (PinState from : kAll)
        for (PinState to : kAll) {
            const int d = static_cast<int>(to) - static_cast<int>(from);
            if (d != 1 && d != -1) continue;
            RecordingHandler h;
            PinStateMachine m("f/p", h);
            drive_to(m, from);
            h.steps.clear();
            auto r = m.step(to);
            ASSERT_TRUE(r.has_value()) << proto::to_string(from) << "->" << proto::to_string(to);
            EXPECT_EQ(m.state(), to);
            ASSERT_EQ(h.steps.size(), 1u);
            EXPECT_EQ(h.steps[0], std::pair(from, to));
        }
}

TEST(PinStateMachine_Step, EveryJumpIsRejectedWithInvalidStateAndLeavesStateAlone) {
    int jumps = 0;
    for (PinState from : kAll)
        for (PinState to : kAll) {
            const int d = static_cast<int>(to) - static_cast<int>(from);
            if (d >= -1 && d <= 1) continue;
            ++jumps;
            RecordingHandler h;
            PinStateMachine m("cam/capture", h);
            drive_to(m, from);
            h.steps.clear();
            auto r = m.step(to);
            ASSERT_FALSE(r.has_value());
            EXPECT_EQ(r.error().code, Errc::InvalidState);
            EXPECT_NE(r.error().message.find("cam/capture"), std::string::npos) << r.error().message;
            EXPECT_NE(r.error().message.find("not a single step"), std::string::npos);
            EXPECT_EQ(m.state(), from);
            EXPECT_TRUE(h.steps.empty());
        }
    EXPECT_EQ(jumps, 6);  // STOP<->PAUSE, STOP<->RUN, ACQUIRE<->RUN
}

TEST(PinStateMachine_Step, SameStateIsANoOpWithoutCallingThePin) {
    for (PinState s : kAll) {
        RecordingHandler h;
        PinStateMachine m("f/p", h);
        drive_to(m, s);
        h.steps.clear();
        EXPECT_TRUE(m.step(s).has_value());
        EXPECT_TRUE(h.steps.empty());
    }
}

TEST(PinStateMachine_SetState, StopToRunWalksThroughAcquireAndPauseObservingEachStep) {
    RecordingHandler h;
    PinStateMachine m("f/p", h);
    std::vector<std::pair<PinState, PinState>> observed;
    ASSERT_TRUE(m.set_state(PinState::Run, [&](PinState a, PinState b) { observed.emplace_back(a, b); }));
    const std::vector<std::pair<PinState, PinState>> expected{{PinState::Stop, PinState::Acquire},
                                                              {PinState::Acquire, PinState::Pause},
                                                              {PinState::Pause, PinState::Run}};
    EXPECT_EQ(observed, expected);
    EXPECT_EQ(h.steps, expected);
}

TEST(PinStateMachine_SetState, RunToStopWalksDownThroughPauseAndAcquire) {
    RecordingHandler h;
    PinStateMachine m("f/p", h);
    drive_to(m, PinState::Run);
    h.steps.clear();
    ASSERT_TRUE(m.set_state(PinState::Stop));
    const std::vector<std::pair<PinState, PinState>> expected{{PinState::Run, PinState::Pause},
                                                              {PinState::Pause, PinState::Acquire},
                                                              {PinState::Acquire, PinState::Stop}};
    EXPECT_EQ(h.steps, expected);
    EXPECT_EQ(m.state(), PinState::Stop);
}

TEST(PinStateMachine_SetState, ARefusedStepStopsTheWalkAtTheLastReachedState) {
    RecordingHandler h;
    h.refuse = std::pair{PinState::Acquire, PinState::Pause};
    PinStateMachine m("f/p", h);
    auto r = m.set_state(PinState::Run);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::NotCommitted);
    EXPECT_EQ(m.state(), PinState::Acquire);
}

TEST(PinStateMachine_SetState, UnknownTargetStateIsInvalidArgument) {
    RecordingHandler h;
    PinStateMachine m("f/p", h);
    auto r = m.set_state(static_cast<PinState>(7));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_EQ(m.state(), PinState::Stop);
}

}  // namespace
}  // namespace ksim::daemon
