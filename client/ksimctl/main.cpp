// ksimctl: the operator's CLI. Offline commands work on config files; online ones talk to ksimd.
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "online.hpp"

int main(int argc, char** argv) {
    CLI::App app{"ksimctl - inspect and drive the ksim kernel-streaming simulator"};
    app.require_subcommand(1);
    app.fallthrough();  // global options may follow the subcommand: `ksimctl validate f.json --json`

    ksim::ctl::GlobalOptions global;
    app.add_option("--socket", global.socket,
                   "ksimd control socket (default: $XDG_RUNTIME_DIR/ksim/ksimd.sock)");
    app.add_flag("--json", global.json, "Machine-readable output");

    int exit_code = ksim::ctl::kExitOk;
    ksim::ctl::add_validate_command(app, global, exit_code);
    ksim::ctl::add_negotiate_command(app, global, exit_code);
    ksim::ctl::add_sinks_command(app, global, exit_code);
    ksim::ctl::add_status_command(app, global, exit_code);
    ksim::ctl::add_list_command(app, global, exit_code);
    ksim::ctl::add_props_command(app, global, exit_code);
    ksim::ctl::add_graph_command(app, global, exit_code);
    ksim::ctl::add_stats_command(app, global, exit_code);
    ksim::ctl::add_ledger_command(app, global, exit_code);
    ksim::ctl::add_verifier_command(app, global, exit_code);
    ksim::ctl::add_state_command(app, global, exit_code);
    ksim::ctl::add_capture_command(app, global, exit_code);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // CLI11's own codes (105, 106, ...) would collide with ours: every usage error is 2.
        return app.exit(e) == 0 ? 0 : 2;
    }
    return exit_code;
}
