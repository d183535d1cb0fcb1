// NTSTATUS values by name, for messages: "STATUS_DEVICE_NOT_READY (0xC00000A3)".
#pragma once

#include <cstdint>
#include <string>

namespace ksim::proto {

// The name and number of a status KS code returns (the number alone for one ksim does not know).
std::string ntstatus_name(std::uint32_t status);

}  // namespace ksim::proto
