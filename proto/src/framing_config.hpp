// Readers for the framing parts of a config (ALLOCATORFRAMING_EX, legacy ALLOCATORFRAMING,
// vendor allocator capabilities) with the framing rules. Used by the topology loader and by
// the strict from_json of framing_json.hpp.
#pragma once

#include <optional>
#include <string>

#include "config_reader.hpp"
#include "ksim/proto/framing.hpp"
#include "ksim/proto/topology.hpp"

namespace ksim::proto::detail {

inline constexpr std::uint32_t kMaxSaneFrames = 4096;  // above this a frame count is a typo

std::optional<FramingRange> read_range(ConfigReader& r, const json& v, const std::string& ptr);
std::optional<FramingRangeWeighted> read_weighted_range(ConfigReader& r, const json& v,
                                                        const std::string& ptr);
std::optional<Compression> read_compression(ConfigReader& r, const json& v, const std::string& ptr);
std::optional<FramingItem> read_framing_item(ConfigReader& r, const json& v, const std::string& ptr);
// {"simple": {...}} or {"items": [...], "output_compression": ..., "pin_flags": 0, "pin_weight": 0}.
std::optional<AllocatorFramingEx> read_framing(ConfigReader& r, const json& v, const std::string& ptr);
std::optional<AllocatorFraming> read_legacy_framing(ConfigReader& r, const json& v, const std::string& ptr);
std::optional<VendorAllocatorCaps> read_allocator(ConfigReader& r, const json& v, const std::string& ptr);

}  // namespace ksim::proto::detail
