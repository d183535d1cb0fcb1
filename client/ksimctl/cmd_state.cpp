// `ksimctl state PIN STATE`: walks a pin to STOP / ACQUIRE / PAUSE / RUN (one step at a time,
// as KS requires; ksimd performs the intermediate transitions). It connects as an operator, so it
// may change any pin (ksimd grants that role to its own uid only), and the state it sets outlives
// the command: an operator never becomes a pin's holder.
#include <iostream>
#include <memory>

#include "error_output.hpp"
#include "online.hpp"

namespace ksim::ctl {
namespace {

int run_state(const GlobalOptions& global, const std::string& pin_text, const std::string& state_text) {
    auto pin = parse_pin_or_report(pin_text);
    if (!pin) return kExitUsage;
    auto target = proto::parse_pin_state(state_text);
    if (!target)
        return report_failure("",
                              Error{Errc::InvalidArgument, "'" + state_text +
                                                               "' is not a pin state; expected STOP, "
                                                               "ACQUIRE, PAUSE or RUN"},
                              kUsageRule, kExitUsage);
    auto client = connect_or_report(global, wire::Role::Operator);
    if (!client) return kExitError;
    auto reached = client->set_state(*pin, *target);
    if (!reached) return report_error("state " + pin_text + " " + state_text, reached.error());
    if (global.json)
        print_json({{"pin", pin_text}, {"state", proto::to_string(*reached)}});
    else
        std::cout << pin_text << " is now " << proto::to_string(*reached) << "\n";
    return kExitOk;
}

}  // namespace

void add_state_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd = app.add_subcommand("state", "Set a pin's state (STOP, ACQUIRE, PAUSE, RUN)");
    auto pin = std::make_shared<std::string>();
    auto state = std::make_shared<std::string>();
    cmd->add_option("pin", *pin, "FILTER.PIN")->required();
    cmd->add_option("state", *state, "STOP | ACQUIRE | PAUSE | RUN")->required();
    cmd->callback([&global, &exit_code, pin, state] { exit_code = run_state(global, *pin, *state); });
}

}  // namespace ksim::ctl
