// Where ksimd listens when nobody names a socket, and where a client looks for it: the one rule,
// used by the daemon (where it binds) and by libksim and its tools (where they connect), so that
// the two never disagree.
#pragma once

#include <functional>
#include <string>

namespace ksim::wire {

// The system daemon's socket (ksimd.service), where ksimd binds when it runs as root.
inline constexpr const char* kSystemSocketPath = "/run/ksim/ksimd.sock";

enum class SocketUse {
    Listen,   // the daemon: where it binds
    Connect,  // a client: where it finds a daemon
};

// Whether a socket file exists at a path (the default asks the file system).
using SocketExists = std::function<bool(const std::string& path)>;
bool socket_file_exists(const std::string& path);

// The rule, for a given effective uid and XDG_RUNTIME_DIR (null or empty: unset).
// Listen: kSystemSocketPath for uid 0, else `$XDG_RUNTIME_DIR/ksim/ksimd.sock`, or
// `/run/user/<uid>/ksim/ksimd.sock` without XDG_RUNTIME_DIR (the user's own daemon).
// Connect: the same for uid 0. A non-root client prefers its own daemon: the user path when a
// socket is there, else kSystemSocketPath when a socket is there (the system daemon, which
// admits its --allow-group), else the user path, so the error names the daemon the user would
// start. `exists` is asked about the candidates in that order.
std::string default_socket_path_for(unsigned uid, const char* xdg_runtime_dir,
                                    SocketUse use = SocketUse::Listen,
                                    const SocketExists& exists = socket_file_exists);

// The Connect rule for this process (euid, XDG_RUNTIME_DIR): where clients connect.
std::string default_socket_path();
// The Listen rule for this process: where ksimd binds without --socket.
std::string default_listen_socket_path();

// The environment variable that names the socket for every ksim program (as PIPEWIRE_REMOTE
// does for PipeWire's): between an explicit --socket and the default rule.
inline constexpr const char* kSocketEnvironmentVariable = "KSIM_SOCKET";

// The socket a program uses: `explicit_path` (its --socket) when not empty, else $KSIM_SOCKET
// when set and not empty, else default_socket_path(). ksimd binds by it, clients connect by it.
std::string resolve_socket_path(const std::string& explicit_path);
// The same precedence with the environment given (null or empty: unset), for tests.
std::string resolve_socket_path(const std::string& explicit_path, const char* ksim_socket);

}  // namespace ksim::wire
