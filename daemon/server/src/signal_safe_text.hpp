// SignalSafeText: a fixed buffer for composing lines inside a signal handler — no allocation,
// no locale, no stdio; what does not fit is cut. Written out with write(2) only.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace ksim::daemon::server {

class SignalSafeText {
public:
    SignalSafeText& add(std::string_view s) noexcept {
        const std::size_t n = s.size() < sizeof(buf_) - size_ ? s.size() : sizeof(buf_) - size_;
        std::memcpy(buf_ + size_, s.data(), n);
        size_ += n;
        return *this;
    }
    SignalSafeText& add(const char* s) noexcept { return add(std::string_view(s != nullptr ? s : "")); }
    // Decimal, at least `width` digits (zero-padded).
    SignalSafeText& dec(std::uint64_t v, int width = 1) noexcept {
        char digits[24];
        int n = 0;
        do {
            digits[n++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v != 0 && n < 24);
        while (n < width && n < 24) digits[n++] = '0';
        while (n > 0) add(std::string_view(&digits[--n], 1));
        return *this;
    }
    SignalSafeText& hex(std::uint64_t v) noexcept {
        char digits[16];
        int n = 0;
        do {
            digits[n++] = "0123456789abcdef"[v & 0xF];
            v >>= 4;
        } while (v != 0);
        add("0x");
        while (n > 0) add(std::string_view(&digits[--n], 1));
        return *this;
    }
    [[nodiscard]] const char* c_str() noexcept {
        buf_[size_ < sizeof(buf_) ? size_ : sizeof(buf_) - 1] = '\0';
        return buf_;
    }
    void clear() noexcept { size_ = 0; }
    // The whole text to `fd` (a negative fd is skipped); EINTR is retried, other errors give up.
    void write_to(int fd) const noexcept {
        std::size_t done = 0;
        while (fd >= 0 && done < size_) {
            const ssize_t n = ::write(fd, buf_ + done, size_ - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return;
            done += static_cast<std::size_t>(n);
        }
    }

private:
    char buf_[4096];
    std::size_t size_ = 0;
};

}  // namespace ksim::daemon::server
