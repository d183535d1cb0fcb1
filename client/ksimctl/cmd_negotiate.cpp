#include "commands.hpp"

namespace ksim::ctl {

void add_negotiate_command(CLI::App& app, const GlobalOptions&, int& exit_code) {
    auto* cmd = app.add_subcommand("negotiate", "Negotiate allocators for a topology offline");
    cmd->callback([&exit_code] { exit_code = kExitError; });
}

}  // namespace ksim::ctl
