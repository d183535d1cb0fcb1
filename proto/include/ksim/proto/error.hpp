// The one project error enum. The same codes travel in protocol error replies, so values are
// stable: append new codes, never renumber.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <system_error>

namespace ksim {

enum class Errc : std::uint32_t {
    Ok = 0,
    InvalidArgument = 1,  // a request or value is malformed
    InvalidConfig = 2,    // a topology failed validation
    NotFound = 3,         // unknown filter, pin, region, frame
    AlreadyExists = 4,
    InvalidState = 5,   // e.g. pin state transition not allowed now
    NotCommitted = 6,   // no allocator decision committed for this pin
    NoMoreEntries = 7,  // allocator: outstanding frames reached the negotiated count
    InsufficientResources = 8,
    PermissionDenied = 9,  // wrong role, wrong uid, read-only mapping
    StaleDescriptor = 10,  // frame descriptor with an old generation or wrong owner
    ProtocolError = 11,    // bad framing, version mismatch, oversize message
    Unsupported = 12,
    Busy = 13,  // e.g. a second graph manager
    Timeout = 14,
    Io = 15,                 // OS-level failure (errno in the message)
    NegotiationFailed = 16,  // no allocator satisfies a connection
    Disconnected = 17,
    Internal = 18,
    TooLarge = 19,  // a request or a reply would exceed a size or count limit (the message names it)
    kCount,         // not a code: the number of codes (tables of names are checked against it)
};

std::string_view to_string(Errc e);  // stable snake_case name used on the wire, e.g. "no_more_entries"
bool parse_errc(std::string_view name, Errc& out);

const std::error_category& ksim_category();
inline std::error_code make_error_code(Errc e) {
    return {static_cast<int>(e), ksim_category()};
}

// An error a user or peer sees: a stable code plus a specific message.
struct Error {
    Errc code = Errc::Internal;
    std::string message;
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(Errc code, std::string message) {
    return std::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace ksim

template <>
struct std::is_error_code_enum<ksim::Errc> : std::true_type {};
