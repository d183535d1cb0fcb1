// Reading the daemon's graph over the protocol (never from a config file).
#include "daemon_snapshot.hpp"

#include <algorithm>

namespace ksim::graphmgr {

const wire::PinInfo* DaemonSnapshot::find_pin(const std::string& id) const {
    for (const auto& f : filters)
        for (const auto& p : f.pins)
            if (f.id + "." + p.id == id) return &p;
    return nullptr;
}

Result<DaemonSnapshot> read_snapshot(client::Client& client) {
    DaemonSnapshot snap;
    auto filters = client.list();
    if (!filters) return std::unexpected(filters.error());
    snap.filters = std::move(*filters);
    for (const auto& f : snap.filters) {
        for (const auto& p : f.pins) {
            const proto::PinRef ref{f.id, p.id};
            if (p.framing_prop == proto::FramingProp::None) {
                snap.framing[ref.to_string()] = std::nullopt;
                continue;
            }
            auto framing = client.allocator_framing_ex(ref);
            if (!framing) {
                const Errc code = framing.error().code;
                if (code != Errc::NotFound && code != Errc::Unsupported) return std::unexpected(framing.error());
                snap.framing[ref.to_string()] = std::nullopt;  // the pin answers no framing
                continue;
            }
            snap.framing[ref.to_string()] = std::move(*framing);
        }
    }
    auto connections = read_connections(client);
    if (!connections) return std::unexpected(connections.error());
    snap.connections = std::move(*connections);
    return snap;
}

Result<std::vector<wire::ConnectionInfo>> read_connections(client::Client& client) { return client.connections(); }

namespace {

bool same_decision(const std::optional<wire::AllocatorDecision>& a, const std::optional<wire::AllocatorDecision>& b) {
    if (a.has_value() != b.has_value()) return false;
    if (!a) return true;
    return a->kind == b->kind && a->provider == b->provider && a->memory_type == b->memory_type &&
           a->frame_size == b->frame_size && a->frames == b->frames && a->alignment_mask == b->alignment_mask;
}

}  // namespace

bool same_connections(const std::vector<wire::ConnectionInfo>& a, const std::vector<wire::ConnectionInfo>& b) {
    return std::ranges::equal(a, b, [](const wire::ConnectionInfo& x, const wire::ConnectionInfo& y) {
        return x.from == y.from && x.to == y.to && same_decision(x.decision, y.decision);
    });
}

}  // namespace ksim::graphmgr
