// The versioned JSON form of decision records ("format": "ksim.negotiation/1"). Keys come out
// in a fixed order and arrays in record order, so equal results dump to byte-identical text.
// The graph manager commits these records to ksimd; tests compare online and offline with them.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "ksim/negotiation/record.hpp"
#include "ksim/proto/error.hpp"

namespace ksim::negotiation {

inline constexpr std::string_view kJsonFormat = "ksim.negotiation/1";

nlohmann::ordered_json to_json(const NegotiationResult& result);
nlohmann::ordered_json to_json(const Decision& decision, const std::vector<proto::CustomMemoryType>& names);

// Reads what to_json wrote (Errc::InvalidArgument naming the JSON pointer on any mismatch,
// Errc::Unsupported for another format version). from_json(to_json(r)) == r.
Result<NegotiationResult> from_json(const nlohmann::ordered_json& j);

}  // namespace ksim::negotiation
