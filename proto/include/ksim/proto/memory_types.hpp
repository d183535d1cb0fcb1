// Well-known KS memory types, bus types and mediums with their real GUIDs (ks.h, wdmguid.h).
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "ksim/proto/guid.hpp"

namespace ksim::proto {

namespace memory_type {
// KSMEMORY_TYPE_WILDCARD == KSMEMORY_TYPE_DONT_CARE == GUID_NULL.
inline constexpr Guid kDontCare{};
inline constexpr Guid kSystem = make_guid("091BB638-603F-11D1-B067-00A0C9062802");
inline constexpr Guid kUser = make_guid("8CB0FC28-7893-11D1-B069-00A0C9062802");
inline constexpr Guid kKernelPaged = make_guid("D833F8F8-7894-11D1-B069-00A0C9062802");
inline constexpr Guid kKernelNonPaged = make_guid("4A6D5FC4-7895-11D1-B069-00A0C9062802");
// Old clients that did not specify a memory type.
inline constexpr Guid kDeviceUnknown = make_guid("091BB639-603F-11D1-B067-00A0C9062802");
}  // namespace memory_type

namespace bus_type {
inline constexpr Guid kDontCare{};
inline constexpr Guid kPci = make_guid("C8EBDFB0-B510-11D0-80E5-00A0C92542E3");
inline constexpr Guid kUsb = make_guid("9D7DEBBC-C85D-11D1-9EB4-006008C3A19A");
inline constexpr Guid k1394 = make_guid("F74E73EB-9AC5-45EB-BE4D-772CC71DDFB3");
}  // namespace bus_type

namespace medium {
// KSMEDIUMSETID_Standard: the host bus. KsProxy takes a pin's bus from its Medium.Set.
inline constexpr Guid kStandard = make_guid("4747B320-62CE-11CF-A5D6-28DB04C10000");
}  // namespace medium

// How a memory type may be touched; decides who may map it.
enum class MemoryClass {
    DontCare,        // wildcard: matches anything, resolved by negotiation
    Kernel,          // KERNEL_PAGED / KERNEL_NONPAGED: never mapped by a client process
    User,            // USER: shared memory that clients map
    System,          // SYSTEM: host memory, kernel or user view depending on the connection
    DeviceSpecific,  // declared by a topology (device memory)
};

struct NamedGuid {
    std::string_view name;  // canonical short name used in configs, e.g. "KERNEL_NONPAGED"
    Guid guid;
};

// The well-known memory types, in a fixed order; names are the KSMEMORY_TYPE_ suffixes.
std::span<const NamedGuid> known_memory_types();
// The well-known bus types; names are the GUID_BUS_TYPE_ suffixes plus "DONT_CARE".
std::span<const NamedGuid> known_bus_types();

// Name of a well-known memory type, if it is one.
std::optional<std::string_view> memory_type_name(const Guid& g);
std::optional<std::string_view> bus_type_name(const Guid& g);

// Classification of a well-known memory type; unknown GUIDs are DeviceSpecific.
MemoryClass classify_memory_type(const Guid& g);

}  // namespace ksim::proto
