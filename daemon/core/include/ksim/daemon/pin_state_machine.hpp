// PinStateMachine: KSSTATE of one pin. Transitions go one step at a time in both directions
// (STOP <-> ACQUIRE <-> PAUSE <-> RUN); a request to jump is walked through every intermediate
// state and each step is handed to the pin (TransitionHandler) and to an observer. Not
// thread-safe: the owning pin serialises calls (the Kernel's lock).
#pragma once

#include <functional>
#include <string>

#include "ksim/proto/error.hpp"
#include "ksim/proto/stream_header.hpp"

namespace ksim::daemon {

// What a pin does on each single step (acquire resources on STOP->ACQUIRE, flush on ->STOP, ...).
// Returning an error refuses the step; the state machine stays where it was.
class TransitionHandler {
public:
    virtual ~TransitionHandler() = default;
    virtual Result<void> on_transition(proto::PinState from, proto::PinState to) = 0;
};

class PinStateMachine {
public:
    using Observer = std::function<void(proto::PinState from, proto::PinState to)>;

    // `name` is "filter/pin", used in error messages.
    PinStateMachine(std::string name, TransitionHandler& handler)
        : name_(std::move(name)), handler_(handler) {}

    [[nodiscard]] proto::PinState state() const { return state_; }

    // One step. Anything but +-1 is InvalidState (naming the two states and the legal next ones);
    // the same state is a no-op success.
    Result<void> step(proto::PinState to);

    // Walks from the current state to `target` one step at a time, calling `observe` after each
    // completed step. Stops at the first refused step and returns its error.
    Result<void> set_state(proto::PinState target, const Observer& observe = {});

    // True when `from -> to` is a single legal step.
    static bool is_single_step(proto::PinState from, proto::PinState to);

private:
    std::string name_;
    TransitionHandler& handler_;
    proto::PinState state_ = proto::PinState::Stop;
};

}  // namespace ksim::daemon
