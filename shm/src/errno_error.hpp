// Turning errno into a specific ksim::Error. Private to ksim_shm.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "ksim/proto/error.hpp"

namespace ksim::shm::detail {

// "what: strerror (errno N)", with EACCES/EPERM mapped to PermissionDenied and
// ENOMEM/ENOSPC/EMFILE/ENFILE to InsufficientResources.
inline Error errno_error(std::string_view what, int err = errno) {
    Errc code = Errc::Io;
    if (err == EACCES || err == EPERM) code = Errc::PermissionDenied;
    if (err == ENOMEM || err == ENOSPC || err == EMFILE || err == ENFILE) code = Errc::InsufficientResources;
    std::string msg(what);
    msg += ": ";
    msg += std::strerror(err);
    msg += " (errno ";
    msg += std::to_string(err);
    msg += ")";
    return Error{code, std::move(msg)};
}

// "0x1F"-style hex for messages.
inline std::string hex(std::uint64_t value) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    std::string digits;
    do {
        digits.insert(digits.begin(), kDigits[value & 0xF]);
        value >>= 4;
    } while (value != 0);
    return "0x" + digits;
}

inline std::unexpected<Error> fail_errno(std::string_view what, int err = errno) {
    return std::unexpected<Error>(errno_error(what, err));
}

}  // namespace ksim::shm::detail
