// Commit: the daemon checks every allocator decision the graph manager sends with the
// negotiation engine's own rules (negotiation::check_commit: a whole pipe, well-formed values
// inside every pin's framing, an allocator the mode and capability rules accept), then that every
// pin is in STOP, and records the pipe. It also pairs a filter's in-place pins by the engine's
// rule, so that the pins the engine puts in one pipe are the ones ksimd treats as one section.
#include <fmt/format.h>

#include <algorithm>

#include "kernel_impl.hpp"
#include "ksim/negotiation/commit_check.hpp"
#include "logging.hpp"

namespace ksim::daemon {

namespace {

// The engine's input as ksimd's own pins answer it: the same facts ksim-graphmgr reads over the
// protocol (framing after the format edit, hosting, medium, vendor allocator), built with the
// same add_filter, so the commit is checked against the graph it was negotiated on.
// One filter's pins as the engine reads them.
std::vector<negotiation::PinInput> pin_inputs(const FilterRuntime& filter) {
    std::vector<negotiation::PinInput> pins;
    for (const auto& pin : filter.pins) {
        negotiation::PinInput& in = pins.emplace_back();
        in.id = pin->key.to_string();
        in.direction = pin->desc.direction;
        in.hosting = pin->desc.hosting;
        in.medium = pin->desc.medium;
        in.framing = pin->framing;
        in.allocator = pin->desc.allocator;
    }
    return pins;
}

negotiation::Graph graph_of(const std::vector<std::unique_ptr<FilterRuntime>>& filters,
                            const std::vector<std::pair<Pin*, Pin*>>& connections) {
    negotiation::Graph g;
    for (const auto& filter : filters) negotiation::add_filter(g, pin_inputs(*filter));
    for (const auto& [from, to] : connections)
        g.connections.push_back({from->key.to_string(), to->key.to_string()});
    return g;
}

negotiation::CommitRequest to_request(const AllocatorCommit& c) {
    negotiation::CommitRequest r;
    for (const auto& [from, to] : c.connections) r.connections.push_back({from.to_string(), to.to_string()});
    r.kind = c.kind;
    r.provider = c.provider.to_string();
    r.memory_type = c.memory_type;
    r.framing = {c.frame_size, c.frames, c.alignment_mask};
    return r;
}

}  // namespace

Result<void> Kernel::Impl::commit(const AllocatorCommit& c) {
    if (auto checked = negotiation::check_commit(graph_of(filters, connections), to_request(c)); !checked)
        return checked;
    std::vector<Pin*> pins;
    for (const auto& [from, to] : c.connections)
        for (const PinRef* key : {&from, &to})
            if (Pin* p = find_pin(*key); std::ranges::find(pins, p) == pins.end()) pins.push_back(p);
    for (Pin* p : pins) {
        const std::vector<Pin*> affected = p->pipe ? p->pipe->pins : std::vector<Pin*>{p};
        for (Pin* q : affected)
            if (q->state() != proto::PinState::Stop) {
                return fail(Errc::InvalidState,
                            fmt::format("cannot commit while {} is in {}; set it to STOP first",
                                        q->key.to_string(), proto::to_string(q->state())));
            }
    }
    Pin* provider = find_pin(c.provider);

    // Valid: replace any previous decision covering these pins.
    for (Pin* p : pins)
        if (p->pipe) drop_pipe(*p->pipe);
    auto pipe = std::make_unique<Pipe>();
    pipe->commit = c;
    if (c.kind == AllocatorCommit::Kind::Vendor && c.memory_type.is_null())
        pipe->commit.memory_type = provider->desc.allocator->memory_type;
    std::string name;
    for (const auto& [from, to] : c.connections)
        name += (name.empty() ? "" : ",") + from.to_string() + "->" + to.to_string();
    pipe->name = name;
    pipe->pins = pins;
    for (Pin* p : pins) p->pipe = pipe.get();
    for (Pin* p : pins) sync_in_place(*p);
    logger("core.kernel")
        ->info("pipe {}: committed {} allocator from {} ({} x {} B, align {:#x})", pipe->name,
               to_string(c.kind), c.provider.to_string(), c.frames, c.frame_size, c.alignment_mask);
    emit({KernelEvent::Type::AllocatorCommitted, c.provider,
          fmt::format("{}: {} x {} B, {}", pipe->name, c.frames, c.frame_size, pipe->allocator_label()),
          proto::PinState::Stop, kDaemon});
    pipes.push_back(std::move(pipe));
    return {};
}

void Kernel::Impl::drop_pipe(Pipe& pipe) {
    for (Pin* p : pipe.pins) p->pipe = nullptr;
    for (Pin* p : pipe.pins) sync_in_place(*p);
    std::erase_if(pipes, [&](const auto& up) { return up.get() == &pipe; });
}

void Kernel::Impl::pair_in_place(FilterRuntime& filter) {
    // The engine's own rule (add_filter), so that ksimd pairs exactly the pins it puts in one pipe.
    negotiation::Graph g;
    negotiation::add_filter(g, pin_inputs(filter));
    for (const negotiation::InPlacePair& pair : g.in_place) {
        Pin* in = nullptr;
        Pin* out = nullptr;
        for (const auto& p : filter.pins) {
            if (p->key.to_string() == pair.input) in = p.get();
            if (p->key.to_string() == pair.output) out = p.get();
        }
        if (!in || !out) continue;
        in->in_place = out;
        out->in_place = in;
    }
}

void Kernel::Impl::sync_in_place(Pin& pin) {
    Pin* other = pin.in_place;
    if (!other || !pin.driver || !other->driver) return;
    // One pipe: the engine kept the chain through the pair whole, so the pair is one pipe section.
    const bool one_section = pin.pipe != nullptr && pin.pipe == other->pipe;
    pin.driver->set_in_place_counterpart(one_section ? other->driver.get() : nullptr);
    other->driver->set_in_place_counterpart(one_section ? pin.driver.get() : nullptr);
}

}  // namespace ksim::daemon
