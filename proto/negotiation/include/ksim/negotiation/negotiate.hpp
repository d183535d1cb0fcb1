// The allocator negotiation engine: a pure function of its input (no I/O, no clock, no
// randomness), so the same graph always gives the same records, offline and online.
#pragma once

#include "ksim/negotiation/graph.hpp"
#include "ksim/negotiation/record.hpp"
#include "ksim/proto/error.hpp"

namespace ksim::negotiation {

// Negotiates every connection of the graph. Fails (Errc::InvalidArgument) only when the input
// is not a graph: duplicate or unknown pin ids, a connection against the pins' direction, a pin
// used twice, a malformed framing. A connection that cannot be satisfied is a record, not an error.
Result<NegotiationResult> negotiate(const Graph& graph);

// Thin adapter: negotiate(graph_from_topology(topology)). A validated topology is always a graph.
NegotiationResult negotiate(const proto::Topology& topology);

}  // namespace ksim::negotiation
