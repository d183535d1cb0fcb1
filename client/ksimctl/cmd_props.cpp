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
    if (!pin) return kExitError;
    auto client = connect_or_report(global);
    if (!client) return kExitError;

    // An unknown pin is a usage error; a property the pin cannot answer yet (no allocator
    // committed, no framing) is reported next to the others.
    auto filters = client->list(pin->filter);
    if (!filters) return report_error(pin_text, filters.error());
    bool known = false;
    for (const auto& f : *filters)
        for (const auto& p : f.pins) known = known || (f.id == pin->filter && p.id == pin->pin);
    if (!known)
        return report_error(pin_text,
                            Error{Errc::NotFound, "ksimd has no pin " + pin_text + " (see `ksimctl list`)"});

    nlohmann::json out = nlohmann::json::object();
    for (auto property : {wire::PropertyId::AllocatorFramingEx, wire::PropertyId::AllocatorFraming,
                          wire::PropertyId::StreamAllocatorStatus, wire::PropertyId::ConnectionState,
                          wire::PropertyId::Statistics, wire::PropertyId::DataFormat}) {
        const std::string name(wire::to_string(property));
        auto reply = client->get_property(*pin, property);
        if (!reply) {
            out[name] = {
                {"error", {{"code", to_string(reply.error().code)}, {"message", reply.error().message}}}};
            continue;
        }
        nlohmann::json body = *reply;
        body.erase("pin");
        body.erase("property");
        out[name] = body.size() == 1 ? body.begin().value() : body;
    }
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
