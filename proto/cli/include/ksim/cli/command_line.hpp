// The command-line conventions every ksim program follows: `--version` prints "PROGRAM VERSION"
// and exits 0 (CLI11's own version flag), `--help` exits 0, and every usage error exits 2 —
// CLI11's own codes (105, 106, 109, ...) would collide with the programs' documented ones.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

#include "ksim/cli/version.hpp"

namespace ksim::cli {

inline constexpr int kExitUsage = 2;

// "ksimctl 0.1.0"
inline std::string version_line(const std::string& program) {
    return program + " " + std::string(kVersion);
}

inline void add_version_flag(CLI::App& app, const std::string& program) {
    app.set_version_flag("--version", version_line(program));
}

// Parses argv. Returns nullopt when the program goes on, else the exit code to return from main:
// 0 after --help / --version (printed by CLI11), kExitUsage after a usage error, which
// `report` prints (default: CLI11's message and the hint to --help on stderr).
inline std::optional<int> parse(CLI::App& app, int argc, char** argv,
                                const std::function<void(const CLI::ParseError&)>& report = {}) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
        if (report)
            report(e);
        else
            (void)app.exit(e);
        return kExitUsage;
    }
    return std::nullopt;
}

}  // namespace ksim::cli
