// The run-time side of the faults that act on a consumer or a client rather than on hardware or
// an allocator (docs/config.md, "Faults"): stall_releases holds back the frames a sink pin gives
// back, as if its consumer were stopped with SIGSTOP and continued later; disconnect_client counts
// the frames crossing a user pin and asks the server to drop its client. The kernel's lock is
// held throughout, except in the stall timer's sleep.
#include <fmt/format.h>
#include <pthread.h>

#include <functional>
#include <utility>

#include "kernel_impl.hpp"
#include "logging.hpp"

namespace ksim::daemon {

using proto::PinState;

namespace {
std::int64_t microseconds_of(Ticks t) {
    return t / (kTicksPerMillisecond / 1000);
}
}  // namespace

// --- stall_releases --------------------------------------------------------------------------

bool Kernel::Impl::holds_back(const Pin& pin) const {
    // Not in STOP: a frame given back there goes home at once, so a stopped pin never keeps
    // frames whose pipe may be deleted under them.
    return pin.stall && pin.state() != PinState::Stop && (pin.stall->armed || pin.stall->stalled());
}

void Kernel::Impl::hold_back(Pin& pin, PipeFrame ref) {
    ReleaseStall& s = *pin.stall;
    s.held.push_back(ref);
    if (s.stalled()) return;
    s.armed = false;
    s.until = clock->now() + s.length;
    logger("core.kernel")
        ->warn("{}: releases stalled for {} us, frames it gives back stay held by the pin (fault {} at {})",
               pin.name, s.fault.microseconds, to_string(s.fault.kind), s.fault.pointer);
    if (!options.streaming_threads) return;  // tests end it with advance_time
    if (s.timer) {
        // The previous stall's timer has ended (it returns once its stall is over): join it.
        s.timer->control->stop.store(true);
        s.timer->control->wake.post();
        outbox.joins.push_back(std::move(s.timer->thread));
    }
    StreamingThread t;
    t.thread = std::thread(&Kernel::Impl::stall_timer_loop, this, std::ref(pin), t.control);
    s.timer = std::move(t);
}

void Kernel::Impl::end_stall(Pin& pin, std::string_view why, bool own_timer) {
    ReleaseStall& s = *pin.stall;
    if (!own_timer && s.timer) {
        s.timer->control->stop.store(true);
        s.timer->control->wake.post();
        outbox.joins.push_back(std::move(s.timer->thread));
        s.timer.reset();
    }
    if (!s.stalled()) return;
    const Ticks lasted = clock->now() - (*s.until - s.length);
    s.until.reset();
    const std::vector<PipeFrame> frames = std::exchange(s.held, {});
    logger("core.kernel")
        ->info("{}: stall over after {} us ({}): {} frame(s) returned to the pool at once (fault {} at {})",
               pin.name, microseconds_of(lasted), why, frames.size(), to_string(s.fault.kind),
               s.fault.pointer);
    for (const PipeFrame& ref : frames) give_back(ref, pin.ledger_id);
}

void Kernel::Impl::end_due_stalls() {
    for (const auto& f : filters)
        for (const auto& p : f->pins)
            if (p->stall && p->stall->stalled() && *p->stall->until <= clock->now())
                end_stall(*p, "its time is up");
}

void Kernel::Impl::stall_on_transition(Pin& pin, PinState from, PinState to) {
    if (!pin.stall) return;
    if (from == PinState::Pause && to == PinState::Run && !pin.stall->stalled()) pin.stall->armed = true;
    if (to == PinState::Stop) {
        pin.stall->armed = false;
        end_stall(pin, "the pin went to STOP");
    }
}

void Kernel::Impl::stall_timer_loop(Pin& pin, std::shared_ptr<StreamingControl> control) {
    ::pthread_setname_np(::pthread_self(), "ksim-stall");
    std::unique_lock lock(mu);
    // `stop` is set under the lock before the pin can go (STOP, removal, shutdown), so the pin
    // is only touched while it is clear.
    while (!control->stop.load()) {
        if (!pin.stall->stalled()) return;
        const Ticks wait = *pin.stall->until - clock->now();
        if (wait > 0) {
            lock.unlock();
            control->wake.wait_for(std::chrono::duration<Ticks, std::ratio<1, kTicksPerSecond>>(wait));
            lock.lock();
            continue;
        }
        // SIGCONT: the frames go home; this thread stays in pin.stall->timer until the next
        // stall or the pin's STOP joins it.
        end_stall(pin, "its time is up", true);
        flush(lock);
        return;
    }
}

// --- disconnect_client -----------------------------------------------------------------------

void Kernel::Impl::count_crossing(Pin& pin) {
    if (!pin.disconnect || pin.disconnect->fired || pin.owner == kDaemon) return;
    DisconnectCountdown& d = *pin.disconnect;
    if (d.host != pin.owner) {  // a new host: its own count
        d.host = pin.owner;
        d.crossed = 0;
    }
    if (++d.crossed < d.fault.frames) return;
    d.fired = true;
    const std::string why = fmt::format("fault {} at {}: {} frame(s) crossed {}", to_string(d.fault.kind),
                                        d.fault.pointer, d.crossed, pin.key.to_string());
    logger("core.kernel")->warn("{}: disconnecting client {} ({})", pin.name, pin.owner, why);
    emit({KernelEvent::Type::ClientDisconnectDue, pin.key, why, pin.state(), pin.owner});
}

}  // namespace ksim::daemon
