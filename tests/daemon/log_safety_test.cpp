// The server's logging rules: client-supplied text is escaped and truncated before it reaches a
// log line (loggable), and repeated lines are let through once per interval (RateLimiter).
#include <gtest/gtest.h>

#include "logging.hpp"
#include "session_context.hpp"

namespace ksim::daemon::server {
namespace {

using namespace std::chrono_literals;

TEST(Loggable, PlainTextPassesUnchanged) {
    EXPECT_EQ(loggable("viewer-1 (camera)"), "viewer-1 (camera)");
}

TEST(Loggable, NewlineCannotForgeALogLine) {
    const std::string forged = "x\n2026-01-01 00:00:00.000 info [server] shutdown complete";
    const std::string out = loggable(forged);
    EXPECT_EQ(out.find('\n'), std::string::npos);
    EXPECT_EQ(out.substr(0, 3), "x\\n");
}

TEST(Loggable, ControlCharactersAndEscapeBecomeHex) {
    EXPECT_EQ(loggable("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
    EXPECT_EQ(loggable(std::string("a\0b", 3)), "a\\x00b");
    EXPECT_EQ(loggable("\r\t\x7f"), "\\r\\t\\x7f");
    EXPECT_EQ(loggable("back\\slash"), "back\\\\slash") << "a literal backslash cannot imitate an escape";
}

TEST(Loggable, Utf8PassesButC1ControlsAndInvalidBytesDoNot) {
    EXPECT_EQ(loggable("caméra ✓"), "caméra ✓");
    EXPECT_EQ(loggable("\xc2\x9b"
                       "31m"),
              "\\xc2\\x9b31m")
        << "U+009B is CSI";
    EXPECT_EQ(loggable("\x9b"
                       "31m"),
              "\\x9b31m")
        << "a lone 8-bit CSI byte";
    EXPECT_EQ(loggable("\xc0\xaf"), "\\xc0\\xaf") << "overlong form";
    EXPECT_EQ(loggable("\xed\xa0\x80"), "\\xed\\xa0\\x80") << "surrogate";
}

TEST(Loggable, LongTextIsCutAndSaysHowLongItWas) {
    const std::string huge(900 * 1024, 'n');
    const std::string out = loggable(huge);
    EXPECT_EQ(out, std::string(kLoggableBytes, 'n') + "…(921600 bytes)");
    EXPECT_EQ(loggable(std::string(kLoggableBytes, 'n')), std::string(kLoggableBytes, 'n'))
        << "exactly the limit is not cut";
}

TEST(Loggable, CutNeverSplitsACharacter) {
    std::string text(kLoggableBytes - 1, 'a');
    text += "é";  // two bytes across the limit
    EXPECT_EQ(loggable(text), std::string(kLoggableBytes - 1, 'a') + "…(129 bytes)");
}

TEST(Loggable, SessionNameEscapesTheClientName) {
    SessionContext context;
    context.client_id = 4;
    context.client_name = "evil\nname\x1b";
    EXPECT_EQ(context.name(), "client 4 (evil\\nname\\x1b)");
}

TEST(RateLimiter, OneLinePerKeyPerIntervalAndTheCountOfTheRest) {
    RateLimiter limiter(1s);
    const auto t0 = RateLimiter::Clock::time_point{} + 100s;
    EXPECT_EQ(limiter.admit("accept", t0), 0u);
    for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.admit("accept", t0 + 100ms * i).has_value());
    EXPECT_EQ(limiter.admit("other", t0 + 500ms), 0u) << "keys are independent";
    EXPECT_EQ(limiter.admit("accept", t0 + 1s), 5u) << "the next line reports what was suppressed";
    EXPECT_FALSE(limiter.admit("accept", t0 + 1500ms).has_value());
    EXPECT_EQ(limiter.admit("accept", t0 + 3s), 1u);
}

TEST(RateLimiter, ManyIdleKeysAreForgotten) {
    RateLimiter limiter(1s);
    const auto t0 = RateLimiter::Clock::time_point{} + 100s;
    for (int i = 0; i < 2000; ++i) limiter.admit("client " + std::to_string(i), t0);
    // Long after, the table is pruned as it fills; every key is admitted again.
    for (int i = 0; i < 2000; ++i) EXPECT_EQ(limiter.admit("client " + std::to_string(i), t0 + 10s), 0u);
}

}  // namespace
}  // namespace ksim::daemon::server
