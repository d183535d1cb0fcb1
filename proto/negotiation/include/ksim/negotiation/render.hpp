// Human-readable views of decision records, shared by `ksimctl negotiate` and ksim-graphmgr's
// explanations: a compact table, plain-language explanations, and a Graphviz graph (edges carry
// allocator, memory type, frames and size or the failure; pipes are clusters; rejected candidates
// are dashed notes with their values and fixes).
// Pure functions of the records: the same result renders to the same text.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ksim/negotiation/record.hpp"

namespace ksim::negotiation {

std::string render_table(const NegotiationResult& result);
std::string render_explain(const NegotiationResult& result);

// What a running daemon adds to the graph of a negotiation (`ksimctl graph --dot`), as text the
// caller has already worded: each pin's live facts, and per connection what the daemon actually
// committed and why its allocator is not running.
struct LiveConnection {
    std::string from;  // "filter.pin"
    std::string to;
    std::optional<std::string> committed;  // absent: nothing committed for it yet
    std::optional<std::string> failure;    // its committed allocator failed (InitializeAllocator)
};
struct LiveGraph {
    std::string title;                                      // the graph's label
    std::vector<std::pair<std::string, std::string>> pins;  // "filter.pin" -> "kernel, RUN"
    std::vector<LiveConnection> connections;
};

// Graphviz DOT, one renderer offline and online. Pins are nodes in one cluster per pipe; an
// in-place filter (two of its pins in one pipe) is one box spanning its pins, a cluster inside its
// pipe's. Each edge says the allocator, memory type and frames x size, or why the connection
// fails (rule, message with its values, the fix); each rejected candidate is a dashed note with
// its deciding rule, the values compared and the fix. With `live`, nodes carry their live facts
// and edges what the daemon committed ("not committed" and the failing rule when nothing is).
std::string render_dot(const NegotiationResult& result, const LiveGraph* live = nullptr);

// "vendor allocator vendor_dma of camera.capture", "default allocator of sink.in", ...
std::string describe_allocator(const AllocatorChoice& a);

}  // namespace ksim::negotiation
