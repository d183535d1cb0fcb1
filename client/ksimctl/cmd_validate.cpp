// `ksimctl validate FILE... [--json]`: offline validation of topology configs.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "commands.hpp"
#include "offline_config.hpp"

namespace ksim::ctl {
namespace {

int run_validate(const std::vector<std::string>& files, bool json) {
    nlohmann::json all = nlohmann::json::array();
    std::size_t invalid = 0, errors = 0;
    for (const auto& file : files) {
        const OfflineConfig config = load_offline(file);
        const auto& loaded = config.topology;
        if (loaded) continue;
        ++invalid;
        for (const auto& d : loaded.error()) {
            ++errors;
            if (json) {
                all.push_back(diagnostic_json(d));
            } else {
                std::cerr << d.to_string() << " [" << d.rule << "]\n";
            }
        }
    }
    if (json) {
        std::cout << all.dump(2) << "\n";
    } else {
        std::cerr << files.size() << " file(s) checked, " << invalid << " invalid, " << errors
                  << " error(s)\n";
    }
    return invalid == 0 ? kExitOk : kExitInvalid;
}

}  // namespace

void add_validate_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd = app.add_subcommand("validate", "Validate topology config files (exit 0 valid, 2 invalid)");
    auto files = std::make_shared<std::vector<std::string>>();
    cmd->add_option("files", *files, "Topology JSON files")->required();
    cmd->callback([files, &global, &exit_code] { exit_code = run_validate(*files, global.json); });
}

}  // namespace ksim::ctl
