// A client's session ended: what closing a dead process's handles does in KS. Its frames go back
// to their pools; the pins it held or hosted that no live client still holds return to STOP
// (those another live client holds, down to the highest state it claims) through the ordinary
// state machine (frames returned, hardware stopped, pools freed as on any
// STOP); the filters it created with create_user_pin are removed.
#include <fmt/format.h>

#include <algorithm>

#include "kernel_impl.hpp"
#include "logging.hpp"

namespace ksim::daemon {

using proto::PinState;

std::vector<Kernel::Impl::PinRelease> Kernel::Impl::release_pins_of(ClientId client) {
    std::vector<PinRelease> out;
    for (const auto& f : filters)
        for (const auto& p : f->pins) {
            const bool held = p->holders.remove(client);
            const bool hosted = p->owner == client;
            if (hosted) p->owner = kDaemon;
            // A pin another live client hosts is its host's to change.
            if (!(held || hosted) || p->owner != kDaemon) continue;
            // Down to what the remaining holders claim (never up: a privileged requester may
            // have lowered it below their claims), STOP when nobody holds it.
            const PinState keep = std::min(p->holders.highest_claim().value_or(PinState::Stop), p->state());
            if (keep != p->state()) out.push_back({p.get(), keep});
        }
    return out;
}

void Kernel::Impl::remove_filter(FilterRuntime& filter, ClientId client) {
    const std::string why = fmt::format("user pin removed: client {} that created it went away", client);
    for (const auto& p : filter.pins) {
        // Its pipe goes with it, so every pin of that pipe (another client's included) returns to
        // STOP first: the allocator decision they ran on no longer exists.
        if (p->pipe) {
            Pipe& pipe = *p->pipe;
            for (Pin* q : pipe.pins) {
                retract_free_frames(*q);
                (void)set_state(*q, PinState::Stop, StateRequester{});
            }
            drop_pipe(pipe);
        }
        (void)set_state(*p, PinState::Stop, StateRequester{});
        if (p->peer) {
            Pin* peer = p->peer;
            std::erase_if(connections,
                          [&](const auto& c) { return c.first == p.get() || c.second == p.get(); });
            peer->peer = nullptr;
            p->peer = nullptr;
        }
        logger("core.pin")->info("{}: {}", p->name, why);
        emit({KernelEvent::Type::FramingChanged, p->key, why, PinState::Stop, client});
    }
    std::erase_if(filters, [&](const auto& f) { return f.get() == &filter; });
}

void Kernel::client_gone(ClientId client) {
    if (client == kDaemon) return;
    std::unique_lock lock(impl_->mu);
    Impl& k = *impl_;
    // Detach the client's rings first, so frames freed below are not posted to its free-frame
    // rings again. Frames still sitting in them are held by the client and reclaimed here.
    std::vector<std::shared_ptr<DeliveryTarget>> detached;  // only unmap rings: fine under the lock
    for (const auto& f : k.filters)
        for (const auto& p : f->pins)
            if (p->owner == client && p->delivery) detached.push_back(std::move(p->delivery));
    const auto frames = k.ledger.reclaim(client);  // exactly once: a second call returns nothing
    for (const shm::FrameHandle& h : frames) {
        if (HeldFrame* slot = k.held_frame(h)) slot->held = false;
        if (Pipe* pipe = k.pipe_of(h)) {
            (void)pipe->allocator->free(h);
            k.refill_sources(*pipe);
        }
    }
    // Pins nobody holds any more go back to STOP, pins others hold at a lower state down to it.
    // Downstream pins first: a capture pin then stops with its consumers already gone, as a
    // graph is stopped sink first.
    std::vector<Impl::PinRelease> orphans = k.release_pins_of(client);
    std::ranges::stable_partition(
        orphans, [](const Impl::PinRelease& r) { return r.pin->desc.direction == proto::PinDirection::In; });
    for (const Impl::PinRelease& r : orphans) (void)k.set_state(*r.pin, r.to, StateRequester{});
    std::vector<FilterRuntime*> created;
    for (const auto& f : k.filters)
        if (f->creator == client) created.push_back(f.get());
    std::size_t removed = 0;
    for (FilterRuntime* f : created) {
        removed += f->pins.size();
        k.remove_filter(*f, client);
    }
    const std::string summary =
        fmt::format("{} frames reclaimed, {} pins stopped or lowered, {} created pins removed", frames.size(),
                    orphans.size(), removed);
    logger("core.kernel")->info("client {} gone: {}", client, summary);
    k.emit({KernelEvent::Type::ClientGone, PinKey{}, summary, PinState::Stop, client});
    k.flush(lock);
}

}  // namespace ksim::daemon
