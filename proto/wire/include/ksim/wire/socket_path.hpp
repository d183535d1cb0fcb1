// Where ksimd listens when nobody names a socket: the one rule, used by the daemon (where it
// binds) and by libksim and its tools (where they connect), so that the two never disagree.
#pragma once

#include <string>

namespace ksim::wire {

// `/run/ksim/ksimd.sock` when running as root, else `$XDG_RUNTIME_DIR/ksim/ksimd.sock`; a
// non-root process without XDG_RUNTIME_DIR falls back to `/run/user/<uid>/ksim/ksimd.sock`.
std::string default_socket_path();
// The rule itself, for a given effective uid and XDG_RUNTIME_DIR (null or empty: unset).
std::string default_socket_path_for(unsigned uid, const char* xdg_runtime_dir);

// The environment variable that names the socket for every ksim program (as PIPEWIRE_REMOTE
// does for PipeWire's): between an explicit --socket and the default rule.
inline constexpr const char* kSocketEnvironmentVariable = "KSIM_SOCKET";

// The socket a program uses: `explicit_path` (its --socket) when not empty, else $KSIM_SOCKET
// when set and not empty, else default_socket_path(). ksimd binds by it, clients connect by it.
std::string resolve_socket_path(const std::string& explicit_path);
// The same precedence with the environment given (null or empty: unset), for tests.
std::string resolve_socket_path(const std::string& explicit_path, const char* ksim_socket);

}  // namespace ksim::wire
