// Why a pin reference names no pin, in the one wording every place that resolves "filter.pin"
// uses — the config loader (a connection's or a fault's pin), ksimd (any request naming a pin)
// and ksimctl: a message saying which part is unknown and a hint with the closest existing pin
// ("did you mean "camera.capture"?") or, when nothing is close, the valid names.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "ksim/proto/topology.hpp"

namespace ksim::proto {

// The ids of one filter and its pins, as the resolver sees the graph.
struct FilterPinIds {
    std::string filter;
    std::vector<std::string> pins;
};

struct UnknownPin {
    std::string message;  // no filter "camra" / filter "camera" has no pin "captur"
    std::string hint;     // did you mean "camera.capture"? / one of: camera.capture, camera.preview
    // "message; hint": the form an error reply or a log line carries.
    [[nodiscard]] std::string to_string() const { return message + "; " + hint; }
};

// `ref` names no pin of `graph`; says why. (Called only for a reference that does not resolve.)
UnknownPin describe_unknown_pin(const PinRef& ref, std::span<const FilterPinIds> graph);

// The filters and pins of a topology, for describe_unknown_pin.
std::vector<FilterPinIds> pin_ids_of(const Topology& topology);

}  // namespace ksim::proto
