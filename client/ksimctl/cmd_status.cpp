// `ksimctl status`: is ksimd up, which version, and a one-line summary of the graph.
#include <iostream>

#include "online.hpp"

namespace ksim::ctl {
namespace {

int run_status(const GlobalOptions& global) {
    auto client = connect_or_report(global);
    if (!client) return kExitError;
    auto list = client->list_reply();
    if (!list) return report_error("list", list.error());
    const auto* filters = &list->filters;
    const std::string topology = list->topology.value_or("?");
    auto connections = client->connections();
    if (!connections) return report_error("connections", connections.error());

    std::size_t pins = 0, running = 0, committed = 0;
    for (const auto& f : *filters)
        for (const auto& p : f.pins) {
            ++pins;
            if (p.state == proto::PinState::Run) ++running;
        }
    for (const auto& c : *connections)
        if (c.decision) ++committed;

    const auto& conn = client->connection();
    if (global.json) {
        print_json({{"socket", conn.socket_path()},
                    {"daemon_version", conn.daemon_version()},
                    {"client_id", conn.client_id()},
                    {"topology", topology},
                    {"filters", filters->size()},
                    {"pins", pins},
                    {"running_pins", running},
                    {"connections", connections->size()},
                    {"committed_connections", committed}});
    } else {
        std::cout << "ksimd " << conn.daemon_version() << " at " << conn.socket_path() << " (this is client "
                  << conn.client_id() << ")\n"
                  << "topology '" << topology << "'\n"
                  << filters->size() << " filters, " << pins << " pins (" << running << " running), "
                  << connections->size() << " connections (" << committed << " with a committed allocator)\n";
    }
    return kExitOk;
}

}  // namespace

void add_status_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd = app.add_subcommand("status", "Is ksimd running? Version and a summary of the live graph");
    cmd->callback([&global, &exit_code] { exit_code = run_status(global); });
}

}  // namespace ksim::ctl
