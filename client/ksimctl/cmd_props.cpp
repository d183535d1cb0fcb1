// `ksimctl props PIN`: the properties a pin answers — ALLOCATORFRAMING_EX exactly as the daemon
// reports it (or the legacy ALLOCATORFRAMING of a legacy-only pin), STREAMALLOCATOR_STATUS,
// connection state and statistics.
#include <iostream>
#include <memory>

#include "ksim/proto/framing_json.hpp"
#include "online.hpp"

namespace ksim::ctl {
namespace {

int run_props(const GlobalOptions& global, const std::string& pin_text) {
    auto pin = parse_pin_or_report(pin_text);
    if (!pin) return kExitUsage;
    auto client = connect_or_report(global);
    if (!client) return kExitError;

    // An unknown pin fails the command; a property the pin cannot answer yet (no allocator
    // committed, no framing) is reported next to the others.
    if (auto known = check_pin_known(*client, *pin); !known)
        return report_unknown_pin(pin_text, known.error());

    const nlohmann::json out = pin_properties(*client, *pin);
    if (global.json) {
        print_json(out);
    } else {
        std::cout << pin_text << "\n";
        for (const auto& [name, value] : out.items())
            std::cout << "  " << name << ": " << value.dump(2) << "\n";
    }
    return kExitOk;
}

}  // namespace

void add_props_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd =
        app.add_subcommand("props", "Properties of a pin (ALLOCATORFRAMING_EX, STREAMALLOCATOR_STATUS, ...)");
    auto pin = std::make_shared<std::string>();
    cmd->add_option("pin", *pin, "FILTER.PIN")->required();
    cmd->callback([&global, &exit_code, pin] { exit_code = run_props(global, *pin); });
}

}  // namespace ksim::ctl
