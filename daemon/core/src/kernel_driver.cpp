// A minidriver's pin through its states (docs/minidriver.md, "States"): each single step calls
// the driver's SetDeviceState. Up the ladder the class driver prepares first and the driver
// then acquires its hardware (STOP->ACQUIRE: the pipe's allocator exists, a selected driver
// allocator has run InitializeAllocator); a failure fails the step and leaves the pin where it
// was. Down the ladder the driver stops first (it deletes the clones its hardware held) and the
// queue is flushed after (every frame completes and returns to its pool). A driver that fails a
// downward step is logged and the step goes on: a pin whose client died must reach STOP.
#include <fmt/format.h>

#include "kernel_impl.hpp"
#include "ksim/proto/ntstatus.hpp"
#include "logging.hpp"

namespace ksim::daemon {

using proto::PinState;

Result<void> Kernel::Impl::driver_transition(Pin& pin, PinState from, PinState to) {
    DriverPin& driver = *pin.driver;
    const bool up = static_cast<int>(to) > static_cast<int>(from);
    if (from == PinState::Stop && to == PinState::Acquire) {
        if (auto r = require_commit(pin); !r) return r;
        if (auto r = activate(*pin.pipe, pin); !r) return r;
    }
    if (const NTSTATUS s = driver.set_device_state(to, from); !NT_SUCCESS(s)) {
        const std::string what = fmt::format("{}: the driver's SetDeviceState({} -> {}) returned {}",
                                             pin.name, proto::to_string(from), proto::to_string(to),
                                             proto::ntstatus_name(static_cast<std::uint32_t>(s)));
        if (up) {
            if (from == PinState::Stop) deactivate_if_idle(*pin.pipe);  // the pin is still in STOP
            return fail(Errc::InvalidState, what);
        }
        logger("core.driver")->error("{}; ksim completes the step anyway (a pin must be able to stop)", what);
    }
    if (from == PinState::Acquire && to == PinState::Pause) {
        // An output pin's queue is filled from its pipe; an input pin's from upstream, from now on.
        if (pin.desc.direction == proto::PinDirection::Out)
            refill(pin);
        else
            pin.accepting = true;
    } else if (from == PinState::Pause && to == PinState::Run) {
        pin.running = true;
        driver.run_started();
        start_streaming(pin);
    } else if (from == PinState::Run && to == PinState::Pause) {
        pin.running = false;
        stop_streaming(pin);
    } else if (to == PinState::Acquire || to == PinState::Stop) {
        // PAUSE->ACQUIRE or ACQUIRE->STOP: nothing stays queued below PAUSE (nor waits for a copy
        // into an in-place pair's other pipe).
        pin.accepting = false;
        drop_pending_copies(pin, fmt::format("{} -> {}", proto::to_string(from), proto::to_string(to)));
        driver.reset();
        driver.check_before_flush(
            fmt::format("queue flush at {} -> {}", proto::to_string(from), proto::to_string(to)));
        pin.queue->flush();
        driver.flushed();
    }
    return {};
}

}  // namespace ksim::daemon
