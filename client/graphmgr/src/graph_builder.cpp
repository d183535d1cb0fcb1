#include "graph_builder.hpp"

namespace ksim::graphmgr {
namespace {

bool declares_in_place(const std::optional<proto::AllocatorFramingEx>& f) {
    if (!f) return false;
    for (const auto& item : f->items)
        if (has_all(item.requirement_flags, proto::RequirementFlags::InPlaceModifier)) return true;
    return false;
}

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
    for (const auto& filter : snapshot.filters) {
        std::string in_place_input, in_place_output;
        std::size_t inputs = 0, outputs = 0;
        for (const auto& pin : filter.pins) {
            const std::string id = filter.id + "." + pin.id;
            g.pins.push_back(to_pin_input(id, pin, snapshot, out.warnings));
            const bool in_place = declares_in_place(g.pins.back().framing);
            if (pin.direction == proto::PinDirection::In) {
                ++inputs;
                if (in_place) in_place_input = id;
            } else {
                ++outputs;
                if (in_place) in_place_output = id;
            }
        }
        if (inputs == 1 && outputs == 1 && !in_place_input.empty() && !in_place_output.empty())
            g.in_place.push_back({in_place_input, in_place_output});
    }
    for (const auto& c : snapshot.connections)
        g.connections.push_back({c.from.to_string(), c.to.to_string()});
    return out;
}

}  // namespace ksim::graphmgr
