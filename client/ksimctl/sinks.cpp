#include "sinks.hpp"

#include <algorithm>
#include <deque>

namespace ksim::ctl {
namespace {

bool feeds_anything(const proto::Topology& topology, const std::string& filter) {
    return std::ranges::any_of(topology.connections, [&](const auto& c) { return c.from.filter == filter; });
}

bool contains(const std::vector<proto::PinRef>& pins, const proto::PinRef& pin) {
    return std::ranges::find(pins, pin) != pins.end();
}

Sink trace(const proto::Topology& topology, const proto::Connection& into_sink) {
    Sink sink;
    sink.pin = into_sink.to;
    if (const auto* pin = topology.find_pin(into_sink.to)) sink.hosting = pin->hosting;
    // Breadth first from the sink's peer; each pin is visited once, so a cycle ends the walk.
    std::deque<proto::PinRef> outputs{into_sink.from};
    bool media_found = false;
    while (!outputs.empty()) {
        const proto::PinRef out = outputs.front();
        outputs.pop_front();
        if (contains(sink.upstream, out)) continue;
        sink.upstream.push_back(out);
        const auto* filter = topology.find_filter(out.filter);
        if (filter == nullptr) continue;
        if (!media_found && (filter->video || filter->audio)) {
            sink.video = filter->video;
            sink.audio = filter->audio;
            media_found = true;
        }
        for (const auto& c : topology.connections)
            if (c.to.filter == out.filter && !contains(sink.upstream, c.to)) {
                sink.upstream.push_back(c.to);
                outputs.push_back(c.from);
            }
    }
    return sink;
}

}  // namespace

std::vector<Sink> find_sinks(const proto::Topology& topology) {
    std::vector<Sink> sinks;
    for (const auto& c : topology.connections)
        if (!feeds_anything(topology, c.to.filter)) sinks.push_back(trace(topology, c));
    return sinks;
}

}  // namespace ksim::ctl
