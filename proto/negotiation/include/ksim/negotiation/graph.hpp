// The negotiation input: what a graph manager knows about each pin after reading it over the
// protocol (ALLOCATORFRAMING_EX or the legacy ALLOCATORFRAMING, hosting, medium, the vendor
// allocator it offers), the connections, and which filters can work in place. ksim-graphmgr
// builds it from daemon replies; `graph_from_topology` builds it from a config.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ksim/proto/framing.hpp"
#include "ksim/proto/topology.hpp"

namespace ksim::negotiation {

struct PinInput {
    std::string id;  // "filter.pin"; unique in the graph
    proto::PinDirection direction = proto::PinDirection::Out;
    proto::PinHosting hosting = proto::PinHosting::Kernel;
    proto::Guid medium = proto::medium::kStandard;  // Medium.Set = the pin's bus (KsGetPinBusCache)
    // ALLOCATORFRAMING_EX as the pin answers it (after its format-driven edit). When absent the
    // engine converts `legacy_framing` the way KsProxy does (FramingProp_Old); when both are
    // absent the pin has no framing (FramingProp_None) and is treated as "don't care".
    std::optional<proto::AllocatorFramingEx> framing;
    std::optional<proto::AllocatorFraming> legacy_framing;
    std::optional<proto::VendorAllocatorCaps> allocator;  // KSPIN_DISPATCH.Allocator
};

struct ConnectionInput {
    std::string from;  // id of an output pin
    std::string to;    // id of an input pin
};

// A filter that can modify frames in place between this input and this output pin; a kernel
// chain through it becomes one pipe sharing one allocator.
struct InPlacePair {
    std::string input;
    std::string output;
};

struct Graph {
    std::string name;
    std::vector<PinInput> pins;
    std::vector<ConnectionInput> connections;  // records come out in this order
    std::vector<InPlacePair> in_place;
    std::vector<proto::CustomMemoryType> memory_types;  // names for device memory in messages
};

// Appends one filter's pins (ids "filter.pin") and, when the filter works in place, its in-place
// pair: exactly one input and one output pin, both with an item that declares
// KSALLOCATOR_REQUIREMENTF_INPLACE_MODIFIER. The one definition of that rule: the config adapter
// below, ksim-graphmgr and ksimd's commit check all build their graphs with it.
void add_filter(Graph& graph, std::vector<PinInput> pins);

// Builds the input from a validated topology: effective (format-edited) framing per pin, one
// add_filter per filter.
Graph graph_from_topology(const proto::Topology& topology);

}  // namespace ksim::negotiation
