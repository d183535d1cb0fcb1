#include "graph_builder.hpp"

namespace ksim::graphmgr {
namespace {

negotiation::PinInput to_pin_input(const std::string& id, const wire::PinInfo& pin,
                                   const DaemonSnapshot& snapshot, std::vector<std::string>& warnings) {
    negotiation::PinInput in;
    in.id = id;
    in.direction = pin.direction;
    in.hosting = pin.hosting;
    in.medium = pin.medium;
    if (auto framing = snapshot.framing.find(id); framing != snapshot.framing.end())
        in.framing = framing->second;
    // A legacy-only pin: the engine converts its ALLOCATORFRAMING the way KsProxy does (and the
    // records say "converted", as they do offline).
    if (auto legacy = snapshot.legacy_framing.find(id); legacy != snapshot.legacy_framing.end()) {
        in.legacy_framing = legacy->second;
        in.framing.reset();
    }
    if (pin.vendor_allocator) {
        if (pin.vendor_allocator_caps && pin.vendor_allocator_caps->name == *pin.vendor_allocator)
            in.allocator = pin.vendor_allocator_caps;
        else
            warnings.push_back(id + " offers vendor allocator '" + *pin.vendor_allocator +
                               "' but ksimd did not report its capabilities (an older ksimd?); "
                               "it is not a candidate");
    }
    return in;
}

}  // namespace

BuiltGraph build_graph(const DaemonSnapshot& snapshot) {
    BuiltGraph out;
    auto& g = out.graph;
    g.name = snapshot.topology;
    g.memory_types = snapshot.memory_types;
    std::vector<negotiation::PinInput> pins;
    for (const auto& filter : snapshot.filters) {
        pins.clear();
        for (const auto& pin : filter.pins)
            pins.push_back(to_pin_input(filter.id + "." + pin.id, pin, snapshot, out.warnings));
        negotiation::add_filter(g, std::move(pins));
    }
    for (const auto& c : snapshot.connections)
        g.connections.push_back({c.from.to_string(), c.to.to_string()});
    return out;
}

}  // namespace ksim::graphmgr
