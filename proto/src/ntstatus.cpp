#include "ksim/proto/ntstatus.hpp"

#include <fmt/format.h>

#include <string_view>

namespace ksim::proto {
namespace {

struct StatusName {
    std::string_view name;
    std::uint32_t value;
};

// The codes the driver API (ksim/ddk/ks.h) defines, plus those the faults section may name.
constexpr StatusName kNames[] = {
    {"STATUS_SUCCESS", 0x00000000u},
    {"STATUS_PENDING", 0x00000103u},
    {"STATUS_NO_MORE_ENTRIES", 0x8000001Au},
    {"STATUS_UNSUCCESSFUL", 0xC0000001u},
    {"STATUS_NOT_IMPLEMENTED", 0xC0000002u},
    {"STATUS_INVALID_PARAMETER", 0xC000000Du},
    {"STATUS_INVALID_DEVICE_REQUEST", 0xC0000010u},
    {"STATUS_NO_MEMORY", 0xC0000017u},
    {"STATUS_BUFFER_TOO_SMALL", 0xC0000023u},
    {"STATUS_REVISION_MISMATCH", 0xC0000059u},
    {"STATUS_INSUFFICIENT_RESOURCES", 0xC000009Au},
    {"STATUS_DEVICE_NOT_CONNECTED", 0xC000009Du},
    {"STATUS_DEVICE_NOT_READY", 0xC00000A3u},
    {"STATUS_NOT_SUPPORTED", 0xC00000BBu},
    {"STATUS_CANCELLED", 0xC0000120u},
    {"STATUS_INVALID_DEVICE_STATE", 0xC0000184u},
    {"STATUS_NOT_FOUND", 0xC0000225u},
};

}  // namespace

std::string ntstatus_name(std::uint32_t status) {
    for (const StatusName& s : kNames)
        if (s.value == status) return fmt::format("{} (0x{:08X})", s.name, status);
    return fmt::format("0x{:08X}", status);
}

std::optional<std::uint32_t> parse_ntstatus(std::string_view name) {
    for (const StatusName& s : kNames)
        if (s.name == name) return s.value;
    return std::nullopt;
}

}  // namespace ksim::proto
