// DaemonSnapshot: what the graph manager reads from ksimd before negotiating — filters and pins
// (hosting, direction, state, vendor allocator name), each pin's ALLOCATORFRAMING_EX as the pin
// answers it over the protocol, and the connections with the decisions already committed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ksim/client/client.hpp"
#include "ksim/proto/framing.hpp"
#include "ksim/wire/messages.hpp"

namespace ksim::graphmgr {

struct DaemonSnapshot {
    std::vector<wire::FilterInfo> filters;
    std::vector<wire::ConnectionInfo> connections;
    // "filter.pin" -> ALLOCATORFRAMING_EX; nullopt when the pin answers no framing.
    std::map<std::string, std::optional<proto::AllocatorFramingEx>> framing;

    [[nodiscard]] const wire::PinInfo* find_pin(const std::string& id) const;
};

// Reads list, connections and one get_property(ALLOCATORFRAMING_EX) per pin. A pin that answers
// NotFound/Unsupported for the property has no framing; any other error fails the snapshot.
Result<DaemonSnapshot> read_snapshot(client::Client& client);

// Reads only the connections (cheap: one request), to notice new ones between full reads.
Result<std::vector<wire::ConnectionInfo>> read_connections(client::Client& client);

// True when both lists name the same connections with the same committed decisions.
bool same_connections(const std::vector<wire::ConnectionInfo>& a, const std::vector<wire::ConnectionInfo>& b);

}  // namespace ksim::graphmgr
