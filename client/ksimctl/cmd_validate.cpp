#include "commands.hpp"

namespace ksim::ctl {

void add_validate_command(CLI::App& app, const GlobalOptions&, int& exit_code) {
    auto* cmd = app.add_subcommand("validate", "Validate topology config files");
    cmd->callback([&exit_code] { exit_code = kExitError; });
}

}  // namespace ksim::ctl
