// ksimctl: the operator's CLI. Offline commands work on config files; online ones talk to ksimd.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <string_view>

#include "commands.hpp"
#include "error_output.hpp"
#include "ksim/cli/command_line.hpp"
#include "online.hpp"

int main(int argc, char** argv) {
    CLI::App app{"ksimctl - inspect and drive the ksim kernel-streaming simulator"};
    app.require_subcommand(1);
    app.fallthrough();  // global options may follow the subcommand: `ksimctl validate f.json --json`
    ksim::cli::add_version_flag(app, "ksimctl");

    ksim::ctl::GlobalOptions global;
    app.add_option("--socket", global.socket,
                   "ksimd control socket (default: $KSIM_SOCKET, else $XDG_RUNTIME_DIR/ksim/ksimd.sock)");
    app.add_flag("--json", global.json, "Machine-readable output (errors too: {\"error\":{...}} on stdout)");
    ksim::ctl::bind_error_output(global);

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
    ksim::ctl::add_monitor_command(app, global, exit_code);
    ksim::ctl::add_dump_command(app, global, exit_code);

    // A usage error is reported before --json was necessarily parsed: look for it in argv.
    const bool json =
        std::any_of(argv + 1, argv + argc, [](const char* a) { return std::string_view(a) == "--json"; });
    auto report_usage = [&](const CLI::ParseError& e) {
        if (!json) {
            (void)app.exit(e);
            return;
        }
        global.json = true;
        (void)ksim::ctl::report_failure("", ksim::Error{ksim::Errc::InvalidArgument, e.what()},
                                        ksim::ctl::kUsageRule, ksim::ctl::kExitUsage);
    };
    if (auto done = ksim::cli::parse(app, argc, argv, report_usage)) return *done;
    return exit_code;
}
