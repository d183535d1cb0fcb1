#include "ksim/proto/pin_lookup.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "config_reader.hpp"

namespace ksim::proto {
namespace {

// A hint lists at most this many names (a filter may have thousands of pins: the reply must stay
// small), then says how many it left out.
constexpr std::size_t kMostListedNames = 8;

template <typename Name>
std::string list_of(const std::vector<Name>& names, const std::string& prefix) {
    std::string out;
    const std::size_t shown = std::min(names.size(), kMostListedNames);
    for (std::size_t i = 0; i < shown; ++i) out += (i == 0 ? "" : ", ") + prefix + std::string(names[i]);
    if (names.size() > shown) out += fmt::format(" (and {} more)", names.size() - shown);
    return out;
}

}  // namespace

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
                              : "one of the filters: " + list_of(ids, "")};
    }
    auto guess = detail::closest_name(ref.pin, filter->pins);
    return {fmt::format("filter \"{}\" has no pin \"{}\"", ref.filter, ref.pin),
            guess                  ? fmt::format("did you mean \"{}.{}\"?", ref.filter, *guess)
            : filter->pins.empty() ? fmt::format("filter \"{}\" has no pins", ref.filter)
                                   : "one of: " + list_of(filter->pins, filter->filter + ".")};
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
