// Shared plumbing of the online ksimctl commands: connecting to ksimd with the global options,
// reporting errors the same way everywhere, and small text-table output.
#pragma once

#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "ksim/client/client.hpp"
#include "ksim/client/socket_path.hpp"

namespace ksim::ctl {

// Connects as "ksimctl" in `role` (state changes use the operator role). On failure prints "cannot connect to
// ksimd at PATH: ..." (or the handshake error) to stderr and returns nullopt; the caller exits with
// kExitError. With `reconnect`, the client resumes its session when ksimd goes away
// (ConnectOptions::reconnect).
std::optional<client::Client> connect_or_report(
    const GlobalOptions& global, wire::Role role = wire::Role::Client,
    std::optional<client::ReconnectPolicy> reconnect = std::nullopt);

// Prints "ksimctl: <what>: <message> [code]" to stderr and returns kExitError.
int report_error(const std::string& what, const Error& error);

// "filter.pin" → PinRef; reports a usage error (error_output.hpp, kUsageRule) and returns
// nullopt when malformed: the caller exits with kExitUsage.
std::optional<proto::PinRef> parse_pin_or_report(const std::string& text);

// NotFound when ksimd has no such pin, worded as every unknown pin is (ksim/proto/pin_lookup.hpp:
// the config loader's and ksimd's message and "did you mean" hint); the list request's own error
// otherwise. report_unknown_pin reports it with kUnknownPinRule.
Result<void> check_pin_known(client::Client& client, const proto::PinRef& pin);
int report_unknown_pin(const std::string& pin_text, const Error& error);

// Every property `pin` answers, by name ("ALLOCATORFRAMING_EX", ..., "STATISTICS"); one the pin
// cannot answer yet is {"error":{"code","message"}} in its place (`ksimctl props`, `dump`).
nlohmann::json pin_properties(client::Client& client, const proto::PinRef& pin);

// Prints `value` as indented JSON on stdout.
void print_json(const nlohmann::json& value);

// A left-aligned text table: header row, then rows; column widths fit the widest cell.
class Table {
public:
    explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    void print(std::ostream& out) const;

private:
    std::vector<std::vector<std::string>> rows_;
};

// Registration of the online commands (one cmd_*.cpp each).
void add_status_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_list_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_props_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_graph_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_stats_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_ledger_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_verifier_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_state_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_capture_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_monitor_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_dump_command(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace ksim::ctl
