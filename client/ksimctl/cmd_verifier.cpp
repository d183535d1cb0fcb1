// `ksimctl verifier [PIN]`: what the verifier caught minidrivers doing wrong (docs/minidriver.md,
// "Verifier"): per driver pin, each rule broken and how often, then the last violations with
// the routine the driver called. Exit code 0 either way; --json for scripts.
#include <fmt/format.h>

#include <iostream>

#include "error_output.hpp"
#include "online.hpp"

namespace ksim::ctl {
namespace {

struct Entry {
    std::string pin;  // "filter.pin"
    wire::VerifierStats stats;
};

nlohmann::json to_json(const std::vector<Entry>& entries) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& e : entries) rows.push_back({{"pin", e.pin}, {"verifier", e.stats}});
    return rows;
}

void print_text(const std::vector<Entry>& entries) {
    if (entries.empty()) {
        std::cout << "no minidriver pins\n";
        return;
    }
    for (const auto& e : entries) {
        std::cout << fmt::format("{} (driver {}): {} violation(s)\n", e.pin, e.stats.driver, e.stats.total);
        if (e.stats.rules.empty()) continue;
        Table rules({"  RULE", "COUNT", "HINT"});
        for (const auto& r : e.stats.rules) rules.add({"  " + r.rule, std::to_string(r.count), r.hint});
        rules.print(std::cout);
        Table recent({"  #", "RULE", "ROUTINE", "MESSAGE"});
        for (const auto& v : e.stats.recent)
            recent.add({"  " + std::to_string(v.nth), v.rule, v.routine, v.message});
        recent.print(std::cout);
    }
}

int run_verifier(const GlobalOptions& global, const std::string& pin_text) {
    std::optional<proto::PinRef> only;
    if (!pin_text.empty()) {
        only = parse_pin_or_report(pin_text);
        if (!only) return kExitUsage;
    }
    auto client = connect_or_report(global);
    if (!client) return kExitError;
    if (only)
        if (auto known = check_pin_known(*client, *only); !known)
            return report_unknown_pin(pin_text, known.error());
    auto filters = client->list();
    if (!filters) return report_error("verifier", filters.error());
    std::vector<Entry> entries;
    bool found = false;
    for (const auto& f : *filters)
        for (const auto& p : f.pins) {
            const proto::PinRef ref{f.id, p.id};
            if (only && !(*only == ref)) continue;
            found = true;
            auto stats = client->statistics(ref);
            if (!stats) return report_error("verifier " + f.id + "." + p.id, stats.error());
            if (stats->verifier) entries.push_back(Entry{f.id + "." + p.id, *stats->verifier});
        }
    if (only && !found)  // removed between the two requests
        return report_failure("verifier", Error{Errc::NotFound, "pin " + pin_text + " went away"});
    if (only && entries.empty())
        return report_failure(
            "verifier", Error{Errc::InvalidArgument,
                              pin_text + " is not a minidriver's pin (the verifier watches only those)"});
    if (global.json)
        print_json(to_json(entries));
    else
        print_text(entries);
    return kExitOk;
}

}  // namespace

void add_verifier_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd =
        app.add_subcommand("verifier", "Misuse of the driver API the verifier caught, per minidriver pin");
    auto pin = std::make_shared<std::string>();
    cmd->add_option("pin", *pin, "Only this pin (filter.pin)");
    cmd->callback([&global, &exit_code, pin] { exit_code = run_verifier(global, *pin); });
}

}  // namespace ksim::ctl
