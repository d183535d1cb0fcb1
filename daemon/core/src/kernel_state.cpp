// Pin states and allocator lifetime: each single step of a pin (PinStateMachine) lands in
// Pin::on_transition; allocators are created on the first STOP->ACQUIRE of a pipe from its
// committed decision (and only then: a vendor allocator's initialize runs only if selected) and
// deleted when the last pin of the pipe is back in STOP. A driver's pin takes each step through
// its driver (kernel_driver.cpp); a client's pin only needs its pipe activated.
#include <fmt/format.h>
#include <pthread.h>

#include <algorithm>
#include <functional>

#include "kernel_impl.hpp"
#include "ksim/proto/ntstatus.hpp"
#include "logging.hpp"
#include "thread_sched.hpp"

namespace ksim::daemon {

using proto::PinState;

Result<void> Kernel::Impl::require_commit(const Pin& pin) const {
    if (pin.pipe) return {};
    return fail(Errc::NotCommitted,
                fmt::format("{}: no allocator decision is committed for this pin, so it cannot leave STOP; "
                            "the graph manager must commit one for its connection first",
                            pin.key.to_string()));
}

Result<void> Pin::on_transition(PinState from, PinState to) {
    Kernel::Impl& k = kernel;
    k.stall_on_transition(*this, from, to);  // a stall_releases fault: armed in RUN, over in STOP
    if (driver) return k.driver_transition(*this, from, to);
    if (from == PinState::Stop && to == PinState::Acquire) {
        if (auto r = k.require_commit(*this); !r) return r;
        return k.activate(*pipe, *this);
    }
    return {};
}

Result<void> Kernel::Impl::check_may_change(const Pin& pin, PinState target,
                                            const StateRequester& requester) const {
    if (requester.privileged || requester.client == kDaemon) return {};
    const ClientId me = requester.client;
    if (!pin.kernel_hosted() && pin.owner != kDaemon && pin.owner != me) {
        return fail(Errc::PermissionDenied,
                    fmt::format("{} is hosted by client {}; {} may not change its state", pin.key.to_string(),
                                pin.owner, requester.describe()));
    }
    // A pin in STOP is nobody's: any client may start it (and becomes its holder).
    if (pin.state() == PinState::Stop || pin.owner == me || pin.holders.contains(me)) return {};
    // Joining: asking a held pin for the state it is in changes nothing for its holders, and the
    // requester becomes one more, as a second handle would. A pin the graph manager or an
    // operator started (no holder) is not joined: a client would take it down when it leaves.
    if (target == pin.state() && !pin.holders.empty()) return {};
    const std::string by = pin.holders.empty()
                               ? std::string("the graph manager or an operator (no client holds it)")
                               : pin.holders.describe();
    return fail(Errc::PermissionDenied,
                fmt::format("{} is in {}, started by {}; {} may not set it to {}: a client changes only the "
                            "pins it hosts or started (the graph-manager and operator roles may change any)",
                            pin.key.to_string(), proto::to_string(pin.state()), by, requester.describe(),
                            proto::to_string(target)));
}

Result<void> Kernel::Impl::set_state(Pin& pin, PinState target, const StateRequester& requester) {
    if (shut_down && target != PinState::Stop) return fail(Errc::InvalidState, "the kernel is shutting down");
    if (auto r = check_may_change(pin, target, requester); !r) return r;
    // A plain client lowering a pin other live clients hold lowers only its own claim, as a KS
    // handle's SetState moves only its own pin instance: the pin stays at the highest state
    // another holder claims (docs/daemon.md, "Pin holders").
    const bool plain = !requester.privileged && requester.client != kDaemon;
    PinState walk_to = target;
    if (plain && target < pin.state())
        if (const auto others = pin.holders.highest_claim(requester.client); others && *others > target)
            walk_to = std::min(*others, pin.state());
    auto log = logger("core.pin");
    auto r = pin.sm->set_state(walk_to, [&](PinState from, PinState to) {
        log->info("{}: {} -> {}", pin.name, proto::to_string(from), proto::to_string(to));
        emit({KernelEvent::Type::StateChanged, pin.key,
              fmt::format("{} -> {}", proto::to_string(from), proto::to_string(to)), to, requester.client});
        if (to == PinState::Stop) {
            pin.holders.clear();  // back in STOP: nobody's until the next start
            if (pin.pipe) deactivate_if_idle(*pin.pipe);
        }
    });
    // Out of STOP (even if a later step failed): the requester holds the pin like an open handle,
    // at the state it asked for or, when a step failed on the way, the state the pin reached. A
    // client that let go (STOP) of a pin others keep running holds it no more.
    if (pin.state() != PinState::Stop) {
        if (walk_to != target && target == PinState::Stop)
            pin.holders.remove(requester.client);
        else
            pin.holders.claim(requester, walk_to != target ? target : pin.state());
    }
    return r;
}

Result<void> Kernel::Impl::activate(Pipe& pipe, const Pin& asking) {
    if (pipe.active()) return {};
    const AllocatorCommit& c = pipe.commit;
    // What an allocator is created with: for a vendor allocator, the KSALLOCATOR_FRAMING its
    // InitializeAllocator receives.
    const auto request = proto::make_create_request(c.frames, c.frame_size, c.alignment_mask, c.memory_type);
    std::shared_ptr<shm::FrameAllocator> allocator;
    shm::DmaAllocator* dma = nullptr;
    DriverAllocator* driver = nullptr;
    Pin* provider = nullptr;
    if (c.kind == AllocatorCommit::Kind::Vendor) {
        provider = find_pin(c.provider);
        if (!provider || (!provider->vendor && !provider->driver_allocator))
            return fail(Errc::Internal, "vendor pipe without a vendor allocator");
        if (const proto::Fault* f = provider->fault(proto::FaultKind::VendorInitializeFails)) {
            // The injected failure stands for the dispatch's InitializeAllocator itself: it ran
            // (and counts as a call) but returned an error, so no instance exists and nothing
            // (region, ledger pool, mapping) was created.
            ++provider->vendor_calls_retired.initialize;
            return std::unexpected(allocator_failed(
                pipe, *provider, asking, *provider->desc.allocator, request, f->status, f,
                Error{
                    Errc::InsufficientResources,
                    fmt::format("pipe {}: InitializeAllocator of vendor allocator \"{}\" on pin {} returned "
                                "{} (fault {} injected by the topology at {})",
                                pipe.name, provider->desc.allocator->name, c.provider.to_string(),
                                proto::ntstatus_name(f->status), to_string(f->kind), f->pointer)}));
        }
        if (provider->driver_allocator) {
            // The minidriver's own KSALLOCATOR_DISPATCH: its InitializeAllocator runs below.
            allocator = provider->driver_allocator;
            driver = provider->driver_allocator.get();
        } else {
            allocator = provider->vendor;
            dma = provider->vendor.get();
        }
    } else {
        shm::DefaultAllocatorOptions o;
        o.name = options.shm_prefix + "-" + pipe.name;
        o.memory_type = c.memory_type;
        allocator = std::make_shared<shm::DefaultAllocator>(o);
    }
    const std::uint64_t routine_calls = driver ? driver->calls().initialize : 0;
    if (auto r = allocator->initialize(request); !r) {
        Error error{r.error().code, fmt::format("pipe {}: creating the {} allocator failed: {}", pipe.name,
                                                to_string(c.kind), r.error().message)};
        // Only a failure of the driver's routine itself is InitializeAllocator's (a request
        // refused before it ran is not): a status, or a success ksim could not use.
        if (driver && driver->calls().initialize != routine_calls)
            error = allocator_failed(pipe, *provider, asking, driver->caps(), request,
                                     static_cast<std::uint32_t>(driver->last_initialize_status()), nullptr,
                                     std::move(error));
        return std::unexpected(std::move(error));
    }
    auto mapping = shm::WritableMapping::map(allocator->region());
    if (!mapping) {
        allocator->remove();
        return fail(mapping.error().code, fmt::format("pipe {}: {}", pipe.name, mapping.error().message));
    }
    const shm::RegionId region = allocator->region().id();
    if (auto r = ledger.add_pool(region, c.frames); !r) {
        allocator->remove();
        return r;
    }
    pipe.allocator = std::move(allocator);
    pipe.dma = dma;
    pipe.driver = driver;
    pipe.mapping = std::move(*mapping);
    pipe.held.assign(c.frames, HeldFrame{});
    pipe.sg_lists.clear();
    // A driver's allocator places each frame when it first hands it out: its list is built then.
    if (driver) pipe.sg_lists.assign(c.frames, {});
    for (std::uint32_t i = 0; i < c.frames && !driver; ++i)
        pipe.sg_lists.push_back(frame_mappings(PipeFrame{shm::FrameHandle{region, i, 0, 0}, &pipe}));
    pipe_by_region[region] = &pipe;
    pipe.frame_limit = c.frames;
    pipe.exhaustion = nullptr;
    for (const Pin* p : pipe.pins)
        if (const proto::Fault* f = p->fault(proto::FaultKind::PoolExhaustion);
            f && f->frames < pipe.frame_limit) {
            pipe.frame_limit = f->frames;
            pipe.exhaustion = f;
            logger("core.kernel")
                ->warn("pipe {}: hands out at most {} of its {} frames (fault {} at {})", pipe.name,
                       f->frames, c.frames, to_string(f->kind), f->pointer);
        }
    pipe.failure.reset();  // the allocator runs now: an earlier failure is history
    logger("core.kernel")
        ->info("pipe {}: {} allocator created (region {}, {} x {} B)", pipe.name, pipe.allocator_label(),
               region, c.frames, c.frame_size);
    return {};
}

void Kernel::Impl::deactivate_if_idle(Pipe& pipe) {
    if (!pipe.active()) return;
    for (const Pin* p : pipe.pins)
        if (p->state() != PinState::Stop) return;
    const shm::RegionId region = pipe.allocator->region().id();
    const auto still_held = ledger.remove_pool(region);
    auto log = logger("core.kernel");
    if (!still_held.empty())
        log->warn("pipe {}: {} frames still held by clients when the allocator was deleted", pipe.name,
                  still_held.size());
    pipe_by_region.erase(region);
    pipe.held.clear();
    pipe.sg_lists.clear();
    pipe.mapping.reset();
    pipe.allocator->remove();
    if (pipe.dma) {
        // A fresh dispatch instance for the next ACQUIRE; the call counts carry over.
        Pin* provider = find_pin(pipe.commit.provider);
        const shm::DmaCallCounts c = provider->vendor->calls();
        provider->vendor_calls_retired.initialize += c.initialize;
        provider->vendor_calls_retired.allocate += c.allocate;
        provider->vendor_calls_retired.free += c.free;
        provider->vendor_calls_retired.remove += c.remove;
        provider->vendor = std::make_shared<shm::DmaAllocator>(*provider->desc.allocator);
    }
    pipe.dma = nullptr;
    pipe.driver = nullptr;  // the driver's allocator object stays with its pin, DeleteAllocator has run
    pipe.allocator.reset();
    log->info("pipe {}: allocator deleted (every pin in STOP)", pipe.name);
}

void Kernel::Impl::start_streaming(Pin& pin) {
    if (!options.streaming_threads || !pin.driver || pin.streaming) return;
    StreamingThread st;
    st.thread = std::thread(&Kernel::Impl::streaming_loop, this, std::ref(pin), st.control);
    pin.streaming = std::move(st);
    logger("core.pin")->debug("{}: streaming thread started", pin.name);
}

// [[gnu::hot]] marks what every frame runs, so that it shares a few pages with the rest of the
// hand-off's code (docs/memory.md, "Code on the hot path").
[[gnu::hot]] void Kernel::Impl::streaming_loop(Pin& pin, std::shared_ptr<StreamingControl> control) {
    ::pthread_setname_np(::pthread_self(), "ksim-capture");  // top, perf and gdb tell it apart
    // A long slice (KernelOptions::streaming_slice) lets the viewer this thread wakes run at once.
    request_time_slice(options.streaming_slice);
    TickingTargets ticking;  // the client sinks this thread delivered to (note_delivered)
    t_ticking_targets = &ticking;
    std::unique_lock lock(mu);
    while (!control->stop.load()) {
        // Sleep until the hardware's next tick is due, without the kernel lock. stop_streaming
        // sets the flag under the lock before it posts, so a post that lands before we sleep
        // ends the sleep at once: no stop is missed. Any early wake-up just loops and looks again.
        const auto deadline = next_tick(pin);
        const Ticks wait = deadline ? *deadline - clock->now() : kTicksPerSecond;
        if (wait > 0) {
            lock.unlock();
            control->wake.wait_for(std::chrono::duration<Ticks, std::ratio<1, kTicksPerSecond>>(wait));
            lock.lock();
            continue;
        }
        // Timers due now (a capture driver's: simulated DMA, interrupts), timeouts, drops.
        run_ticks(pin);
        // Events and hand-offs to user pins go out with the lock released (a tick rarely has any).
        if (!outbox.empty()) flush(lock);
        if (!ticking.empty()) {
            // After the hand-off, not before: the client's releases are taken on the tick that
            // runs anyway, without the lock (after_delivery calls back into the kernel).
            // A delivery those releases cause meanwhile goes through the outbox, not this list.
            lock.unlock();
            t_ticking_targets = nullptr;
            for (const auto& target : ticking) target->after_delivery();
            t_ticking_targets = &ticking;
            lock.lock();
        }
    }
    lock.unlock();
    t_ticking_targets = nullptr;
    for (const auto& target : ticking) target->ticks_ended();
}

void Kernel::Impl::stop_streaming(Pin& pin) {
    if (!pin.streaming) return;
    pin.streaming->control->stop.store(true);
    pin.streaming->control->wake.post();
    outbox.joins.push_back(std::move(pin.streaming->thread));
    pin.streaming.reset();
    logger("core.pin")->debug("{}: streaming thread stopping", pin.name);
}

void Kernel::Impl::run_due_ticks() {
    for (const auto& f : filters)
        for (const auto& p : f->pins)
            if (p->driver && p->running) run_ticks(*p);
}

std::optional<Ticks> Kernel::Impl::next_tick(const Pin& pin) const {
    return pin.driver->next_timer_deadline();
}

[[gnu::hot]] void Kernel::Impl::run_ticks(Pin& pin) {
    // The driver's "hardware": its timers (ISR + DPC), then stream-pointer timeouts.
    pin.driver->fire_timers(clock->now());
    pin.queue->fire_timeouts();
    pin.driver->check_stall(clock->now());
    sync_drops(pin);
}

}  // namespace ksim::daemon
