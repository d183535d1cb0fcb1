// NTSTATUS values by name, for messages: "STATUS_DEVICE_NOT_READY (0xC00000A3)".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ksim::proto {

// The name and number of a status KS code returns (the number alone for one ksim does not know).
std::string ntstatus_name(std::uint32_t status);
// The value of a status ksim knows by name ("STATUS_NO_MEMORY"), or nullopt.
std::optional<std::uint32_t> parse_ntstatus(std::string_view name);

}  // namespace ksim::proto
