#include "ksim/daemon/server/log_target.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace ksim::daemon::server {

std::optional<LogTarget> parse_log_target(std::string_view text) {
    if (text == "auto") return LogTarget::Auto;
    if (text == "console") return LogTarget::Console;
    if (text == "journal") return LogTarget::Journal;
    return std::nullopt;
}

LogTarget resolve_log_target(LogTarget requested, const char* journal_stream, unsigned long long stdout_dev,
                             unsigned long long stdout_ino) {
    if (requested != LogTarget::Auto) return requested;
    if (journal_stream == nullptr) return LogTarget::Console;
    return journal_stream == std::to_string(stdout_dev) + ":" + std::to_string(stdout_ino)
               ? LogTarget::Journal
               : LogTarget::Console;
}

LogTarget configure_logging(LogTarget target) {
    struct stat st {};
    const bool have_stdout = ::fstat(STDOUT_FILENO, &st) == 0;
    target = resolve_log_target(target, have_stdout ? std::getenv("JOURNAL_STREAM") : nullptr, st.st_dev,
                                st.st_ino);
    std::shared_ptr<spdlog::logger> logger;
    if (target == LogTarget::Journal) {
        // Formatting on, for the logger name; no time (journald stamps every entry) and no level
        // (it is the entry's PRIORITY).
        logger = std::make_shared<spdlog::logger>(
            "ksimd", std::make_shared<spdlog::sinks::systemd_sink_mt>("ksimd", /*enable_formatting=*/true));
        logger->set_pattern("[%n] %v");
    } else {
        logger = std::make_shared<spdlog::logger>("ksimd",
                                                  std::make_shared<spdlog::sinks::stdout_color_sink_mt>());
        logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%n] %v");
    }
    logger->set_level(spdlog::get_level());
    spdlog::set_default_logger(std::move(logger));
    return target;
}

}  // namespace ksim::daemon::server
