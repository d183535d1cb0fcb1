// Building the engine's input: the in-place rule per filter, and the adapter from a validated
// config (what a graph manager would read from each pin over the protocol).
#include <algorithm>

#include "ksim/negotiation/graph.hpp"

namespace ksim::negotiation {
namespace {

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

void add_filter(Graph& graph, std::vector<PinInput> pins) {
    const PinInput* input = nullptr;
    const PinInput* output = nullptr;
    std::size_t inputs = 0, outputs = 0;
    for (const PinInput& pin : pins) {
        const bool in_place = proto::declares_in_place(pin.framing);
        if (pin.direction == proto::PinDirection::In) {
            ++inputs;
            if (in_place) input = &pin;
        } else {
            ++outputs;
            if (in_place) output = &pin;
        }
    }
    if (inputs == 1 && outputs == 1 && input && output) graph.in_place.push_back({input->id, output->id});
    for (PinInput& pin : pins) graph.pins.push_back(std::move(pin));
}

Graph graph_from_topology(const proto::Topology& topology) {
    Graph g;
    g.name = topology.name;
    g.memory_types = topology.memory_types;
    std::vector<PinInput> pins;
    for (const auto& filter : topology.filters) {
        pins.clear();
        for (const auto& pin : filter.pins) pins.push_back(to_pin_input(filter, pin));
        add_filter(g, std::move(pins));
    }
    for (const auto& c : topology.connections)
        g.connections.push_back({c.from.to_string(), c.to.to_string()});
    return g;
}

}  // namespace ksim::negotiation
