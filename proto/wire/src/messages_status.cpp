// JSON mapping of the status, report_unsatisfied and reset_statistics messages.
#include "json_fields.hpp"
#include "ksim/wire/messages.hpp"

namespace ksim::wire {

using namespace detail;

void to_json(json& j, const StatusRequest&) {
    j = json::object();
}
void from_json(const json&, StatusRequest&) {}

void to_json(json& j, const GraphManagerInfo& v) {
    j = json{{"client_id", v.client_id}, {"name", v.name}};
}
void from_json(const json& j, GraphManagerInfo& v) {
    v.client_id = field<std::uint64_t>(j, "client_id");
    v.name = field<std::string>(j, "name");
}

void to_json(json& j, const UncommittedConnection& v) {
    j = json{{"from", pin_ref_to_json(v.from)}, {"to", pin_ref_to_json(v.to)}};
    put_optional(j, "rule", v.rule);
    put_optional(j, "reason", v.reason);
    put_optional(j, "source", v.source);
}
void from_json(const json& j, UncommittedConnection& v) {
    v.from = field_with<proto::PinRef>(j, "from", pin_ref_from_json);
    v.to = field_with<proto::PinRef>(j, "to", pin_ref_from_json);
    v.rule = optional_field<std::string>(j, "rule");
    v.reason = optional_field<std::string>(j, "reason");
    v.source = optional_field<std::string>(j, "source");
}

void to_json(json& j, const StatusReply& v) {
    j = json{{"daemon_version", v.daemon_version},
             {"connections", v.connections},
             {"committed_connections", v.committed_connections},
             {"uncommitted", v.uncommitted},
             {"uncommitted_total", v.uncommitted_total},
             {"busy_poll_drain", v.busy_poll_drain},
             {"busy_poll_drains", v.busy_poll_drains}};
    put_optional(j, "topology", v.topology);
    put_optional(j, "graph_manager", v.graph_manager);
}
void from_json(const json& j, StatusReply& v) {
    v.daemon_version = field<std::string>(j, "daemon_version");
    v.topology = optional_field<std::string>(j, "topology");
    v.graph_manager = optional_field<GraphManagerInfo>(j, "graph_manager");
    v.connections = field<std::uint64_t>(j, "connections");
    v.committed_connections = field<std::uint64_t>(j, "committed_connections");
    v.uncommitted = array_field<UncommittedConnection>(j, "uncommitted");
    v.uncommitted_total = field<std::uint64_t>(j, "uncommitted_total");
    v.busy_poll_drain = optional_field<bool>(j, "busy_poll_drain").value_or(false);
    v.busy_poll_drains = optional_field<std::uint64_t>(j, "busy_poll_drains").value_or(0);
}

void to_json(json& j, const ReportUnsatisfiedRequest& v) {
    json pipe = json::array();
    for (const auto& [from, to] : v.connections)
        pipe.push_back(json{{"from", pin_ref_to_json(from)}, {"to", pin_ref_to_json(to)}});
    j = json{{"connections", pipe}, {"rule", v.rule}, {"message", v.message}};
}
void from_json(const json& j, ReportUnsatisfiedRequest& v) {
    using Pair = std::pair<proto::PinRef, proto::PinRef>;
    v.connections = field_with<std::vector<Pair>>(j, "connections", [](const json& a) {
        return array_with<Pair>(a, [](const json& c) {
            return Pair{field_with<proto::PinRef>(c, "from", pin_ref_from_json),
                        field_with<proto::PinRef>(c, "to", pin_ref_from_json)};
        });
    });
    v.rule = field<std::string>(j, "rule");
    v.message = field<std::string>(j, "message");
}

void to_json(json& j, const ResetStatisticsRequest& v) {
    j = json::object();
    if (v.pin) j["pin"] = pin_ref_to_json(*v.pin);
}
void from_json(const json& j, ResetStatisticsRequest& v) {
    v.pin = optional_field_with<proto::PinRef>(j, "pin", pin_ref_from_json);
}

void to_json(json& j, const ResetStatisticsReply& v) {
    j = json{{"pins", v.pins}};
}
void from_json(const json& j, ResetStatisticsReply& v) {
    v.pins = field<std::uint64_t>(j, "pins");
}

}  // namespace ksim::wire
