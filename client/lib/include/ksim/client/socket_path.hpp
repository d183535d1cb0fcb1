// Where ksimd listens by default, so that clients find the daemon without configuration. The
// rule is ksim/wire/socket_path.hpp's, the one ksimd binds by (docs/ksimd.md).
#pragma once

#include <string>

namespace ksim::client {

// `$XDG_RUNTIME_DIR/ksim/ksimd.sock`; `/run/ksim/ksimd.sock` when running as root. A non-root
// process without XDG_RUNTIME_DIR falls back to `/run/user/<uid>/ksim/ksimd.sock`.
std::string default_socket_path();

// `explicit_path` when it is not empty, else $KSIM_SOCKET when it is set and not empty, else
// default_socket_path() (wire::resolve_socket_path: ksimd binds by the same precedence).
std::string resolve_socket_path(const std::string& explicit_path);

}  // namespace ksim::client
