// Builds the negotiation engine's input from what the daemon answered: the topology name and
// device memory types, every pin with its hosting, direction, medium, framing property and
// vendor allocator capabilities (all read over the protocol), the connections, and the in-place
// pairs (a filter whose one input and one output pin both declare
// KSALLOCATOR_REQUIREMENTF_INPLACE_MODIFIER) — the same rule graph_from_topology applies offline,
// so online and offline records are identical.
#pragma once

#include <string>
#include <vector>

#include "daemon_snapshot.hpp"
#include "ksim/negotiation/graph.hpp"

namespace ksim::graphmgr {

struct BuiltGraph {
    negotiation::Graph graph;
    std::vector<std::string> warnings;  // e.g. a vendor allocator whose capabilities were not reported
};

BuiltGraph build_graph(const DaemonSnapshot& snapshot);

}  // namespace ksim::graphmgr
