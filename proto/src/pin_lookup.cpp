#include "ksim/proto/pin_lookup.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "config_reader.hpp"

namespace ksim::proto {

UnknownPin describe_unknown_pin(const PinRef& ref, std::span<const FilterPinIds> graph) {
    const auto filter =
        std::ranges::find_if(graph, [&](const FilterPinIds& f) { return f.filter == ref.filter; });
    if (filter == graph.end()) {
        std::vector<std::string> ids;
        for (const auto& f : graph) ids.push_back(f.filter);
        auto guess = detail::closest_name(ref.filter, ids);
        return {fmt::format("no filter \"{}\"", ref.filter),
                guess         ? fmt::format("did you mean \"{}.{}\"?", *guess, ref.pin)
                : ids.empty() ? std::string("there are no filters")
                              : fmt::format("one of the filters: {}", fmt::join(ids, ", "))};
    }
    std::vector<std::string> all;
    for (const auto& p : filter->pins) all.push_back(filter->filter + "." + p);
    auto guess = detail::closest_name(ref.pin, filter->pins);
    return {fmt::format("filter \"{}\" has no pin \"{}\"", ref.filter, ref.pin),
            guess         ? fmt::format("did you mean \"{}.{}\"?", ref.filter, *guess)
            : all.empty() ? fmt::format("filter \"{}\" has no pins", ref.filter)
                          : fmt::format("one of: {}", fmt::join(all, ", "))};
}

std::vector<FilterPinIds> pin_ids_of(const Topology& topology) {
    std::vector<FilterPinIds> out;
    for (const auto& f : topology.filters) {
        FilterPinIds& ids = out.emplace_back(FilterPinIds{f.id, {}});
        for (const auto& p : f.pins) ids.pins.push_back(p.id);
    }
    return out;
}

}  // namespace ksim::proto
