// Connection rules: references resolve, direction runs out -> in, each pin is used once.
#include <fmt/format.h>

#include <map>

#include "ksim/proto/pin_lookup.hpp"
#include "topology_reader.hpp"

namespace ksim::proto::detail {

std::optional<PinRef> parse_ref(ConfigReader& r, const json& conn, const std::string& ptr,
                                std::string_view key, std::string_view rule_prefix) {
    auto s = r.string(conn, ptr, key);
    if (!s) return std::nullopt;
    auto ref = parse_pin_ref(*s);
    if (!ref)
        r.report(child(ptr, key), fmt::format("{}.malformed-ref", rule_prefix),
                 fmt::format("\"{}\" is not \"filter.pin\"", *s),
                 "\"<filter id>.<pin id>\", e.g. \"camera.capture\"");
    return ref;
}

const PinDescriptor* resolve(ConfigReader& r, const Topology& t, const PinRef& ref, const std::string& ptr,
                             std::string_view rule_prefix) {
    const FilterDescriptor* f = t.find_filter(ref.filter);
    if (const PinDescriptor* p = f ? f->find_pin(ref.pin) : nullptr) return p;
    UnknownPin why = describe_unknown_pin(ref, pin_ids_of(t));
    r.report(ptr, fmt::format("{}.unknown-pin", rule_prefix), std::move(why.message), std::move(why.hint));
    return nullptr;
}

void read_connections(ConfigReader& r, const json& doc, Topology& t) {
    if (!doc.contains("connections")) return;
    const json& list = doc["connections"];
    if (!r.array(list, "/connections")) return;
    std::map<std::string, std::string> used;  // "filter.pin" -> pointer of the first connection using it
    for (std::size_t i = 0; i < list.size(); ++i) {
        std::string ptr = child(std::string("/connections"), i);
        const json& c = list[i];
        if (!r.object(c, ptr, {"from", "to", "comment"}, {"from", "to"})) continue;
        auto from = parse_ref(r, c, ptr, "from", "connection");
        auto to = parse_ref(r, c, ptr, "to", "connection");
        const PinDescriptor* out = from ? resolve(r, t, *from, child(ptr, "from"), "connection") : nullptr;
        const PinDescriptor* in = to ? resolve(r, t, *to, child(ptr, "to"), "connection") : nullptr;
        if (out && out->direction != PinDirection::Out)
            r.report(
                child(ptr, "from"), "connection.direction",
                fmt::format("\"{}\" is an input pin but is used as a connection source", from->to_string()),
                "\"from\" names an output pin (\"direction\": \"out\")");
        if (in && in->direction != PinDirection::In)
            r.report(child(ptr, "to"), "connection.direction",
                     fmt::format("\"{}\" is an output pin but is used as a connection sink", to->to_string()),
                     "\"to\" names an input pin (\"direction\": \"in\")");
        bool reused = false;
        for (auto [ref, pin, key] : {std::tuple{from, out, "from"}, std::tuple{to, in, "to"}}) {
            if (!pin) continue;
            auto [it, fresh] = used.emplace(ref->to_string(), child(ptr, key));
            if (!fresh) {
                reused = true;
                r.report(child(ptr, key), "connection.pin-reused",
                         fmt::format("pin \"{}\" is already connected at {}", ref->to_string(), it->second),
                         "a KS pin instance has one connection; declare another pin");
            }
        }
        if (from && to && out && in && !reused) t.connections.push_back(Connection{*from, *to, ptr});
    }
}

}  // namespace ksim::proto::detail
