// DaemonSnapshot: everything the graph manager reads from ksimd before negotiating, all of it
// over the protocol (as KsProxy learns it from the driver): filters and pins (hosting,
// direction, state, medium, vendor allocator and its capabilities), each pin's framing property
// as the pin answers it (ALLOCATORFRAMING_EX, or the legacy ALLOCATORFRAMING for a legacy-only
// pin), the topology's name and device memory types, and the connections with the decisions
// already committed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ksim/client/client.hpp"
#include "ksim/proto/framing.hpp"
#include "ksim/proto/topology.hpp"
#include "ksim/wire/messages.hpp"

namespace ksim::graphmgr {

struct DaemonSnapshot {
    std::string topology = "ksimd";  // the daemon's topology name (records carry it)
    std::vector<proto::CustomMemoryType> memory_types;
    std::vector<wire::FilterInfo> filters;
    std::vector<wire::ConnectionInfo> connections;
    // "filter.pin" -> ALLOCATORFRAMING_EX; nullopt when the pin answers no _EX.
    std::map<std::string, std::optional<proto::AllocatorFramingEx>> framing;
    // "filter.pin" -> ALLOCATORFRAMING, only for pins that answer just the legacy property.
    std::map<std::string, proto::AllocatorFraming> legacy_framing;

    [[nodiscard]] const wire::PinInfo* find_pin(const std::string& id) const;
};

// Reads list, connections and one framing property per pin that declares one (framing_prop
// "ex": ALLOCATORFRAMING_EX; "old": ALLOCATORFRAMING). A pin that answers NotFound/Unsupported
// has no framing (it went away or changed between the reads); any other error fails the snapshot.
Result<DaemonSnapshot> read_snapshot(client::Client& client);

// Reads only the connections (cheap: one request), to notice changes between full reads.
Result<std::vector<wire::ConnectionInfo>> read_connections(client::Client& client);

// True when both lists name the same connections with the same committed decisions.
bool same_connections(const std::vector<wire::ConnectionInfo>& a, const std::vector<wire::ConnectionInfo>& b);

}  // namespace ksim::graphmgr
