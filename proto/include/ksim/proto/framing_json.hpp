// JSON mapping of the framing types (configs, wire protocol, explanations). to_json writes the
// canonical form (flag names, memory types by name when well known, alignment as a FILE_ name
// or mask); from_json accepts everything docs/config.md allows and throws
// std::invalid_argument naming the JSON pointer and rule on the first problem. Round trips are exact.
#pragma once

#include <nlohmann/json.hpp>

#include "ksim/proto/framing.hpp"
#include "ksim/proto/guid.hpp"
#include "ksim/proto/topology.hpp"

namespace ksim::proto {

void to_json(nlohmann::json& j, const Guid& g);
void from_json(const nlohmann::json& j, Guid& g);
void to_json(nlohmann::json& j, const FramingRange& r);
void from_json(const nlohmann::json& j, FramingRange& r);
void to_json(nlohmann::json& j, const FramingRangeWeighted& r);
void from_json(const nlohmann::json& j, FramingRangeWeighted& r);
void to_json(nlohmann::json& j, const Compression& c);
void from_json(const nlohmann::json& j, Compression& c);
void to_json(nlohmann::json& j, const FramingItem& item);
void from_json(const nlohmann::json& j, FramingItem& item);
void to_json(nlohmann::json& j, const AllocatorFramingEx& f);  // always the {"items": [...]} form
void from_json(const nlohmann::json& j, AllocatorFramingEx& f);
void to_json(nlohmann::json& j, const AllocatorFraming& f);
void from_json(const nlohmann::json& j, AllocatorFraming& f);
void to_json(nlohmann::json& j, const VendorAllocatorCaps& a);
void from_json(const nlohmann::json& j, VendorAllocatorCaps& a);

// Flag values as arrays of short names; bits without a name are appended as one number.
nlohmann::json requirement_flags_to_json(RequirementFlags f);
nlohmann::json item_flags_to_json(std::uint32_t raw_ks_flags);  // REQUIREMENTF_ and FLAG_ names
nlohmann::json legacy_flags_to_json(std::uint32_t flags);       // REQUIREMENTF_ names (query view)
// FILE_*_ALIGNMENT name when there is one, else the mask.
nlohmann::json alignment_to_json(std::uint32_t mask);

}  // namespace ksim::proto
