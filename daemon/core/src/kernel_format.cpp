// KSPROPERTY_CONNECTION_DATAFORMAT: which format the data crossing a pin has. In KS both ends of
// a connection agree on one KSDATAFORMAT when the connection is made; ksim derives it from the
// topology instead (a config names formats per filter, not per connection):
//   - an output pin carries its filter's "video" / "audio" (a capture filter, a scaling copy
//     transform, a user source that declares one); a filter without one passes its input's
//     format through (an in-place transform);
//   - an input pin carries what its connected peer sends (its own filter's format when it is
//     not connected).
// The rule is walked over the kernel's pins (Kernel::data_format) and, before they exist, over
// the topology (topology_format: the ConnectionFormat a built-in driver's pin is created with).
#include <fmt/format.h>

#include "kernel_impl.hpp"

namespace ksim::daemon {
namespace {

std::optional<proto::DataFormat> own_format(const proto::FilterDescriptor& filter) {
    if (filter.video) return proto::DataFormat{filter.video, std::nullopt};
    if (filter.audio) return proto::DataFormat{std::nullopt, filter.audio};
    return std::nullopt;
}

// The kernel's pins as the rule's graph.
struct RuntimeGraph {
    using PinT = const Pin*;
    static const proto::FilterDescriptor& filter_of(PinT pin) { return pin->filter.desc; }
    static bool is_input(PinT pin) { return pin->desc.direction == proto::PinDirection::In; }
    static std::optional<PinT> peer(PinT pin) {
        return pin->peer ? std::optional<PinT>(pin->peer) : std::nullopt;
    }
    template <class F>
    static void for_each_pin_of_filter(PinT pin, F&& f) {
        for (const auto& p : pin->filter.pins) f(static_cast<PinT>(p.get()));
    }
};

// The topology's filters and connections as the rule's graph (a pin is its filter and itself).
struct TopologyGraph {
    struct PinT {
        const proto::FilterDescriptor* filter = nullptr;
        const proto::PinDescriptor* pin = nullptr;
    };
    const proto::Topology& topology;
    static const proto::FilterDescriptor& filter_of(PinT pin) { return *pin.filter; }
    static bool is_input(PinT pin) { return pin.pin->direction == proto::PinDirection::In; }
    [[nodiscard]] std::optional<PinT> peer(PinT pin) const {
        for (const proto::Connection& c : topology.connections) {
            const proto::PinRef& self = is_input(pin) ? c.to : c.from;
            if (self.filter != pin.filter->id || self.pin != pin.pin->id) continue;
            const proto::PinRef& other = is_input(pin) ? c.from : c.to;
            const proto::FilterDescriptor* f = topology.find_filter(other.filter);
            const proto::PinDescriptor* p = f ? f->find_pin(other.pin) : nullptr;
            if (p) return PinT{f, p};
        }
        return std::nullopt;
    }
    template <class F>
    static void for_each_pin_of_filter(PinT pin, F&& f) {
        for (const proto::PinDescriptor& p : pin.filter->pins) f(PinT{pin.filter, &p});
    }
};

// `hops_left` bounds the walk upstream: a topology with a cycle ends it instead of recursing.
template <class Graph>
std::optional<proto::DataFormat> format_of(const Graph& g, typename Graph::PinT pin, std::size_t hops_left) {
    if (hops_left == 0) return std::nullopt;
    if (Graph::is_input(pin)) {
        const auto peer = g.peer(pin);
        return peer ? format_of(g, *peer, hops_left - 1) : own_format(Graph::filter_of(pin));
    }
    if (auto own = own_format(Graph::filter_of(pin))) return own;
    std::optional<proto::DataFormat> passed;
    bool found = false;
    Graph::for_each_pin_of_filter(pin, [&](typename Graph::PinT other) {
        if (found || !Graph::is_input(other)) return;
        if (const auto peer = g.peer(other)) {
            found = true;
            passed = format_of(g, *peer, hops_left - 1);
        }
    });
    return passed;
}

}  // namespace

std::optional<proto::DataFormat> topology_format(const proto::Topology& topology,
                                                 const proto::FilterDescriptor& filter,
                                                 const proto::PinDescriptor& pin) {
    std::size_t pins = 0;
    for (const auto& f : topology.filters) pins += f.pins.size();
    return format_of(TopologyGraph{topology}, TopologyGraph::PinT{&filter, &pin}, pins + 1);
}

Result<proto::DataFormat> Kernel::data_format(const PinRef& key) const {
    std::lock_guard lock(impl_->mu);
    auto pin = impl_->pin_or_error(key);
    if (!pin) return std::unexpected(pin.error());
    std::size_t pins = 0;
    for (const auto& f : impl_->filters) pins += f->pins.size();
    if (auto format = format_of(RuntimeGraph{}, static_cast<const Pin*>(*pin), pins + 1)) return *format;
    return fail(Errc::NotFound,
                fmt::format("{}: no data format: neither its filter nor the pins upstream of it declare "
                            "\"video\" or \"audio\"",
                            key.to_string()));
}

}  // namespace ksim::daemon
