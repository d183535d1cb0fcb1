// `ksimctl status`: is ksimd up, which version, is a graph manager connected, a summary of the
// graph, whether its source drains busy-poll, and the connections without a committed pipe with why when
// ksimd knows — the first question when nothing streams.
#include <iostream>

#include "online.hpp"

namespace ksim::ctl {
namespace {

std::string describe_why(const wire::UncommittedConnection& u) {
    if (!u.reason) return "no reason known (is a graph manager connected?)";
    return u.rule.value_or("?") + ": " + *u.reason + " (" + u.source.value_or("?") + ")";
}

int run_status(const GlobalOptions& global) {
    auto client = connect_or_report(global);
    if (!client) return kExitError;
    auto status = client->call<wire::StatusReply>(wire::StatusRequest{});
    if (!status) return report_error("status", status.error());
    auto filters = client->list();
    if (!filters) return report_error("list", filters.error());
    std::size_t pins = 0, running = 0;
    for (const auto& f : *filters)
        for (const auto& p : f.pins) {
            ++pins;
            if (p.state == proto::PinState::Run) ++running;
        }

    const auto& conn = client->connection();
    const std::string topology = status->topology.value_or("?");
    if (global.json) {
        print_json(
            {{"socket", conn.socket_path()},
             {"daemon_version", status->daemon_version},
             {"client_id", conn.client_id()},
             {"topology", topology},
             {"graph_manager", status->graph_manager ? nlohmann::json(*status->graph_manager) : nullptr},
             {"filters", filters->size()},
             {"pins", pins},
             {"running_pins", running},
             {"connections", status->connections},
             {"committed_connections", status->committed_connections},
             {"uncommitted", status->uncommitted},
             {"uncommitted_total", status->uncommitted_total},
             {"busy_poll_drain", status->busy_poll_drain},
             {"busy_poll_drains", status->busy_poll_drains}});
        return kExitOk;
    }
    std::cout << "ksimd " << status->daemon_version << " at " << conn.socket_path() << " (this is client "
              << conn.client_id() << ")\n"
              << "topology '" << topology << "'\n";
    if (status->graph_manager)
        std::cout << "graph manager: connected (client " << status->graph_manager->client_id << ", "
                  << status->graph_manager->name << ")\n";
    else
        std::cout << "graph manager: not connected (nothing gets committed; start ksim-graphmgr)\n";
    std::cout << filters->size() << " filters, " << pins << " pins (" << running << " running), "
              << status->connections << " connections (" << status->committed_connections
              << " with a committed allocator)\n";
    if (status->busy_poll_drain)
        std::cout
            << "busy-poll drain: on (" << status->busy_poll_drains
            << " source stream drain threads; each polls until 1 s after its last frame, then sleeps)\n";
    else
        std::cout << "busy-poll drain: off\n";
    if (status->uncommitted_total == 0) return kExitOk;
    std::cout << status->uncommitted_total << " without a committed allocator:\n";
    for (const auto& u : status->uncommitted)
        std::cout << "  " << u.from.to_string() << " -> " << u.to.to_string() << ": " << describe_why(u)
                  << "\n";
    if (status->uncommitted.size() < status->uncommitted_total)
        std::cout << "  ... and " << status->uncommitted_total - status->uncommitted.size() << " more\n";
    return kExitOk;
}

}  // namespace

void add_status_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd = app.add_subcommand(
        "status",
        "Is ksimd running? Version, graph manager, summary, connections without a committed allocator");
    cmd->callback([&global, &exit_code] { exit_code = run_status(global); });
}

}  // namespace ksim::ctl
