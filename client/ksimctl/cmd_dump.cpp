// `ksimctl dump`: everything ksimd can say, in one JSON document, like pw-dump — for a bug
// report or a script. Sections: "status" (the status reply), "filters" (list, each pin with its
// "properties": what `ksimctl props` shows, statistics included), "connections" (with the
// committed decisions and allocator failures), "negotiation" (the graph record: what the
// negotiation engine decides for the live graph, ksim.negotiation/1, as ksim-graphmgr computes it)
// and "ledger". Requests are separate, not one snapshot (docs/protocol.md, paging).
#include <iostream>

#include "daemon_snapshot.hpp"
#include "graph_builder.hpp"
#include "ksim/negotiation/negotiate.hpp"
#include "ksim/negotiation/record_json.hpp"
#include "online.hpp"

namespace ksim::ctl {
namespace {

Result<nlohmann::json> graph_record(client::Client& client) {
    auto snapshot = graphmgr::read_snapshot(client);
    if (!snapshot) return std::unexpected(snapshot.error());
    auto result = negotiation::negotiate(graphmgr::build_graph(*snapshot).graph);
    if (!result)
        return fail(result.error().code, "the live graph is not negotiable: " + result.error().message);
    return nlohmann::json::parse(negotiation::to_json(*result).dump());  // ordered_json -> json
}

int run_dump(const GlobalOptions& global) {
    auto client = connect_or_report(global);
    if (!client) return kExitError;
    auto status = client->call<wire::StatusReply>(wire::StatusRequest{});
    if (!status) return report_error("status", status.error());
    auto filters = client->list();
    if (!filters) return report_error("list", filters.error());
    auto connections = client->connections();
    if (!connections) return report_error("connections", connections.error());
    auto record = graph_record(*client);
    if (!record) return report_error("negotiation", record.error());
    auto ledger = client->ledger();
    if (!ledger) return report_error("ledger", ledger.error());

    nlohmann::json doc = {{"socket", client->connection().socket_path()}, {"status", *status}};
    nlohmann::json& out_filters = doc["filters"] = nlohmann::json(*filters);
    for (auto& f : out_filters)
        for (auto& p : f["pins"]) p["properties"] = pin_properties(*client, proto::PinRef{f["id"], p["id"]});
    doc["connections"] = *connections;
    doc["negotiation"] = std::move(*record);
    doc["ledger"] = *ledger;
    print_json(doc);
    return kExitOk;
}

}  // namespace

void add_dump_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd =
        app.add_subcommand("dump",
                           "Everything ksimd knows as one JSON document: status, pins with properties, "
                           "connections, negotiation record, ledger (like pw-dump)");
    cmd->callback([&global, &exit_code] { exit_code = run_dump(global); });
}

}  // namespace ksim::ctl
