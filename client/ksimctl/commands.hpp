// ksimctl subcommands. Each one lives in its own cmd_*.cpp and registers itself on the app;
// its callback stores the process exit code in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace ksim::ctl {

// Exit codes users and CI scripts rely on.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;        // runtime failure (daemon unreachable, I/O)
inline constexpr int kExitInvalid = 2;      // invalid config
inline constexpr int kExitUsage = 2;        // a bad command line (every ksim program: ksim/cli)
inline constexpr int kExitUnsatisfied = 3;  // negotiate: some connection fails

struct GlobalOptions {
    std::string socket;  // empty = default socket path
    bool json = false;
};

void add_validate_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_negotiate_command(CLI::App& app, const GlobalOptions& global, int& exit_code);
void add_sinks_command(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace ksim::ctl
