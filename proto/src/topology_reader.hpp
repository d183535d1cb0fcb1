// Reads a parsed topology document into the model, recording every rule violation.
#pragma once

#include "config_reader.hpp"
#include "ksim/proto/topology.hpp"

namespace ksim::proto::detail {

// Filters, pins, memory types; then connection rules (connection_rules.cpp).
Topology read_topology(ConfigReader& r, const json& doc);
void read_connections(ConfigReader& r, const json& doc, Topology& topology);

}  // namespace ksim::proto::detail
