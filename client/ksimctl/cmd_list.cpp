// `ksimctl list [FILTER]`: filters, pins, states, hosting and committed allocators.
#include <iostream>
#include <memory>

#include "online.hpp"

namespace ksim::ctl {
namespace {

int run_list(const GlobalOptions& global, const std::string& filter) {
    auto client = connect_or_report(global);
    if (!client) return kExitError;
    auto filters = client->list(filter.empty() ? std::nullopt : std::optional<std::string>(filter));
    if (!filters) return report_error("list", filters.error());
    if (global.json) {
        print_json(nlohmann::json(*filters));
        return kExitOk;
    }
    Table table({"PIN", "KIND", "DIR", "HOSTING", "STATE", "OWNER", "ALLOCATOR", "CONNECTED TO"});
    for (const auto& f : *filters)
        for (const auto& p : f.pins)
            table.add({f.id + "." + p.id, std::string(proto::to_string(f.kind)),
                       std::string(proto::to_string(p.direction)), std::string(proto::to_string(p.hosting)),
                       std::string(proto::to_string(p.state)),
                       p.owner == 0 ? "ksimd" : "client " + std::to_string(p.owner),
                       p.allocator.value_or("-"), p.connected_to.value_or("-")});
    table.print(std::cout);
    return kExitOk;
}

}  // namespace

void add_list_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd =
        app.add_subcommand("list", "Filters and pins of the running ksimd: states, hosting, allocators");
    auto filter = std::make_shared<std::string>();
    cmd->add_option("filter", *filter, "Only this filter");
    cmd->callback([&global, &exit_code, filter] { exit_code = run_list(global, *filter); });
}

}  // namespace ksim::ctl
