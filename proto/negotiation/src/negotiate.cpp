// The engine's entry point: plan pipes, negotiate each one, split a pipe that cannot share one
// allocator into its connections (KsProxy splits pipes rather than fail), and copy each pipe's
// decision into the records of its connections.
#include "ksim/negotiation/negotiate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "engine.hpp"
#include "ksim/negotiation/rules.hpp"

namespace ksim::negotiation {
namespace {

using namespace detail;

struct PipeOutcome {
    Decision decision;
    std::optional<Finding> split;  // set when a multi-connection plan must be split instead
};

// Buffers reused from pipe to pipe, so negotiating a pipe allocates only what its records keep.
struct Scratch {
    MemoryChoice memory;
    std::vector<std::size_t> own;  // per plan pin: its own item (pins with separate allocators)
    std::vector<std::size_t> all;  // 0, 1, ... plan.pins.size() - 1
};

void note_framing_props(const PreparedGraph& g, const PipePlan& plan, RecordVector<Finding>& notes) {
    for (std::size_t p : plan.pins) {
        const PreparedPin& pin = g.pins[p];
        if (pin.prop == proto::FramingProp::Old)
            notes.push_back(
                make_finding(rule::kLegacyConverted,
                             format_record("{} answers only the legacy ALLOCATORFRAMING; converted to one "
                                           "ALLOCATORFRAMING_EX item ({})",
                                           pin.id(), memory_label(g, pin.framing().items[0].memory_type)),
                             {{"pin", pin.id()}}));
        else if (pin.prop == proto::FramingProp::None)
            notes.push_back(make_finding(rule::kNoFraming,
                                         format_record("{} has no framing; treated as don't-care", pin.id()),
                                         {{"pin", pin.id()}}));
    }
}

std::string pipe_path(const PreparedGraph& g, const PipePlan& plan) {
    std::string path = g.pins[plan.pins.front()].id();
    for (std::size_t i = 1; i < plan.pins.size(); i += 2) {
        path += " -> ";
        path += g.pins[plan.pins[i]].id();
    }
    return path;
}

// A failed connection initializes nothing; each vendor allocator says so, with the failure's rule.
void list_unevaluated_vendors(const PreparedGraph& g, const PipePlan& plan, Decision& d) {
    for (std::size_t p : plan.pins) {
        const PreparedPin& pin = g.pins[p];
        if (!pin.input->allocator) continue;
        const auto& caps = *pin.input->allocator;
        Candidate c;
        c.allocator = {AllocatorKind::Vendor, caps.mode, caps.memory_type, RecordString(caps.name),
                       RecordString(pin.id())};
        c.reasons.push_back(make_finding(
            d.failure->rule, format_record("{} of {} is not initialized: the connection fails ({})",
                                           caps.name, pin.id(), d.failure->rule)));
        d.candidates.push_back(std::move(c));
    }
}

// Two allocators with a copy between them: each pin keeps its own memory type.
void negotiate_with_copy(const PreparedGraph& g, const PipePlan& plan, Scratch& scratch, Decision& d) {
    const MemoryChoice& memory = scratch.memory;
    own_items(g, plan, scratch.own);
    const std::vector<std::size_t>& items = scratch.own;
    Combined combined = combine_framing(g, plan, items, d.notes);
    if (combined.failure) {
        d.status = Status::Failed;
        d.failure = std::move(combined.failure);
        list_unevaluated_vendors(g, plan, d);
        return;
    }
    d.framing = combined.framing;
    const std::size_t up[] = {0}, down[] = {1};
    auto side_type = [&](std::size_t pos) {
        return memory.common.value_or(g.pins[plan.pins[pos]].framing().items[items[pos]].memory_type);
    };
    SideResult a = select_allocator(g, plan, {up, items, side_type(0), 0}, d.framing);
    SideResult b = select_allocator(g, plan, {down, items, side_type(1), 1}, d.framing);
    // Once per pipe: the walk may already have said why the device type was passed over.
    const bool explained = std::ranges::any_of(
        d.notes, [](const Finding& n) { return n.rule == rule::kDeviceMemoryPassedOver; });
    for (const auto& [side, pos] : {std::pair{&a, std::size_t{0}}, std::pair{&b, std::size_t{1}}}) {
        if (explained || side->chosen.kind != AllocatorKind::Default ||
            default_allocator_makes(side_type(pos)))
            continue;
        const std::string device = memory_label(g, side_type(pos));
        const std::string& pin = g.pins[plan.pins[pos]].id();
        d.notes.push_back(make_finding(
            rule::kDeviceMemoryPassedOver,
            format_record(
                "{} asks for {} memory, which only a vendor allocator makes, and no vendor allocator "
                "serves it; the default allocator of {} makes KERNEL_NONPAGED pool memory",
                pin, device, pin),
            {{"device_memory_type", device}, {"memory_type", std::string("KERNEL_NONPAGED")}}));
    }
    d.allocator = std::move(a.chosen);
    d.copy_allocator = std::move(b.chosen);
    d.copies = 1;
    d.candidates = std::move(a.candidates);
    for (auto& c : b.candidates) d.candidates.push_back(std::move(c));
}

// Frame size, frames and alignment for the plan's items into the decision; false when the hard
// ranges do not meet: a multi-connection plan is then to be split, a single one fails.
bool combine_into(const PreparedGraph& g, const PipePlan& plan, const MemoryChoice& memory,
                  PipeOutcome& out) {
    Decision& d = out.decision;
    Combined combined = combine_framing(g, plan, memory.items, d.notes);
    if (!combined.failure) {
        d.framing = combined.framing;
        return true;
    }
    if (plan.connections.size() > 1) {
        out.split = std::move(combined.failure);
        return false;
    }
    d.status = Status::Failed;
    d.failure = std::move(combined.failure);
    list_unevaluated_vendors(g, plan, d);
    return false;
}

// The first common type is device memory and no vendor allocator serves the pipe: the default
// allocator makes pool memory only, so the walk goes on to the next common type it can make; when
// none is left the pipe is decided as one without a common memory type.
PipeOutcome pass_over_device_memory(const PreparedGraph& g, const PipePlan& plan, Scratch& scratch,
                                    std::size_t notes_before_framing, PipeOutcome out) {
    Decision& d = out.decision;
    // The framing is combined again for the new items: its notes are dropped, not repeated.
    d.notes.erase(d.notes.begin() + static_cast<std::ptrdiff_t>(notes_before_framing), d.notes.end());
    const std::string device = memory_label(g, *scratch.memory.common);
    const bool multi = plan.connections.size() > 1;
    if (!choose_pool_memory(g, plan, scratch.memory)) {
        Finding f = make_finding(
            rule::kDeviceMemoryPassedOver,
            format_record("{} is device memory, which only a vendor allocator makes, and no vendor allocator "
                          "serves {}; no other common type is one the default allocator makes, so each side "
                          "gets its own allocator and frames are copied between them",
                          device, pipe_path(g, plan)),
            {{"device_memory_type", device}});
        if (multi) {
            out.split = std::move(f);
            return out;
        }
        d.notes.push_back(std::move(f));
        scratch.memory.common.reset();
        negotiate_with_copy(g, plan, scratch, d);
        return out;
    }
    const MemoryChoice& memory = scratch.memory;
    const std::string pool = memory.common->is_null() ? "KERNEL_NONPAGED" : memory_label(g, *memory.common);
    d.notes.push_back(make_finding(
        rule::kDeviceMemoryPassedOver,
        format_record("{} is device memory, which only a vendor allocator makes, and no vendor allocator "
                      "serves {}; the default allocator uses {}, the next type every pin lists",
                      device, pipe_path(g, plan), pool),
        {{"device_memory_type", device}, {"memory_type", pool}}));
    if (!combine_into(g, plan, memory, out)) return out;
    SideResult side = select_allocator(g, plan, {scratch.all, memory.items, *memory.common, 1}, d.framing);
    d.allocator = std::move(side.chosen);
    d.candidates = std::move(side.candidates);
    return out;
}

PipeOutcome negotiate_plan(const PreparedGraph& g, const PipePlan& plan, Scratch& scratch) {
    PipeOutcome out;
    Decision& d = out.decision;
    d.mode = plan.mode;
    const bool multi = plan.connections.size() > 1;
    note_framing_props(g, plan, d.notes);
    if (multi)
        d.notes.push_back(
            make_finding(rule::kInPlacePipe,
                         format_record("{} share one allocator and one set of frames: the filters in "
                                       "between modify frames in place",
                                       pipe_path(g, plan)),
                         {{"connections", std::uint64_t{plan.connections.size()}}}));

    if (plan.mode == ConnectionMode::Kernel) {
        std::string must;
        std::size_t must_count = 0;
        for (std::size_t p : plan.pins)
            if (g.pins[p].must_allocate) {
                must += (must.empty() ? "" : ", ") + g.pins[p].id();
                ++must_count;
            }
        if (must_count > 1) {
            Finding f = make_finding(
                rule::kTwoMustAllocate,
                format_record("{} all say MUST_ALLOCATE; two allocating pins cannot share a pipe", must),
                {{"must_allocate_pins", must}});
            if (multi) {
                out.split = std::move(f);
                return out;
            }
            d.notes.push_back(std::move(f));
            choose_memory(g, plan, d.notes, scratch.memory);
            negotiate_with_copy(g, plan, scratch, d);
            return out;
        }
    }

    choose_memory(g, plan, d.notes, scratch.memory);
    const MemoryChoice& memory = scratch.memory;
    if (!memory.common) {
        Finding f =
            make_finding(rule::kNoCommonMemoryType,
                         format_record("no memory type is listed by every pin of {}; each side gets its own "
                                       "allocator and frames are copied between them",
                                       pipe_path(g, plan)),
                         {{"pins", std::uint64_t{plan.pins.size()}}});
        if (multi) {
            out.split = std::move(f);
            return out;
        }
        d.notes.push_back(std::move(f));
        negotiate_with_copy(g, plan, scratch, d);
        return out;
    }
    if (memory.common->is_null() && plan.mode == ConnectionMode::Kernel)
        d.notes.push_back(make_finding(rule::kDontCareDefault,
                                       "every pin's memory type is don't-care; the default allocator uses "
                                       "KERNEL_NONPAGED",
                                       {{"memory_type", std::string("KERNEL_NONPAGED")}}));

    const std::size_t notes_before_framing = d.notes.size();
    if (!combine_into(g, plan, memory, out)) return out;
    scratch.all.resize(plan.pins.size());
    std::iota(scratch.all.begin(), scratch.all.end(), std::size_t{0});
    // The ks.sys default allocator is a child of the sink pin of the first connection.
    SideResult side = select_allocator(g, plan, {scratch.all, memory.items, *memory.common, 1}, d.framing);
    if (side.chosen.kind == AllocatorKind::Default && !default_allocator_makes(*memory.common))
        return pass_over_device_memory(g, plan, scratch, notes_before_framing, std::move(out));
    d.allocator = std::move(side.chosen);
    d.candidates = std::move(side.candidates);
    return out;
}

void finish(const PreparedGraph& g, Decision& d) {
    if (d.status == Status::Failed) {
        d.allocator.reset();
        return;
    }
    d.create_request = proto::make_create_request(d.framing.frames, d.framing.frame_size,
                                                  d.framing.alignment_mask, d.allocator->memory_type);
    (void)g;
}

// Appends the pipe's record and fills the records of its connections (built in place: the
// records are what the caller keeps, so each string is allocated once, at its final size).
void emit(const PreparedGraph& g, const PipePlan& plan, Decision&& decision, NegotiationResult& result) {
    finish(g, decision);
    const std::size_t index = result.pipes.size();
    PipeRecord& pipe = result.pipes.emplace_back();
    pipe.id = "pipe";
    pipe.id += std::to_string(index);
    pipe.pins.reserve(plan.pins.size());
    for (std::size_t p : plan.pins) pipe.pins.emplace_back(g.pins[p].id());
    pipe.connections.reserve(plan.connections.size());
    for (std::size_t c : plan.connections) {
        const auto& input = g.graph->connections[c];
        ConnectionRecord& rec = result.connections[c];
        rec.id.reserve(input.from.size() + 2 + input.to.size());
        rec.id.append(input.from).append("->").append(input.to);
        rec.from.assign(input.from);
        rec.to.assign(input.to);
        rec.pipe = pipe.id;
        rec.pipe_index = index;
        pipe.connections.push_back(rec.id);
    }
    pipe.decision = std::move(decision);
}

// An in-place filter whose input and output connections ended up in different pipes (split, or
// facing a user pin) cannot work in place: each frame is copied into the output pipe's memory,
// which is what ksimd does. The output pipe's record counts that copy and says so.
void note_transform_copies(const PreparedGraph& g, NegotiationResult& result) {
    std::vector<std::optional<std::size_t>> outgoing(g.pins.size());
    for (std::size_t c = 0; c < g.connections.size(); ++c) outgoing[g.connections[c].from] = c;
    for (std::size_t c = 0; c < g.connections.size(); ++c) {
        const std::size_t in_pin = g.connections[c].to;
        const auto out_pin = g.in_place_output[in_pin];
        if (!out_pin || !outgoing[*out_pin]) continue;
        const ConnectionRecord& up = result.connections[c];
        const ConnectionRecord& down = result.connections[*outgoing[*out_pin]];
        if (up.pipe_index == down.pipe_index) continue;
        const Decision& from = result.pipes[up.pipe_index].decision;
        Decision& to = result.pipes[down.pipe_index].decision;
        ++to.copies;
        const bool sized = from.status == Status::Satisfied && to.status == Status::Satisfied;
        const std::uint64_t in_size = sized ? from.framing.frame_size : 0,
                            out_size = sized ? to.framing.frame_size : 0;
        RecordString message = format_record(
            "{} -> {} modifies frames in place only within one pipe; its input is in {} and its output in "
            "{}, "
            "so each frame is copied into {}'s frames",
            g.pins[in_pin].id(), g.pins[*out_pin].id(), up.pipe, down.pipe, down.pipe);
        if (sized && out_size < in_size)
            message +=
                format_record(" ({} bytes, smaller than the {} bytes of {}'s frames: the copy is truncated)",
                              out_size, in_size, up.pipe);
        RecordVector<ComparedValue> values;
        values.emplace_back("from_pipe", std::string_view(up.pipe));
        values.emplace_back("to_pipe", std::string_view(down.pipe));
        if (sized) {
            values.emplace_back("input_frame_size", in_size);
            values.emplace_back("output_frame_size", out_size);
        }
        to.notes.push_back(make_finding(rule::kTransformCopy, std::move(message), std::move(values)));
    }
}

}  // namespace

Result<NegotiationResult> negotiate(const Graph& graph) {
    auto prepared = prepare(graph);
    if (!prepared) return std::unexpected(prepared.error());
    const PreparedGraph& g = *prepared;
    // Every record string and vector built from here on lives in the result's arena.
    auto storage = std::make_shared<RecordArena>();
    const RecordArena::Scope scope(storage.get());
    NegotiationResult result;
    result.storage = std::move(storage);
    result.topology = graph.name;
    result.memory_types = graph.memory_types;
    result.connections.resize(graph.connections.size());
    // At most one pipe per connection; the exact count is not known before planning.
    result.pipes.reserve(graph.connections.size());
    PipePlanner planner(g);
    PipePlan plan;
    Scratch scratch;
    while (planner.next(plan)) {
        PipeOutcome outcome = negotiate_plan(g, plan, scratch);
        if (!outcome.split) {
            emit(g, plan, std::move(outcome.decision), result);
            continue;
        }
        for (std::size_t c : plan.connections) {
            const PipePlan single = single_connection_plan(g, c);
            PipeOutcome part = negotiate_plan(g, single, scratch);
            Finding why = *outcome.split;
            why.message = format_record("in-place pipe {} split into its connections: {}", pipe_path(g, plan),
                                        why.message);
            why.rule = rule::kPipeSplit;
            why.values.insert(why.values.begin(), ComparedValue{"cause", std::string(outcome.split->rule)});
            part.decision.notes.insert(part.decision.notes.begin(), std::move(why));
            emit(g, single, std::move(part.decision), result);
        }
    }
    note_transform_copies(g, result);
    return result;
}

NegotiationResult negotiate(const proto::Topology& topology) {
    auto result = negotiate(graph_from_topology(topology));
    // A validated topology is a graph by construction; anything else is a bug in the loader.
    if (!result) throw std::logic_error("negotiate(Topology): " + result.error().message);
    return std::move(*result);
}

}  // namespace ksim::negotiation
