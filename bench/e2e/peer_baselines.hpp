// Results of peer IPC systems measured in the same run (iceoryx_bench.cpp), by peer name and
// frame size, for the ksim rows' ratios. Rows that register a peer run before the ksim rows.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "latency_stats.hpp"

namespace ksim::bench {

struct PeerResult {
    Percentiles round_trip;  // there and back, as the ksim rows' rt_*
    Percentiles one_hop;     // round_trip / 2: one cross-process hand-off
};

inline std::map<std::string, std::map<std::uint32_t, PeerResult>>& peer_registry() {
    static std::map<std::string, std::map<std::uint32_t, PeerResult>> registry;
    return registry;
}

inline void record_peer(const std::string& peer, std::uint32_t frame_size, const PeerResult& result) {
    peer_registry()[peer][frame_size] = result;
}

inline std::optional<PeerResult> find_peer(const std::string& peer, std::uint32_t frame_size) {
    const auto& registry = peer_registry();
    auto by_size = registry.find(peer);
    if (by_size == registry.end()) return std::nullopt;
    auto result = by_size->second.find(frame_size);
    if (result == by_size->second.end()) return std::nullopt;
    return result->second;
}

// Peer names the iceoryx rows register (blocking: WaitSet on both sides; busy: take() spins).
inline constexpr const char* kIceoryxBlocking = "iceoryx";
inline constexpr const char* kIceoryxBusyPoll = "iceoryx_busy";

}  // namespace ksim::bench
