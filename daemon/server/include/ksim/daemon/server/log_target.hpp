// Where ksimd's log goes: the console (stdout, with timestamps) or the systemd journal (spdlog's
// systemd sink: journald priorities from spdlog levels, journald's own timestamps).
#pragma once

#include <optional>
#include <string_view>

namespace ksim::daemon::server {

enum class LogTarget {
    Auto,  // the journal when stdout is the journal stream systemd set up, else the console
    Console,
    Journal,
};

// "auto", "console", "journal"; nullopt for anything else.
std::optional<LogTarget> parse_log_target(std::string_view text);

// Auto resolved: Journal when JOURNAL_STREAM (`journal_stream`, "DEVICE:INODE"; null when unset)
// names the file stdout is (`stdout_dev`, `stdout_ino`), as systemd documents for services whose
// output goes to the journal; a child whose stdout was redirected elsewhere inherits the variable
// but not the match. Console and Journal pass through.
LogTarget resolve_log_target(LogTarget requested, const char* journal_stream, unsigned long long stdout_dev,
                             unsigned long long stdout_ino);

// Installs the default spdlog logger for `target` (Auto resolved for this process) before any
// named logger exists (they clone it): the console with "time level [name] text", or the journal
// with "[name] text", identifier "ksimd". Returns the target in effect.
LogTarget configure_logging(LogTarget target);

}  // namespace ksim::daemon::server
