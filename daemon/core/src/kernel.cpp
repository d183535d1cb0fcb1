// Kernel facade: creation from a topology, queries, and the lock/outbox discipline around every
// call (see kernel_impl.hpp). The work itself lives in kernel_{commit,state,flow,user}.cpp.
#include <fmt/format.h>

#include <algorithm>

#include "builtin_drivers.hpp"
#include "kernel_impl.hpp"
#include "ksim/ddk_host/driver_host.hpp"
#include "ksim/proto/pin_lookup.hpp"
#include "logging.hpp"

namespace ksim::daemon {

using proto::FilterKind;
using proto::PinDirection;
using proto::PinHosting;

// Who runs a pin's side of the stream: a client for a user-hosted pin (every pin of a user_*
// filter is one), otherwise a driver, loaded or built in: every kernel-hosted kind is a driver,
// so the role says only which side of the driver the pin is. A pin its driver has no descriptor
// for (a capture filter's input, a sink's output) is inert: what reaches it goes home.
PinRole role_for(const proto::FilterDescriptor& filter, const proto::PinDescriptor& pin) {
    const bool out = pin.direction == PinDirection::Out;
    const bool client = pin.hosting == PinHosting::User || filter.kind == FilterKind::UserSource ||
                        filter.kind == FilterKind::UserSink;
    if (client) return out ? PinRole::UserSource : PinRole::UserSink;
    return out ? PinRole::DriverOut : PinRole::DriverIn;
}

void link_upstream(const Pin& from, Pin& to) {
    to.builtin.upstream = &from.builtin;
}

Ticks frame_period(const proto::FilterDescriptor& filter) {
    if (filter.video && filter.video->fps_numerator > 0) {
        return std::max<Ticks>(1,
                               kTicksPerSecond * filter.video->fps_denominator / filter.video->fps_numerator);
    }
    if (filter.audio && filter.audio->sample_rate > 0) {
        return std::max<Ticks>(1,
                               kTicksPerSecond * filter.audio->frames_per_period / filter.audio->sample_rate);
    }
    return kTicksPerSecond / 30;
}

std::string Pipe::allocator_label() const {
    switch (commit.kind) {
        case AllocatorCommit::Kind::Default:
            return "default";
        case AllocatorCommit::Kind::User:
            return "user";
        case AllocatorCommit::Kind::Vendor:
            if (driver) return "vendor:" + driver->kind();
            return dma ? "vendor:" + dma->kind() : "vendor";
    }
    return "?";
}

Pin::Pin(Kernel::Impl& k, FilterRuntime& f, proto::PinDescriptor d)
    : kernel(k), filter(f), desc(std::move(d)), key{f.desc.id, desc.id}, name(f.desc.id + "/" + desc.id) {
    role = role_for(f.desc, desc);
    framing = proto::effective_framing(f.desc, desc);
    sm = std::make_unique<PinStateMachine>(name, *this);
    const bool builtin = k.builtins && builtin_driver(f.desc.kind) != nullptr;
    ddk_host::PinInstance* instance = nullptr;
    if (f.desc.kind == FilterKind::Driver) {
        instance = k.options.drivers ? k.options.drivers->find_pin(f.desc.id, desc.id) : nullptr;
        if (!instance) return;  // Kernel::create refuses the topology
    } else if (builtin) {
        // Null for a pin the built-in driver has no descriptor for (a sink's output pin).
        instance = k.builtins->find_pin(f.desc.id, desc.id);
        if (instance) instance->builtin_link = &this->builtin;
        this->builtin.streaming_thread = k.options.streaming_threads;
    }
    // A vendor allocator the config declares for a built-in kind's pin is the class driver's.
    if (f.desc.kind != FilterKind::Driver && desc.allocator &&
        desc.allocator->mode == proto::AllocatorMode::Kernel)
        vendor = std::make_shared<shm::DmaAllocator>(*desc.allocator);
    if (instance) {
        const ULONG flags = instance->ks.Descriptor->Flags;
        queue = std::make_unique<StreamQueue>(
            StreamQueue::Options{desc.direction, (flags & KSPIN_FLAG_DISTINCT_TRAILING_EDGE) != 0,
                                 (flags & KSPIN_FLAG_GENERATE_MAPPINGS) != 0},
            *k.clock, [this](QueuedFrame&& frame) {
                if (desc.direction == PinDirection::In)
                    return kernel.on_input_complete(*this, std::move(frame));
                driver->frame_completing(frame);
                kernel.on_output_complete(*this, std::move(frame));
            });
        verifier = std::make_unique<Verifier>(
            instance->device().module->path, key, *k.clock,
            [this, driver_path = instance->device().module->path](const VerifierViolation& v) {
                kernel.emit({KernelEvent::Type::VerifierViolation, key,
                             v.rule + ": " + v.routine + ": " + v.message, state(), kDaemon, std::nullopt, v,
                             driver_path});
            });
        driver = std::make_unique<DriverPin>(*instance, *queue, *k.clock, *verifier, frame_period(f.desc));
        if (instance->allocator() && desc.allocator)
            driver_allocator = std::make_shared<DriverAllocator>(
                *instance, *desc.allocator, k.options.shm_prefix + "-" + name + "-common", verifier.get());
    }
}

Kernel::Impl::Impl(KernelOptions o, EventSink& e, UserPinPort& p)
    : options(std::move(o)),
      clock(options.clock ? options.clock : std::make_shared<SteadyClock>()),
      events(e),
      port(p) {}

Pin* Kernel::Impl::find_pin(const PinRef& key) const {
    const FilterRuntime* f = find_filter(key.filter);
    if (!f) return nullptr;
    for (const auto& p : f->pins)
        if (p->desc.id == key.pin) return p.get();
    return nullptr;
}

FilterRuntime* Kernel::Impl::find_filter(std::string_view id) const {
    for (const auto& f : filters)
        if (f->desc.id == id) return f.get();
    return nullptr;
}

Result<Pin*> Kernel::Impl::pin_or_error(const PinRef& key) const {
    if (Pin* p = find_pin(key)) return p;
    // The wording of the config loader's unknown pins (proto/pin_lookup.hpp), with its hint. It
    // reads the named filter's pins or, when there is none, the filter ids: only those are
    // copied (a miss happens on every event about a removed pin).
    std::vector<proto::FilterPinIds> graph;
    for (const auto& f : filters) {
        auto& ids = graph.emplace_back(proto::FilterPinIds{f->desc.id, {}});
        if (f->desc.id == key.filter)
            for (const auto& p : f->pins) ids.pins.push_back(p->desc.id);
    }
    return fail(Errc::NotFound, proto::describe_unknown_pin({key.filter, key.pin}, graph).to_string());
}

Pin* Kernel::Impl::add_pin(FilterRuntime& filter, proto::PinDescriptor desc) {
    auto pin = std::make_unique<Pin>(*this, filter, std::move(desc));
    pin->ledger_id = next_pin_ledger_id++;
    filter.pins.push_back(std::move(pin));
    return filter.pins.back().get();
}

void Kernel::Impl::flush(std::unique_lock<std::mutex>& lock) {
    while (!outbox.empty()) {
        Outbox out = std::move(outbox);
        outbox = {};
        lock.unlock();
        for (std::thread& t : out.joins) {
            if (!t.joinable()) continue;
            if (t.get_id() == std::this_thread::get_id())
                t.detach();  // a thread never joins itself
            else
                t.join();
        }
        for (const KernelEvent& e : out.events) events.on_event(e);
        std::vector<Delivery> refused;
        for (const Delivery& d : out.deliveries)
            if (!port.deliver(d.owner, d.pin, d.frame, d.header)) refused.push_back(d);
        for (const auto& target : out.delivered) target->after_delivery();
        lock.lock();
        for (const Delivery& d : refused) {
            // The client could not take it (ring full, gone): a drop, and the frame goes home.
            Pin* pin = find_pin(d.pin);
            if (pin) {
                ++pin->dropped;
                emit({KernelEvent::Type::FrameDropped, d.pin, "hand-off to client refused", pin->state(),
                      d.owner});
            }
            if (Pipe* pipe = pipe_of(d.frame)) give_back(PipeFrame{d.frame, pipe}, d.owner);
        }
        // Keeps the list's storage: a submission delivers (and lands here) on every frame.
        if (outbox.delivered.empty()) {
            out.delivered.clear();
            outbox.delivered.swap(out.delivered);
        }
    }
}

// ---------------------------------------------------------------------------------------------

namespace {
// The filter-centric side of a driver filter (loaded or built in) whose KSFILTER_DISPATCH has
// Process (else null): its pins in pin-descriptor order, as the process pin index lists them.
std::unique_ptr<DriverFilter> make_driver_filter(FilterRuntime& filter) {
    const auto hosted = std::ranges::find_if(filter.pins, [](const auto& p) { return p->driver != nullptr; });
    if (hosted == filter.pins.end()) return nullptr;
    ddk_host::FilterInstance& instance = *(*hosted)->driver->instance().filter;
    const KSFILTER_DISPATCH* d = instance.dispatch();
    if (d == nullptr || d->Process == nullptr) return nullptr;
    std::vector<DriverPin*> pins;
    for (const auto& pin_instance : instance.pins)
        for (const auto& p : filter.pins)
            if (p->driver && &p->driver->instance() == pin_instance.get()) pins.push_back(p->driver.get());
    // A built-in driver's instances are created in the config's pin order.
    std::ranges::stable_sort(pins, {}, [](const DriverPin* p) { return p->instance().ks.Id; });
    return std::make_unique<DriverFilter>(instance, std::move(pins));
}
}  // namespace

Result<std::unique_ptr<Kernel>> Kernel::create(const proto::Topology& topology, KernelOptions options,
                                               EventSink& events, UserPinPort& port) {
    auto impl = std::make_unique<Impl>(std::move(options), events, port);
    for (const proto::FilterDescriptor& fd : topology.filters) {
        // The config reader refuses this too (filter.in-place-pair); a topology built in code
        // reaches here.
        if (fd.kind == FilterKind::InPlaceTransform)
            if (auto problem = proto::in_place_pair_problem(fd)) return fail(Errc::InvalidConfig, *problem);
        if (const ddk_host::StaticDriver* builtin = builtin_driver(fd.kind)) {
            if (!impl->builtins)
                impl->builtins = std::make_unique<ddk_host::DriverHost>(
                    impl->options.drivers ? impl->options.drivers->options() : ddk_host::HostOptions{});
            // Each pin's ConnectionFormat is the format crossing it (a copy transform's input
            // pin: its upstream's), as KSPROPERTY_CONNECTION_DATAFORMAT reports it.
            const auto pin_format = [&](const proto::PinDescriptor& pin) {
                return topology_format(topology, fd, pin);
            };
            if (auto hosted = impl->builtins->host_static(fd, *builtin, pin_format); !hosted)
                return fail(Errc::InvalidConfig,
                            fmt::format("filter {}: built-in driver {}: {} ({})", fd.id, builtin->name,
                                        hosted.error().message, hosted.error().rule));
        }
        auto filter = std::make_unique<FilterRuntime>();
        filter->desc = fd;
        filter->desc.pins.clear();
        for (const proto::PinDescriptor& pd : fd.pins) {
            Pin* pin = impl->add_pin(*filter, pd);
            if (fd.kind == FilterKind::Driver && !pin->driver)
                return fail(
                    Errc::InvalidConfig,
                    fmt::format("driver filter {} pin {}: no driver instance (the topology must be loaded "
                                "through the kernel's DriverHost)",
                                fd.id, pd.id));
        }
        filter->desc.pins = fd.pins;
        filter->driver = make_driver_filter(*filter);
        impl->pair_in_place(*filter);
        impl->filters.push_back(std::move(filter));
    }
    for (const proto::Connection& c : topology.connections) {
        Pin* from = impl->find_pin(PinRef{c.from.filter, c.from.pin});
        Pin* to = impl->find_pin(PinRef{c.to.filter, c.to.pin});
        if (!from || !to) {
            return fail(Errc::InvalidConfig, fmt::format("connection {} names an unknown pin", c.id()));
        }
        from->peer = to;
        to->peer = from;
        impl->connections.emplace_back(from, to);
        link_upstream(*from, *to);
        // A minidriver's pin hears of its connection (KSPIN_DISPATCH.Connect).
        for (Pin* p : {from, to})
            if (p->driver) p->driver->connect();
    }
    for (const proto::Fault& f : topology.faults) {
        Pin* pin = impl->find_pin(PinRef{f.pin.filter, f.pin.pin});
        if (!pin) return fail(Errc::InvalidConfig, fmt::format("fault {} names an unknown pin", f.pointer));
        pin->faults.push_back(f);
        logger("core.kernel")->warn("{}: fault {} injected ({})", pin->name, to_string(f.kind), f.pointer);
        if (f.kind == proto::FaultKind::StallReleases) {
            pin->stall.emplace();
            pin->stall->fault = f;
            pin->stall->length = static_cast<Ticks>(f.microseconds) * (kTicksPerMillisecond / 1000);
        }
        if (f.kind == proto::FaultKind::DisconnectClient) {
            pin->disconnect.emplace();
            pin->disconnect->fault = f;
        }
        // A capture driver's interrupt line (topology rules allow these on capture pins only).
        InterruptFaults& irq = pin->builtin.interrupt_faults;
        if (f.kind == proto::FaultKind::DropInterrupts) irq.drop_every = f.every;
        if (f.kind == proto::FaultKind::DelayInterrupts)
            irq.delay = static_cast<Ticks>(f.microseconds) * (kTicksPerMillisecond / 1000);
    }
    logger("core.kernel")
        ->info("kernel: {} filters, {} connections from topology '{}'", impl->filters.size(),
               impl->connections.size(), topology.name);
    auto kernel = std::unique_ptr<Kernel>(new Kernel(std::move(impl)));
    kernel->topology_name_ = topology.name;
    kernel->memory_types_ = topology.memory_types;
    return kernel;
}

Kernel::Kernel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Kernel::~Kernel() {
    shutdown();
}

namespace {
// A pin that declared only ALLOCATORFRAMING answers only that property, unless its format edit
// changed the framing (then the driver reports the edited framing through _EX, as
// graph_from_topology assumes offline).
std::optional<proto::AllocatorFraming> legacy_only_framing(const Pin& p) {
    if (p.desc.framing || !p.desc.legacy_framing || !p.framing) return std::nullopt;
    if (*p.framing != proto::to_framing_ex(*p.desc.legacy_framing)) return std::nullopt;
    return p.desc.legacy_framing;
}

PinSnapshot info_of(const Pin& p) {
    PinSnapshot i;
    i.key = p.key;
    i.direction = p.desc.direction;
    i.hosting = p.desc.hosting;
    i.state = p.state();
    i.owner = p.owner;
    i.holders = p.holders.ids();
    i.creator = p.dynamic ? p.filter.creator : kDaemon;
    i.framing = p.framing;
    i.legacy_framing = legacy_only_framing(p);
    i.medium = p.desc.medium;
    if (p.desc.allocator) {
        i.vendor_allocator = p.desc.allocator->name;
        i.vendor_caps = p.desc.allocator;
    }
    i.committed = p.pipe != nullptr;
    if (p.pipe) i.allocator = p.pipe->allocator_label();
    return i;
}
}  // namespace

std::vector<FilterSnapshot> Kernel::filters() const {
    std::lock_guard lock(impl_->mu);
    std::vector<FilterSnapshot> out;
    for (const auto& f : impl_->filters) {
        FilterSnapshot fi{f->desc.id, f->desc.kind, {}, f->desc.video, f->desc.audio};
        for (const auto& p : f->pins) fi.pins.push_back(info_of(*p));
        out.push_back(std::move(fi));
    }
    return out;
}

Result<PinSnapshot> Kernel::pin(const PinRef& key) const {
    std::lock_guard lock(impl_->mu);
    auto found = impl_->pin_or_error(key);
    if (!found) return std::unexpected(found.error());
    return info_of(**found);
}

Result<proto::AllocatorFramingEx> Kernel::allocator_framing_ex(const PinRef& key) const {
    std::lock_guard lock(impl_->mu);
    auto pin = impl_->pin_or_error(key);
    if (!pin) return std::unexpected(pin.error());
    if (!(*pin)->framing) {
        return fail(
            Errc::Unsupported,
            fmt::format("{} answers neither ALLOCATORFRAMING_EX nor ALLOCATORFRAMING", key.to_string()));
    }
    if (legacy_only_framing(**pin))
        return fail(Errc::Unsupported,
                    fmt::format("{} answers only the legacy ALLOCATORFRAMING property (read that "
                                "and convert it, as KsProxy does)",
                                key.to_string()));
    return *(*pin)->framing;
}

Result<proto::AllocatorFraming> Kernel::allocator_framing(const PinRef& key) const {
    std::lock_guard lock(impl_->mu);
    auto pin = impl_->pin_or_error(key);
    if (!pin) return std::unexpected(pin.error());
    if (auto legacy = legacy_only_framing(**pin)) return *legacy;
    if ((*pin)->framing)
        return fail(
            Errc::Unsupported,
            fmt::format("{} answers ALLOCATORFRAMING_EX, not the legacy ALLOCATORFRAMING", key.to_string()));
    return fail(Errc::Unsupported,
                fmt::format("{} answers neither ALLOCATORFRAMING_EX nor ALLOCATORFRAMING", key.to_string()));
}

Result<StreamAllocatorStatus> Kernel::allocator_status(const PinRef& key) const {
    std::lock_guard lock(impl_->mu);
    auto pin = impl_->pin_or_error(key);
    if (!pin) return std::unexpected(pin.error());
    const Pipe* pipe = (*pin)->pipe;
    if (!pipe)
        return fail(Errc::NotCommitted, fmt::format("{}: no allocator decision committed", key.to_string()));
    StreamAllocatorStatus s;
    s.framing = proto::make_create_request(pipe->commit.frames, pipe->commit.frame_size,
                                           pipe->commit.alignment_mask, pipe->commit.memory_type);
    s.active = pipe->active();
    if (pipe->active()) s.allocated_frames = pipe->allocator->status().outstanding;
    return s;
}

Result<std::uint64_t> Kernel::reset_stats(const std::optional<PinRef>& key) {
    std::lock_guard lock(impl_->mu);
    std::vector<Pin*> pins;
    if (key) {
        auto found = impl_->pin_or_error(*key);
        if (!found) return std::unexpected(found.error());
        pins.push_back(*found);
    } else {
        for (const auto& f : impl_->filters)
            for (const auto& p : f->pins) pins.push_back(p.get());
    }
    // What wire::ResetStatisticsRequest documents: counters of what happened, not facts of now
    // (in flight, the allocator) nor the vendor allocator's call counts or the verifier's record.
    for (Pin* p : pins) {
        p->completed = 0;
        p->dropped = 0;
        p->latency_samples = 0;
        p->latency_sum_us = 0;
        p->latency_max_us = 0;
        p->hold_samples = 0;
        p->hold_sum_us = 0;
        p->hold_max_us = 0;
        p->builtin.check_failures = 0;
    }
    return pins.size();
}

Result<PinStats> Kernel::stats(const PinRef& key) const {
    std::lock_guard lock(impl_->mu);
    auto found = impl_->pin_or_error(key);
    if (!found) return std::unexpected(found.error());
    const Pin& p = **found;
    PinStats s;
    s.completed = p.completed;
    s.dropped = p.dropped;
    if (p.pipe) {
        s.allocator = p.pipe->allocator_label();
        if (p.pipe->active()) s.in_flight = p.pipe->allocator->status().outstanding;
    }
    s.latency_samples = p.latency_samples;
    s.latency_avg_us = p.latency_samples ? p.latency_sum_us / static_cast<double>(p.latency_samples) : 0.0;
    s.latency_max_us = p.latency_max_us;
    s.hold_samples = p.hold_samples;
    s.hold_avg_us = p.hold_samples ? p.hold_sum_us / static_cast<double>(p.hold_samples) : 0.0;
    s.hold_max_us = p.hold_max_us;
    s.check_failures = p.builtin.check_failures;
    if (p.vendor) {
        shm::DmaCallCounts c = p.vendor->calls();
        c.initialize += p.vendor_calls_retired.initialize;
        c.allocate += p.vendor_calls_retired.allocate;
        c.free += p.vendor_calls_retired.free;
        c.remove += p.vendor_calls_retired.remove;
        s.vendor_calls = c;
        s.vendor_name = p.vendor->kind();
        s.vendor_initialized = p.pipe && p.pipe->active() && p.pipe->dma == p.vendor.get();
    } else if (p.driver_allocator) {
        s.vendor_calls = p.driver_allocator->calls();
        s.vendor_name = p.driver_allocator->kind();
        s.vendor_initialized = p.pipe && p.pipe->active() && p.pipe->driver == p.driver_allocator.get();
    }
    if (s.vendor_calls && p.pipe && p.pipe->commit.provider == p.key) s.vendor_failure = p.pipe->failure;
    if (p.verifier) s.verifier_violations = p.verifier->total();
    return s;
}

Result<VerifierReport> Kernel::verifier_report(const PinRef& key) const {
    std::lock_guard lock(impl_->mu);
    auto found = impl_->pin_or_error(key);
    if (!found) return std::unexpected(found.error());
    const Pin& p = **found;
    if (!p.verifier)
        return fail(Errc::InvalidArgument,
                    fmt::format("pin {} is not a driver's pin: the verifier watches only minidriver pins "
                                "(docs/minidriver.md, \"Verifier\")",
                                key.to_string()));
    return p.verifier->snapshot();
}

std::vector<ConnectionSnapshot> Kernel::connections() const {
    std::lock_guard lock(impl_->mu);
    std::vector<ConnectionSnapshot> out;
    for (auto [from, to] : impl_->connections) {
        ConnectionSnapshot c{from->key, to->key, from->kernel_hosted() && to->kernel_hosted(), std::nullopt};
        if (from->pipe && from->pipe == to->pipe) {
            c.decision = from->pipe->commit;
            c.allocator_failure = from->pipe->failure;
        }
        out.push_back(std::move(c));
    }
    return out;
}

Result<void> Kernel::commit(const AllocatorCommit& c) {
    std::unique_lock lock(impl_->mu);
    auto r = impl_->commit(c);
    impl_->flush(lock);
    return r;
}

Result<void> Kernel::set_state(const PinRef& key, proto::PinState target, const StateRequester& requester) {
    std::unique_lock lock(impl_->mu);
    auto pin = impl_->pin_or_error(key);
    if (!pin) return std::unexpected(pin.error());
    // A user source's free-frame ring empties before STOP, so the pool is deleted with every
    // frame back home; any other outcome refills it (a no-op for other pins and in STOP).
    if (auto allowed = impl_->check_may_change(**pin, target, requester); !allowed) return allowed;
    if (target == proto::PinState::Stop) impl_->retract_free_frames(**pin);
    auto r = impl_->set_state(**pin, target, requester);
    impl_->post_free_frames(**pin);
    impl_->flush(lock);
    return r;
}

void Kernel::advance_time() {
    std::unique_lock lock(impl_->mu);
    impl_->end_due_stalls();  // first: frames a stall gives back are there for this tick
    impl_->run_due_ticks();
    impl_->flush(lock);
}

void Kernel::shutdown() {
    std::unique_lock lock(impl_->mu);
    if (impl_->shut_down) return;
    for (const auto& f : impl_->filters)
        for (const auto& p : f->pins) {
            impl_->retract_free_frames(*p);  // posted free frames go home before their pool goes
            (void)impl_->set_state(*p, proto::PinState::Stop, StateRequester{});
        }
    impl_->shut_down = true;
    // Events of the final STOPs still go out; user hand-offs cannot happen any more.
    impl_->flush(lock);
    logger("core.kernel")->info("kernel: shut down");
}

}  // namespace ksim::daemon
