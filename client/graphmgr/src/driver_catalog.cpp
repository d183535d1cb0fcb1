// Loading the driver catalog from a topology config: only allocator caps, media, legacy framing
// declarations and memory-type names are kept (see driver_catalog.hpp for why).
#include "driver_catalog.hpp"

#include "ksim/proto/topology_loader.hpp"

namespace ksim::graphmgr {

Result<DriverCatalog> DriverCatalog::load(const std::filesystem::path& config) {
    auto topology = proto::load_topology_file(config);
    if (!topology) {
        std::string message = "driver catalog " + config.string() + " is not a valid topology:";
        std::size_t shown = 0;
        for (const auto& d : topology.error()) {
            if (++shown > 3) break;
            message += "\n  " + d.to_string();
        }
        return fail(Errc::InvalidConfig, std::move(message));
    }
    DriverCatalog catalog;
    catalog.topology_name_ = topology->name;
    catalog.memory_types_ = topology->memory_types;
    for (const auto& filter : topology->filters) {
        for (const auto& pin : filter.pins) {
            CatalogPin entry;
            entry.medium = pin.medium;
            entry.allocator = pin.allocator;
            if (!pin.framing && pin.legacy_framing) entry.legacy_framing = pin.legacy_framing;
            catalog.pins_.emplace(filter.id + "." + pin.id, std::move(entry));
        }
    }
    return catalog;
}

const CatalogPin* DriverCatalog::find(const std::string& pin_id) const {
    auto it = pins_.find(pin_id);
    return it == pins_.end() ? nullptr : &it->second;
}

}  // namespace ksim::graphmgr
