// Human-readable views of decision records, shared by `ksimctl negotiate` and ksim-graphmgr's
// explanations: a compact table, plain-language explanations, and a Graphviz graph (edges carry
// allocator, memory type, frames and size; pipes are clusters; rejected candidates are dashed).
// Pure functions of the records: the same result renders to the same text.
#pragma once

#include <string>

#include "ksim/negotiation/record.hpp"

namespace ksim::negotiation {

std::string render_table(const NegotiationResult& result);
std::string render_explain(const NegotiationResult& result);
std::string render_dot(const NegotiationResult& result);

// "vendor allocator vendor_dma of camera.capture", "default allocator of sink.in", ...
std::string describe_allocator(const AllocatorChoice& a);

}  // namespace ksim::negotiation
