// How the offline commands load a config: through a DriverHost, as ksimd does, so a driver
// filter's pins and framing are what the driver's code reports (offline equals online). No
// allocator routine and no streaming run offline; the driver's own warnings go to stderr.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "ksim/ddk_host/driver_host.hpp"
#include "ksim/proto/topology_loader.hpp"

namespace ksim::ctl {

struct OfflineConfig {
    std::unique_ptr<ddk_host::DriverHost> drivers;  // keeps the drivers' pins alive with the topology
    std::expected<proto::Topology, proto::Diagnostics> topology;
};

OfflineConfig load_offline(const std::filesystem::path& file);

// One config error as `validate --json` and `negotiate --json` print it.
nlohmann::json diagnostic_json(const proto::Diagnostic& d);

// Reports a config's errors: a JSON array on stdout with `json`, else one line each on stderr and
// "invalid config: N error(s); <consequence>". Returns kExitInvalid.
int report_invalid(const proto::Diagnostics& diagnostics, bool json, const std::string& consequence);

}  // namespace ksim::ctl
