// The client-facing operations: user-hosted pins and connections, stream grants, frames that
// clients acquire/submit/release and the ledger view (a session's end: kernel_session.cpp).
#include <fmt/format.h>

#include <utility>

#include "kernel_impl.hpp"
#include "logging.hpp"

namespace ksim::daemon {

using proto::PinDirection;
using proto::PinState;

namespace {
// The id rule (proto::is_valid_id), and bounded: ksimd keeps the ids for the pin's lifetime.
bool valid_id(const std::string& id) {
    return proto::is_valid_id(id) && id.size() <= 128;
}
}  // namespace

Result<PinRef> Kernel::create_user_pin(ClientId client, const proto::PinDescriptor& desc,
                                       std::string filter_id) {
    std::unique_lock lock(impl_->mu);
    Impl& k = *impl_;
    if (client == kDaemon)
        return fail(Errc::InvalidArgument, "user pins are created by clients (client id 0 given)");
    if (!valid_id(filter_id) || !valid_id(desc.id)) {
        return fail(Errc::InvalidArgument,
                    fmt::format("filter '{}' / pin '{}': ids must be 1-128 characters without '.'", filter_id,
                                desc.id));
    }
    FilterRuntime* filter = k.find_filter(filter_id);
    if (filter && filter->creator != client) {
        return fail(Errc::PermissionDenied,
                    fmt::format("filter '{}' exists and was not created by client {}", filter_id, client));
    }
    if (filter && k.find_pin(PinRef{filter_id, desc.id})) {
        return fail(Errc::AlreadyExists, fmt::format("pin {}.{} already exists", filter_id, desc.id));
    }
    if (!filter) {
        auto f = std::make_unique<FilterRuntime>();
        f->desc.id = filter_id;
        f->desc.kind =
            desc.direction == PinDirection::Out ? proto::FilterKind::UserSource : proto::FilterKind::UserSink;
        f->creator = client;
        k.filters.push_back(std::move(f));
        filter = k.filters.back().get();
    }
    proto::PinDescriptor d = desc;
    d.hosting = proto::PinHosting::User;
    d.allocator.reset();  // a client cannot provide a KSALLOCATOR_DISPATCH
    filter->desc.pins.push_back(d);
    Pin* pin = k.add_pin(*filter, d);
    pin->owner = client;
    pin->dynamic = true;
    logger("core.pin")->info("{}: user pin created by client {}", pin->name, client);
    k.emit({KernelEvent::Type::FramingChanged, pin->key, "user pin created", PinState::Stop, client});
    PinRef key = pin->key;
    k.flush(lock);
    return key;
}

Result<void> Kernel::connect(ClientId client, const PinRef& from_key, const PinRef& to_key) {
    std::unique_lock lock(impl_->mu);
    Impl& k = *impl_;
    auto from = k.pin_or_error(from_key);
    if (!from) return std::unexpected(from.error());
    auto to = k.pin_or_error(to_key);
    if (!to) return std::unexpected(to.error());
    if ((*from)->desc.direction != PinDirection::Out || (*to)->desc.direction != PinDirection::In) {
        return fail(Errc::InvalidArgument,
                    fmt::format("a connection runs from an output pin to an input pin; {} -> {} "
                                "does not",
                                from_key.to_string(), to_key.to_string()));
    }
    for (Pin* p : {*from, *to})
        if (p->peer) {
            return fail(Errc::AlreadyExists, fmt::format("{} is already connected to {}", p->key.to_string(),
                                                         p->peer->key.to_string()));
        }
    const bool owns = (*from)->owner == client || (*to)->owner == client;
    if (client != kDaemon && !owns) {
        return fail(Errc::PermissionDenied, fmt::format("client {} hosts neither {} nor {}", client,
                                                        from_key.to_string(), to_key.to_string()));
    }
    (*from)->peer = *to;
    (*to)->peer = *from;
    k.connections.emplace_back(*from, *to);
    link_upstream(**from, **to);
    logger("core.kernel")
        ->info("connection {} -> {} by client {}", from_key.to_string(), to_key.to_string(), client);
    return {};
}

Result<StreamGrant> Kernel::open_stream(ClientId client, const PinRef& key) {
    std::unique_lock lock(impl_->mu);
    Impl& k = *impl_;
    auto found = k.pin_or_error(key);
    if (!found) return std::unexpected(found.error());
    Pin& pin = **found;
    if (pin.kernel_hosted()) {
        return fail(
            Errc::InvalidArgument,
            fmt::format("{} is kernel-hosted; clients stream through user-hosted pins", key.to_string()));
    }
    if (pin.owner != kDaemon && pin.owner != client) {
        return fail(Errc::PermissionDenied,
                    fmt::format("{} is hosted by client {}", key.to_string(), pin.owner));
    }
    if (!pin.pipe)
        return fail(Errc::NotCommitted, fmt::format("{}: no allocator decision committed", key.to_string()));
    if (!pin.pipe->active()) {
        return fail(Errc::InvalidState,
                    fmt::format("{}: its allocator exists from ACQUIRE on; set the pin to ACQUIRE first",
                                key.to_string()));
    }
    const shm::Region& region = pin.pipe->allocator->region();
    if (region.visibility() == shm::Visibility::KernelOnly) {
        return fail(Errc::PermissionDenied,
                    fmt::format("{}: the pipe uses kernel memory, which clients never map", key.to_string()));
    }
    if (pin.owner == kDaemon && !pin.holders.empty() && !pin.holders.contains(client)) {
        return fail(Errc::PermissionDenied, fmt::format("{} was started by {}; client {} may not host it",
                                                        key.to_string(), pin.holders.describe(), client));
    }
    if (pin.owner == kDaemon) {
        pin.owner = client;
        logger("core.pin")->info("{}: now hosted by client {}", pin.name, client);
    }
    StreamGrant g;
    g.pin = key;
    g.frame_size = pin.pipe->commit.frame_size;
    g.frames = pin.pipe->commit.frames;
    RegionGrant rg;
    rg.region_id = region.id();
    rg.size = region.size();
    rg.access = pin.desc.direction == PinDirection::Out ? shm::Access::ReadWrite : shm::Access::ReadOnly;
    for (std::uint32_t i = 0; i < g.frames; ++i) {
        auto layout = pin.pipe->allocator->frame(i);
        if (!layout) return std::unexpected(layout.error());
        rg.frame_offsets.push_back(layout->offset);
    }
    // Aliases the allocator: the region lives as long as the allocator object (until its pipe
    // returns to STOP, which only a later call can do).
    rg.region = std::shared_ptr<const shm::Region>(pin.pipe->allocator, &region);
    g.regions.push_back(std::move(rg));
    return g;
}

Result<void> Kernel::attach_delivery(ClientId client, const PinRef& key,
                                     std::shared_ptr<DeliveryTarget> target) {
    std::unique_lock lock(impl_->mu);
    auto found = impl_->pin_or_error(key);
    if (!found) return std::unexpected(found.error());
    Pin& pin = **found;
    if (pin.kernel_hosted() || pin.owner != client || client == kDaemon) {
        return fail(Errc::PermissionDenied,
                    fmt::format("{} is not a user pin hosted by client {}", key.to_string(), client));
    }
    // Frames still posted in the old target's free-frame ring go home first (a re-open).
    impl_->retract_free_frames(pin);
    // The old target (if any) is released outside the lock: its destructor unmaps rings.
    std::shared_ptr<DeliveryTarget> old = std::exchange(pin.delivery, std::move(target));
    impl_->post_free_frames(pin);
    lock.unlock();
    return {};
}

void Kernel::Impl::post_free_frames(Pin& source) {
    if (source.role != PinRole::UserSource || !source.delivery || source.owner == kDaemon || !source.pipe ||
        !source.pipe->active() || source.state() == PinState::Stop)
        return;
    Pipe& pipe = *source.pipe;
    for (std::uint32_t room = source.delivery->free_frame_room(); room > 0; --room) {
        // Ask only while the pool has frames left: with every frame out (the usual state of a
        // busy stream) allocate() would fail, and its error message costs an allocation per call.
        if (!pipe.has_free_frame()) return;
        auto h = pipe.allocator->allocate();
        if (!h) return;  // pool exhausted: the next free into it posts again
        if (auto r = hold(*h, source.owner); !r) {
            (void)pipe.allocator->free(*h);
            return;
        }
        if (!source.delivery->post_free_frame(*h)) {
            (void)unhold(*h, source.owner);
            (void)pipe.allocator->free(*h);
            return;
        }
    }
}

void Kernel::Impl::retract_free_frames(Pin& source) {
    if (source.role != PinRole::UserSource || !source.delivery) return;
    for (const shm::FrameDescriptor& h : source.delivery->retract_free_frames()) {
        // The ledger decides: a frame the client does not hold (a scribbled ring) is not freed.
        Pipe* pipe = pipe_of(h);
        if (!pipe || !unhold(h, source.owner)) continue;
        // Straight to the allocator, not give_back: that would post it to this ring again.
        (void)pipe->allocator->free(h);
    }
}

Result<void> Kernel::release_frame(ClientId client, const shm::FrameDescriptor& frame,
                                   const ReleaseTimes& times) {
    std::unique_lock lock(impl_->mu);
    Impl& k = *impl_;
    Pipe* pipe = k.pipe_of(frame);
    if (!pipe)
        return fail(Errc::NotFound,
                    fmt::format("frame {}:{} names no live region", frame.region, frame.index));
    Pin* sink = nullptr;  // the client's pin that gives the frame back
    for (Pin* p : pipe->pins)
        if (p->owner == client && !p->kernel_hosted() && p->desc.direction == PinDirection::In) sink = p;
    if (sink && k.holds_back(*sink)) {
        // A stall_releases fault: the frame stays out of the pool, held by the pin instead of
        // the client (pass validates the descriptor, as unhold does).
        if (auto r = k.pass(frame, client, sink->ledger_id); !r) return r;
        if (const HeldFrame* slot = k.held_frame(frame)) k.note_release(*sink, slot->sent_at, times);
        k.hold_back(*sink, PipeFrame{frame, pipe});
        k.flush(lock);
        return {};
    }
    // unhold checks the descriptor (the ledger's release validates it) and leaves sent_at in the slot.
    if (auto r = k.unhold(frame, client); !r) return r;
    if (const HeldFrame* slot = k.held_frame(frame)) {
        for (Pin* p : pipe->pins)
            if (p->owner == client && !p->kernel_hosted()) k.note_release(*p, slot->sent_at, times);
    }
    k.return_to_pool(PipeFrame{frame, pipe});
    k.flush(lock);
    return {};
}

Result<shm::FrameDescriptor> Kernel::acquire_frame(ClientId client, const PinRef& key) {
    std::unique_lock lock(impl_->mu);
    Impl& k = *impl_;
    auto found = k.pin_or_error(key);
    if (!found) return std::unexpected(found.error());
    Pin& pin = **found;
    if (pin.kernel_hosted() || pin.desc.direction != PinDirection::Out) {
        return fail(Errc::InvalidArgument,
                    fmt::format("{} is not a user-hosted output pin", key.to_string()));
    }
    if (pin.owner != client) {
        return fail(
            Errc::PermissionDenied,
            fmt::format("{} is not hosted by client {} (open its stream first)", key.to_string(), client));
    }
    if (!pin.pipe || !pin.pipe->active()) {
        return fail(Errc::InvalidState,
                    fmt::format("{}: no allocator yet (commit, then ACQUIRE)", key.to_string()));
    }
    if (const Pipe& pipe = *pin.pipe; pipe.exhaustion && !pipe.has_free_frame())
        return fail(
            Errc::NoMoreEntries,
            fmt::format("{}: the pool hands out at most {} frames at a time (fault {} injected at {})",
                        key.to_string(), pipe.frame_limit, to_string(pipe.exhaustion->kind),
                        pipe.exhaustion->pointer));
    auto h = pin.pipe->allocator->allocate();
    if (!h) return std::unexpected(h.error());
    if (auto r = k.hold(*h, client); !r) {
        (void)pin.pipe->allocator->free(*h);
        return std::unexpected(r.error());
    }
    return *h;
}

Result<void> Kernel::submit_frame(ClientId client, const PinRef& key, const shm::FrameDescriptor& frame,
                                  const proto::StreamHeader& header) {
    std::unique_lock lock(impl_->mu);
    Impl& k = *impl_;
    auto found = k.pin_or_error(key);
    if (!found) return std::unexpected(found.error());
    Pin& pin = **found;
    if (pin.kernel_hosted() || pin.desc.direction != PinDirection::Out || pin.owner != client) {
        return fail(Errc::PermissionDenied,
                    fmt::format("{} is not a user output pin hosted by client {}", key.to_string(), client));
    }
    Pipe* pipe = k.pipe_of(frame);
    if (!pipe || pipe != pin.pipe) {
        return fail(Errc::NotFound, fmt::format("frame {}:{} is not a frame of {}'s pool", frame.region,
                                                frame.index, key.to_string()));
    }
    // pass validates the descriptor (the ledger's transfer checks region, index, generation, holder).
    if (auto r = k.pass(frame, client, pin.ledger_id); !r) return r;
    proto::StreamHeader h = header;
    const auto extent = pipe->commit.frame_size;
    if (h.data_used > extent) h.data_used = extent;  // never trust a client's size
    h.frame_extent = extent;
    ++pin.completed;
    k.count_crossing(pin);
    if (!pin.peer) {
        k.give_back(PipeFrame{frame, pipe}, pin.ledger_id);
    } else {
        k.deliver(pin, *pin.peer, PipeFrame{frame, pipe}, h, k.clock->now());
    }
    // The client popped this frame from its free-frame ring (if it has one): top the ring up.
    k.post_free_frames(pin);
    k.flush(lock);
    return {};
}

std::vector<LedgerRecord> Kernel::ledger() const {
    std::lock_guard lock(impl_->mu);
    std::vector<LedgerRecord> out;
    // Ordered by region id, then frame index (pipe_by_region is ordered by region).
    for (const auto& [region, pipe] : impl_->pipe_by_region) {
        for (const HeldFrame& held : pipe->held) {
            if (!held.held) continue;
            LedgerRecord e;
            e.frame = held.handle;
            e.pipe = pipe->name;
            if (Pin* p = impl_->holder_pin(held.owner)) {
                e.owner = kDaemon;
                e.holder = p->key;
            } else {
                e.owner = held.owner;
                for (Pin* p2 : pipe->pins)
                    if (p2->owner == held.owner) e.holder = p2->key;
            }
            out.push_back(std::move(e));
        }
    }
    return out;
}

}  // namespace ksim::daemon
