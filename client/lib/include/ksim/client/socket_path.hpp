// Where ksimd listens by default, so that clients find the daemon without configuration. The
// rule is ksim/wire/socket_path.hpp's, the one ksimd binds by (docs/ksimd.md).
#pragma once

#include <string>

namespace ksim::client {

// `/run/ksim/ksimd.sock` when running as root. A non-root process takes its own daemon's
// `$XDG_RUNTIME_DIR/ksim/ksimd.sock` (`/run/user/<uid>/ksim/ksimd.sock` without XDG_RUNTIME_DIR)
// when that socket exists, else the system daemon's `/run/ksim/ksimd.sock` when that one
// exists, else its own path (wire::default_socket_path).
std::string default_socket_path();

// `explicit_path` when it is not empty, else $KSIM_SOCKET when it is set and not empty, else
// default_socket_path() (wire::resolve_socket_path: ksimd binds by the same precedence).
std::string resolve_socket_path(const std::string& explicit_path);

}  // namespace ksim::client
