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

}  // namespace ksim::wire
