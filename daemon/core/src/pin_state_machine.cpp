#include "ksim/daemon/pin_state_machine.hpp"

#include <fmt/format.h>

namespace ksim::daemon {

using proto::PinState;

namespace {
int ordinal(PinState s) {
    return static_cast<int>(s);
}

std::string legal_next(PinState s) {
    switch (s) {
        case PinState::Stop:
            return "ACQUIRE";
        case PinState::Acquire:
            return "STOP or PAUSE";
        case PinState::Pause:
            return "ACQUIRE or RUN";
        case PinState::Run:
            return "PAUSE";
    }
    return "?";
}
}  // namespace

bool PinStateMachine::is_single_step(PinState from, PinState to) {
    const int d = ordinal(to) - ordinal(from);
    return d == 1 || d == -1;
}

Result<void> PinStateMachine::step(PinState to) {
    if (to == state_) return {};
    if (ordinal(to) < 0 || ordinal(to) > ordinal(PinState::Run)) {
        return fail(Errc::InvalidArgument, fmt::format("{}: unknown pin state {}", name_, ordinal(to)));
    }
    if (!is_single_step(state_, to)) {
        return fail(Errc::InvalidState,
                    fmt::format("{}: {} -> {} is not a single step; from {} the next state is {}", name_,
                                proto::to_string(state_), proto::to_string(to), proto::to_string(state_),
                                legal_next(state_)));
    }
    if (auto r = handler_.on_transition(state_, to); !r) return r;
    state_ = to;
    return {};
}

Result<void> PinStateMachine::set_state(PinState target, const Observer& observe) {
    if (ordinal(target) < 0 || ordinal(target) > ordinal(PinState::Run)) {
        return fail(Errc::InvalidArgument, fmt::format("{}: unknown pin state {}", name_, ordinal(target)));
    }
    while (state_ != target) {
        const PinState from = state_;
        const PinState next =
            static_cast<PinState>(ordinal(from) + (ordinal(target) > ordinal(from) ? 1 : -1));
        if (auto r = step(next); !r) return r;
        if (observe) observe(from, next);
    }
    return {};
}

}  // namespace ksim::daemon
