// DriverCatalog: the static facts about kernel pins that the control protocol does not carry yet
// — the capabilities of a pin's vendor allocator (KSALLOCATOR_DISPATCH), the pin's medium (bus),
// a legacy-only framing property, and the names of device memory types. A real KS proxy learns
// them from the driver (pin dispatch tables, KSPROPERTY_PIN_MEDIUMS); ksim's wire protocol v1
// exposes only the allocator's name, so the manager takes them from the driver description the
// daemon was started with (`--driver-catalog CONFIG`). Framing never comes from here: it is read
// from each pin over the protocol.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ksim/proto/error.hpp"
#include "ksim/proto/topology.hpp"

namespace ksim::graphmgr {

struct CatalogPin {
    proto::Guid medium = proto::medium::kStandard;
    std::optional<proto::VendorAllocatorCaps> allocator;
    std::optional<proto::AllocatorFraming> legacy_framing;  // set when the pin answers only ALLOCATORFRAMING
};

class DriverCatalog {
public:
    DriverCatalog() = default;  // empty: no vendor caps known, standard medium everywhere

    // Loads a topology config as a catalog. Errors: InvalidConfig with the first diagnostics.
    static Result<DriverCatalog> load(const std::filesystem::path& config);

    [[nodiscard]] const CatalogPin* find(const std::string& pin_id) const;
    [[nodiscard]] const std::string& topology_name() const { return topology_name_; }
    [[nodiscard]] const std::vector<proto::CustomMemoryType>& memory_types() const { return memory_types_; }
    [[nodiscard]] bool empty() const { return pins_.empty(); }

private:
    std::string topology_name_ = "ksimd";
    std::vector<proto::CustomMemoryType> memory_types_;
    std::map<std::string, CatalogPin> pins_;  // "filter.pin"
};

}  // namespace ksim::graphmgr
