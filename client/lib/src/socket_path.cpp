#include "ksim/client/socket_path.hpp"

#include "ksim/wire/socket_path.hpp"

namespace ksim::client {

std::string default_socket_path() {
    return wire::default_socket_path();
}

std::string resolve_socket_path(const std::string& explicit_path) {
    return wire::resolve_socket_path(explicit_path);
}

}  // namespace ksim::client
