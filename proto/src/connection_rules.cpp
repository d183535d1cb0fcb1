// Connection rules: references resolve, direction runs out -> in, each pin is used once.
#include <fmt/format.h>

#include <map>

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
    const std::string rule = fmt::format("{}.unknown-pin", rule_prefix);
    const FilterDescriptor* f = t.find_filter(ref.filter);
    if (!f) {
        std::vector<std::string> ids;
        for (const auto& x : t.filters) ids.push_back(x.id);
        auto guess = closest_name(ref.filter, ids);
        r.report(ptr, rule, fmt::format("no filter \"{}\"", ref.filter),
                 guess ? fmt::format("did you mean \"{}.{}\"?", *guess, ref.pin)
                       : "a filter id declared in /filters");
        return nullptr;
    }
    const PinDescriptor* p = f->find_pin(ref.pin);
    if (!p) {
        std::vector<std::string> ids;
        std::string all;
        for (const auto& x : f->pins) {
            ids.push_back(x.id);
            all += (all.empty() ? "" : ", ") + f->id + "." + x.id;
        }
        auto guess = closest_name(ref.pin, ids);
        r.report(ptr, rule, fmt::format("filter \"{}\" has no pin \"{}\"", ref.filter, ref.pin),
                 guess ? fmt::format("did you mean \"{}.{}\"?", ref.filter, *guess)
                       : fmt::format("one of: {}", all));
    }
    return p;
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
