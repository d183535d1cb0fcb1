// Named spdlog loggers of the server module ("server", "session", "protocol", "stream"), and the
// two rules every log line that carries client input or repeats follows: client-supplied text is
// made loggable (escaped and truncated), repeated lines are rate-limited per key.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ksim/log/logger.hpp"

namespace ksim::daemon::server {

// The logger `name`, created on first use with the default sink and level (ksim_log).
using log::logger;

// How many bytes of one client-supplied string a log line keeps.
inline constexpr std::size_t kLoggableBytes = 128;
// How many bytes of a message composed around client input (an error's text) a log line keeps.
inline constexpr std::size_t kLoggableMessageBytes = 512;

// `text` as it may go into a log line: control characters, DEL, ESC, C1 controls and bytes that
// are not UTF-8 become `\xNN`, newline, CR and tab `\n`, `\r`, `\t`, a backslash `\\`; valid
// UTF-8 otherwise passes. Input beyond `max_bytes` is cut (at a character boundary) and
// "…(N bytes)" says how long it was. Clients choose client_name, pin ids and more; without
// this a name could forge log lines or drive the terminal that shows the log.
std::string loggable(std::string_view text, std::size_t max_bytes = kLoggableBytes);

// Lets one line per key through per interval and counts the rest. Thread-safe (the drain
// threads log through it too). Keys are a few per client; entries idle for a whole interval are
// dropped when the table grows, so it stays small.
class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;
    explicit RateLimiter(Clock::duration interval) : interval_(interval) {}

    // The number of lines suppressed for `key` since the last one let through, when a line may be
    // written at `now`; nullopt to suppress it.
    std::optional<std::uint64_t> admit(std::string_view key, Clock::time_point now = Clock::now());
    [[nodiscard]] Clock::duration interval() const { return interval_; }

private:
    struct Entry {
        Clock::time_point last;
        std::uint64_t suppressed = 0;
    };
    Clock::duration interval_;
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
};

// The daemon's limiter for repeated lines: one line per key per second.
RateLimiter& log_rate_limiter();

// Logs `fmt` at `level` on logger `name` at most once per second per `key` (formatting only what
// is written); a line written after suppressed ones says how many were suppressed. Every line
// that a client or a fault can repeat at will (accept errors, refused requests and releases,
// slow readers) goes through here.
template <typename... Args>
void log_limited(const std::string& name, spdlog::level::level_enum level, std::string_view key,
                 fmt::format_string<Args...> fmt, Args&&... args) {
    auto log = logger(name);
    if (!log->should_log(level)) return;
    auto suppressed = log_rate_limiter().admit(key);
    if (!suppressed) return;
    std::string text = fmt::format(fmt, std::forward<Args>(args)...);
    if (*suppressed > 0) text += fmt::format(" ({} similar lines suppressed)", *suppressed);
    log->log(level, text);
}

}  // namespace ksim::daemon::server
