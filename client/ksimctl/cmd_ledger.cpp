// `ksimctl ledger`: who holds which frames of which pool right now.
#include <iostream>

#include "online.hpp"

namespace ksim::ctl {
namespace {

int run_ledger(const GlobalOptions& global) {
    auto client = connect_or_report(global);
    if (!client) return kExitError;
    auto entries = client->ledger();
    if (!entries) return report_error("ledger", entries.error());
    if (global.json) {
        print_json(nlohmann::json(*entries));
        return kExitOk;
    }
    if (entries->empty()) {
        std::cout << "no frames outside their pools\n";
        return kExitOk;
    }
    Table table({"POOL", "REGION", "INDEX", "GENERATION", "OWNER", "HOLDER"});
    for (const auto& e : *entries)
        table.add({e.pool, std::to_string(e.frame.region), std::to_string(e.frame.index),
                   std::to_string(e.frame.generation),
                   e.owner == 0 ? "ksimd" : "client " + std::to_string(e.owner), e.holder});
    table.print(std::cout);
    return kExitOk;
}

}  // namespace

void add_ledger_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd = app.add_subcommand("ledger", "Frames currently held, by pool and holder");
    cmd->callback([&global, &exit_code] { exit_code = run_ledger(global); });
}

}  // namespace ksim::ctl
