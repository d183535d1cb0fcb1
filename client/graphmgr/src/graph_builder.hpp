// Builds the negotiation engine's input from what the daemon answered: every pin with its
// hosting, direction and ALLOCATORFRAMING_EX (read over the protocol), the connections, and the
// in-place pairs (a filter whose one input and one output pin both declare
// KSALLOCATOR_REQUIREMENTF_INPLACE_MODIFIER) — the same rule graph_from_topology applies offline.
#pragma once

#include <string>
#include <vector>

#include "daemon_snapshot.hpp"
#include "driver_catalog.hpp"
#include "ksim/negotiation/graph.hpp"

namespace ksim::graphmgr {

struct BuiltGraph {
    negotiation::Graph graph;
    std::vector<std::string> warnings;  // e.g. a vendor allocator whose capabilities are unknown
};

BuiltGraph build_graph(const DaemonSnapshot& snapshot, const DriverCatalog& catalog);

}  // namespace ksim::graphmgr
