// --socket, then $KSIM_SOCKET, then the default rule (socket_path.cpp): the one precedence of
// every ksim program.
#include <cstdlib>

#include "ksim/wire/socket_path.hpp"

namespace ksim::wire {

std::string resolve_socket_path(const std::string& explicit_path, const char* ksim_socket) {
    if (!explicit_path.empty()) return explicit_path;
    if (ksim_socket != nullptr && *ksim_socket != '\0') return ksim_socket;
    return default_socket_path();
}

std::string resolve_socket_path(const std::string& explicit_path) {
    return resolve_socket_path(explicit_path, std::getenv(kSocketEnvironmentVariable));
}

}  // namespace ksim::wire
