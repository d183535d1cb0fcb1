#include "ksim/proto/memory_types.hpp"

#include <array>

namespace ksim::proto {
namespace {

constexpr std::array kMemoryTypes{
    NamedGuid{"DONT_CARE", memory_type::kDontCare},
    NamedGuid{"SYSTEM", memory_type::kSystem},
    NamedGuid{"USER", memory_type::kUser},
    NamedGuid{"KERNEL_PAGED", memory_type::kKernelPaged},
    NamedGuid{"KERNEL_NONPAGED", memory_type::kKernelNonPaged},
    NamedGuid{"DEVICE_UNKNOWN", memory_type::kDeviceUnknown},
};

constexpr std::array kBusTypes{
    NamedGuid{"DONT_CARE", bus_type::kDontCare},
    NamedGuid{"PCI", bus_type::kPci},
    NamedGuid{"USB", bus_type::kUsb},
    NamedGuid{"1394", bus_type::k1394},
    NamedGuid{"STANDARD", medium::kStandard},
};

std::optional<std::string_view> find_name(std::span<const NamedGuid> table, const Guid& g) {
    for (const auto& e : table)
        if (e.guid == g) return e.name;
    return std::nullopt;
}

}  // namespace

std::span<const NamedGuid> known_memory_types() {
    return kMemoryTypes;
}
std::span<const NamedGuid> known_bus_types() {
    return kBusTypes;
}

std::optional<std::string_view> memory_type_name(const Guid& g) {
    return find_name(kMemoryTypes, g);
}
std::optional<std::string_view> bus_type_name(const Guid& g) {
    return find_name(kBusTypes, g);
}

MemoryClass classify_memory_type(const Guid& g) {
    if (g == memory_type::kDontCare) return MemoryClass::DontCare;
    if (g == memory_type::kKernelPaged || g == memory_type::kKernelNonPaged) return MemoryClass::Kernel;
    if (g == memory_type::kUser) return MemoryClass::User;
    if (g == memory_type::kSystem) return MemoryClass::System;
    return MemoryClass::DeviceSpecific;
}

}  // namespace ksim::proto
