// The adapter from a validated config to the engine's input: what a graph manager would read
// from each pin over the protocol.
#include "ksim/negotiation/graph.hpp"

namespace ksim::negotiation {
namespace {

bool declares_in_place(const proto::AllocatorFramingEx& f) {
    for (const auto& item : f.items)
        if (has_all(item.requirement_flags, proto::RequirementFlags::InPlaceModifier)) return true;
    return false;
}

PinInput to_pin_input(const proto::FilterDescriptor& filter, const proto::PinDescriptor& pin) {
    PinInput in;
    in.id = filter.id + "." + pin.id;
    in.direction = pin.direction;
    in.hosting = pin.hosting;
    in.medium = pin.medium;
    in.allocator = pin.allocator;
    auto effective = proto::effective_framing(filter, pin);
    // A legacy-only pin stays legacy (the engine converts it and says so) unless the format
    // edit changed the converted framing, in which case the edited Ex form is what it answers.
    if (!pin.framing && pin.legacy_framing && effective == proto::to_framing_ex(*pin.legacy_framing))
        in.legacy_framing = pin.legacy_framing;
    else
        in.framing = std::move(effective);
    return in;
}

}  // namespace

Graph graph_from_topology(const proto::Topology& topology) {
    Graph g;
    g.name = topology.name;
    g.memory_types = topology.memory_types;
    for (const auto& filter : topology.filters) {
        const proto::PinDescriptor* in = nullptr;
        const proto::PinDescriptor* out = nullptr;
        std::size_t inputs = 0, outputs = 0;
        for (const auto& pin : filter.pins) {
            g.pins.push_back(to_pin_input(filter, pin));
            const bool in_place = g.pins.back().framing && declares_in_place(*g.pins.back().framing);
            if (pin.direction == proto::PinDirection::In) {
                ++inputs;
                if (in_place) in = &pin;
            } else {
                ++outputs;
                if (in_place) out = &pin;
            }
        }
        if (inputs == 1 && outputs == 1 && in && out)
            g.in_place.push_back({filter.id + "." + in->id, filter.id + "." + out->id});
    }
    for (const auto& c : topology.connections)
        g.connections.push_back({c.from.to_string(), c.to.to_string()});
    return g;
}

}  // namespace ksim::negotiation
