// Stage 2: pipes. A kernel connection into an in-place filter and the kernel connection out of
// it share frames, so they are negotiated together (KsProxy MakePipesBasedOnFilter, inferred in
// ks-semantics.md §4). A user-mode connection always ends a pipe.
#include "engine.hpp"

namespace ksim::negotiation::detail {
namespace {

void append_connection(const PreparedGraph& g, PipePlan& plan, std::size_t c) {
    const auto& conn = g.connections[c];
    Scale scale;
    if (!plan.pins.empty()) {
        // Crossing an in-place filter: its output pin's OutputCompression scales the frame.
        scale = compose(plan.scales.back(), to_scale(g.pins[conn.from].framing().output_compression));
    }
    plan.connections.push_back(c);
    plan.pins.push_back(conn.from);
    plan.pins.push_back(conn.to);
    plan.scales.push_back(scale);
    plan.scales.push_back(scale);
}

}  // namespace

PipePlanner::PipePlanner(const PreparedGraph& g)
    : g_(g),
      incoming_(g.pins.size()),
      outgoing_(g.pins.size()),
      in_place_input_(g.pins.size()),
      assigned_(g.connections.size(), false) {
    for (std::size_t c = 0; c < g.connections.size(); ++c) {
        outgoing_[g.connections[c].from] = c;
        incoming_[g.connections[c].to] = c;
    }
    for (std::size_t p = 0; p < g.pins.size(); ++p)
        if (g.in_place_output[p]) in_place_input_[*g.in_place_output[p]] = p;
}

// The kernel connection that continues `c` through an in-place filter, if any.
std::optional<std::size_t> PipePlanner::next_in_pipe(std::size_t c) const {
    if (g_.connections[c].mode != ConnectionMode::Kernel) return std::nullopt;
    const auto out = g_.in_place_output[g_.connections[c].to];
    if (!out || !outgoing_[*out]) return std::nullopt;
    const std::size_t next = *outgoing_[*out];
    if (g_.connections[next].mode != ConnectionMode::Kernel) return std::nullopt;
    return next;
}

std::optional<std::size_t> PipePlanner::previous_in_pipe(std::size_t c) const {
    if (g_.connections[c].mode != ConnectionMode::Kernel) return std::nullopt;
    const auto in = in_place_input_[g_.connections[c].from];
    if (!in || !incoming_[*in]) return std::nullopt;
    const std::size_t prev = *incoming_[*in];
    if (g_.connections[prev].mode != ConnectionMode::Kernel) return std::nullopt;
    return prev;
}

bool PipePlanner::next(PipePlan& plan) {
    while (cursor_ < g_.connections.size() && assigned_[cursor_]) ++cursor_;
    if (cursor_ == g_.connections.size()) return false;
    const std::size_t c = cursor_++;  // like a loop over connections: c is never planned twice
    // Walk back to the head of the chain; the step bound guards against cycles.
    std::size_t head = c;
    for (std::size_t steps = 0; steps < g_.connections.size(); ++steps) {
        auto prev = previous_in_pipe(head);
        if (!prev || assigned_[*prev] || *prev == c) break;
        head = *prev;
    }
    plan.connections.clear();
    plan.pins.clear();
    plan.scales.clear();
    plan.mode = g_.connections[head].mode;
    for (std::optional<std::size_t> cur = head; cur && !assigned_[*cur]; cur = next_in_pipe(*cur)) {
        assigned_[*cur] = true;
        append_connection(g_, plan, *cur);
    }
    return true;
}

PipePlan single_connection_plan(const PreparedGraph& g, std::size_t connection) {
    PipePlan plan;
    plan.mode = g.connections[connection].mode;
    append_connection(g, plan, connection);
    return plan;
}

}  // namespace ksim::negotiation::detail
