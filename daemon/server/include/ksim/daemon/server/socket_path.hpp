// Where ksimd listens, and taking over the socket path safely: a live daemon is never
// displaced, a stale socket left by a killed one is replaced.
#pragma once

#include <filesystem>

#include "ksim/proto/error.hpp"

namespace ksim::daemon::server {

// `$XDG_RUNTIME_DIR/ksim/ksimd.sock`; `/run/ksim/ksimd.sock` as root; `/run/user/<uid>/ksim/ksimd.sock`
// for a non-root user without XDG_RUNTIME_DIR.
std::filesystem::path default_socket_path();

// Makes `path` available for bind(): creates the parent directory (0700) if missing; if a socket
// is already there, probe-connects it: a daemon answering → Busy ("another ksimd is listening on
// ..."); refused → stale, unlinked. Anything else at the path (a regular file) → AlreadyExists.
Result<void> claim_socket_path(const std::filesystem::path& path);

}  // namespace ksim::daemon::server
