#include "logging.hpp"

#include <fmt/format.h>

namespace ksim::daemon::server {

namespace {

// The length of the valid UTF-8 sequence at the start of `s`, or 0 (overlong forms, surrogates
// and code points above U+10FFFF are invalid).
std::size_t utf8_sequence(std::string_view s) {
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const auto cont = [&](std::size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
    const unsigned char c = b(0);
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2)) return 0;
        if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
        if (c == 0xED && b(1) > 0x9F) return 0;  // surrogate
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
        if (c == 0xF4 && b(1) > 0x8F) return 0;  // above U+10FFFF
        return 4;
    }
    return 0;
}

void append_hex(std::string& out, unsigned char c) {
    fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
}

}  // namespace

std::string loggable(std::string_view text, std::size_t max_bytes) {
    std::string out;
    out.reserve(std::min(text.size(), max_bytes) + 16);
    std::size_t i = 0;
    while (i < text.size() && i < max_bytes) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7F) {
            if (c == '\\') out += '\\';
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        switch (c) {
            case '\n':
                out += "\\n";
                ++i;
                continue;
            case '\r':
                out += "\\r";
                ++i;
                continue;
            case '\t':
                out += "\\t";
                ++i;
                continue;
            default:
                break;
        }
        const std::size_t n = c >= 0x80 ? utf8_sequence(text.substr(i)) : 0;
        // U+0080..U+009F (C2 80..C2 9F) are the C1 controls: CSI among them.
        const bool c1 = n == 2 && c == 0xC2 && static_cast<unsigned char>(text[i + 1]) <= 0x9F;
        if (n == 0 || c1 || i + n > max_bytes) {
            if (n != 0 && !c1) break;  // a character that does not fit: cut before it
            append_hex(out, c);
            ++i;
            continue;
        }
        out.append(text.substr(i, n));
        i += n;
    }
    if (i < text.size()) fmt::format_to(std::back_inserter(out), "…({} bytes)", text.size());
    return out;
}

std::optional<std::uint64_t> RateLimiter::admit(std::string_view key, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(std::string(key));
    if (it == entries_.end()) {
        if (entries_.size() >= 1024)
            std::erase_if(entries_, [&](const auto& e) { return now - e.second.last >= interval_; });
        entries_.emplace(std::string(key), Entry{now, 0});
        return 0;
    }
    Entry& e = it->second;
    if (now - e.last < interval_) {
        ++e.suppressed;
        return std::nullopt;
    }
    const std::uint64_t suppressed = e.suppressed;
    e = Entry{now, 0};
    return suppressed;
}

RateLimiter& log_rate_limiter() {
    static RateLimiter limiter(std::chrono::seconds(1));
    return limiter;
}

}  // namespace ksim::daemon::server
