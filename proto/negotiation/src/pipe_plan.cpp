// Stage 2: pipes. A kernel connection into an in-place filter and the kernel connection out of
// it share frames, so they are negotiated together (KsProxy MakePipesBasedOnFilter, inferred in
// ks-semantics.md §4). A user-mode connection always ends a pipe.
#include <unordered_map>

#include "engine.hpp"

namespace ksim::negotiation::detail {
namespace {

struct Links {
    std::vector<std::optional<std::size_t>> incoming;        // per pin: connection ending at it
    std::vector<std::optional<std::size_t>> outgoing;        // per pin: connection starting at it
    std::vector<std::optional<std::size_t>> in_place_input;  // per output pin: its in-place input
};

Links link(const PreparedGraph& g) {
    Links l;
    l.incoming.assign(g.pins.size(), std::nullopt);
    l.outgoing.assign(g.pins.size(), std::nullopt);
    l.in_place_input.assign(g.pins.size(), std::nullopt);
    for (std::size_t c = 0; c < g.connections.size(); ++c) {
        l.outgoing[g.connections[c].from] = c;
        l.incoming[g.connections[c].to] = c;
    }
    for (std::size_t p = 0; p < g.pins.size(); ++p)
        if (g.in_place_output[p]) l.in_place_input[*g.in_place_output[p]] = p;
    return l;
}

// The kernel connection that continues `c` through an in-place filter, if any.
std::optional<std::size_t> next_in_pipe(const PreparedGraph& g, const Links& l, std::size_t c) {
    if (g.connections[c].mode != ConnectionMode::Kernel) return std::nullopt;
    const auto out = g.in_place_output[g.connections[c].to];
    if (!out || !l.outgoing[*out]) return std::nullopt;
    const std::size_t next = *l.outgoing[*out];
    if (g.connections[next].mode != ConnectionMode::Kernel) return std::nullopt;
    return next;
}

std::optional<std::size_t> previous_in_pipe(const PreparedGraph& g, const Links& l, std::size_t c) {
    if (g.connections[c].mode != ConnectionMode::Kernel) return std::nullopt;
    const auto in = l.in_place_input[g.connections[c].from];
    if (!in || !l.incoming[*in]) return std::nullopt;
    const std::size_t prev = *l.incoming[*in];
    if (g.connections[prev].mode != ConnectionMode::Kernel) return std::nullopt;
    return prev;
}

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

PipePlan single_connection_plan(const PreparedGraph& g, std::size_t connection) {
    PipePlan plan;
    plan.mode = g.connections[connection].mode;
    append_connection(g, plan, connection);
    return plan;
}

std::vector<PipePlan> plan_pipes(const PreparedGraph& g) {
    const Links l = link(g);
    std::vector<bool> assigned(g.connections.size(), false);
    std::vector<PipePlan> plans;
    plans.reserve(g.connections.size());
    for (std::size_t c = 0; c < g.connections.size(); ++c) {
        if (assigned[c]) continue;
        // Walk back to the head of the chain; the step bound guards against cycles.
        std::size_t head = c;
        for (std::size_t steps = 0; steps < g.connections.size(); ++steps) {
            auto prev = previous_in_pipe(g, l, head);
            if (!prev || assigned[*prev] || *prev == c) break;
            head = *prev;
        }
        PipePlan plan;
        plan.mode = g.connections[head].mode;
        for (std::optional<std::size_t> cur = head; cur && !assigned[*cur]; cur = next_in_pipe(g, l, *cur)) {
            assigned[*cur] = true;
            append_connection(g, plan, *cur);
        }
        plans.push_back(std::move(plan));
    }
    return plans;
}

}  // namespace ksim::negotiation::detail
