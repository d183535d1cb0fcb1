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

namespace {

// A property the pin cannot answer (any more) is "no framing"; anything else is a failed read.
bool absent(const Error& e) {
    return e.code == Errc::NotFound || e.code == Errc::Unsupported;
}

}  // namespace

Result<DaemonSnapshot> read_snapshot(client::Client& client) {
    DaemonSnapshot snap;
    auto list = client.list_reply();
    if (!list) return std::unexpected(list.error());
    snap.filters = std::move(list->filters);
    if (list->topology) snap.topology = std::move(*list->topology);
    snap.memory_types = std::move(list->memory_types);
    for (const auto& f : snap.filters) {
        for (const auto& p : f.pins) {
            const proto::PinRef ref{f.id, p.id};
            const std::string id = ref.to_string();
            snap.framing[id] = std::nullopt;
            if (p.framing_prop == proto::FramingProp::Old) {
                // KsProxy reads the legacy property of such a pin and converts it itself.
                auto legacy = client.get_property(ref, wire::PropertyId::AllocatorFraming);
                if (!legacy && !absent(legacy.error())) return std::unexpected(legacy.error());
                if (legacy && legacy->legacy_framing) snap.legacy_framing[id] = *legacy->legacy_framing;
                continue;
            }
            if (p.framing_prop != proto::FramingProp::Ex) continue;
            auto framing = client.allocator_framing_ex(ref);
            if (!framing && !absent(framing.error())) return std::unexpected(framing.error());
            if (framing) snap.framing[id] = std::move(*framing);
        }
    }
    auto connections = read_connections(client);
    if (!connections) return std::unexpected(connections.error());
    snap.connections = std::move(*connections);
    return snap;
}

Result<std::vector<wire::ConnectionInfo>> read_connections(client::Client& client) {
    return client.connections();
}

namespace {

bool same_decision(const std::optional<wire::AllocatorDecision>& a,
                   const std::optional<wire::AllocatorDecision>& b) {
    if (a.has_value() != b.has_value()) return false;
    if (!a) return true;
    return a->kind == b->kind && a->provider == b->provider && a->memory_type == b->memory_type &&
           a->frame_size == b->frame_size && a->frames == b->frames && a->alignment_mask == b->alignment_mask;
}

}  // namespace

bool same_connections(const std::vector<wire::ConnectionInfo>& a,
                      const std::vector<wire::ConnectionInfo>& b) {
    return std::ranges::equal(a, b, [](const wire::ConnectionInfo& x, const wire::ConnectionInfo& y) {
        return x.from == y.from && x.to == y.to && same_decision(x.decision, y.decision);
    });
}

}  // namespace ksim::graphmgr
