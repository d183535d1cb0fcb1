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

// "filter.pin" → PinRef; prints an error and returns nullopt when malformed.
std::optional<proto::PinRef> parse_pin_or_report(const std::string& text);

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

}  // namespace ksim::ctl
