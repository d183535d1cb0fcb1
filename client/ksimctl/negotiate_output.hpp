// Output formats of `ksimctl negotiate`: a compact table (default), plain-language explanations
// (--explain) and a Graphviz graph (--dot). --json uses ksim/negotiation/record_json.hpp.
#pragma once

#include <ostream>

#include "ksim/negotiation/record.hpp"

namespace ksim::ctl {

void print_negotiation_table(std::ostream& out, const negotiation::NegotiationResult& result);
void print_negotiation_explain(std::ostream& out, const negotiation::NegotiationResult& result);
void print_negotiation_dot(std::ostream& out, const negotiation::NegotiationResult& result);

// Shared wording: "vendor allocator vendor_dma of camera.capture", "default allocator of x.in".
std::string describe_allocator(const negotiation::AllocatorChoice& a);

}  // namespace ksim::ctl
