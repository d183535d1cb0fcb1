// Reads a parsed topology document into the model, recording every rule violation.
#pragma once

#include "config_reader.hpp"
#include "ksim/proto/topology.hpp"
#include "ksim/proto/topology_loader.hpp"

namespace ksim::proto::detail {

// Filters, pins, memory types (driver filters instantiated through `drivers`); then connection
// rules (connection_rules.cpp).
Topology read_topology(ConfigReader& r, const json& doc, DriverResolver* drivers);
void read_connections(ConfigReader& r, const json& doc, Topology& topology);
// Fault injection (fault_rules.cpp): each fault names a pin that exists and suits its kind.
void read_faults(ConfigReader& r, const json& doc, Topology& topology);

// "filter.pin" under obj[key]; reports `<rule_prefix>.malformed-ref` otherwise.
std::optional<PinRef> parse_ref(ConfigReader& r, const json& obj, const std::string& ptr,
                                std::string_view key, std::string_view rule_prefix);
// The pin a reference names; reports `<rule_prefix>.unknown-pin` (with a did-you-mean) at ptr.
const PinDescriptor* resolve(ConfigReader& r, const Topology& t, const PinRef& ref, const std::string& ptr,
                             std::string_view rule_prefix);

}  // namespace ksim::proto::detail
