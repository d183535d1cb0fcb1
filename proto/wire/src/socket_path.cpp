#include "ksim/wire/socket_path.hpp"

#include <unistd.h>

#include <cstdlib>

namespace ksim::wire {

std::string default_socket_path() {
    if (::geteuid() == 0) return "/run/ksim/ksimd.sock";
    if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && *xdg != '\0')
        return std::string(xdg) + "/ksim/ksimd.sock";
    return "/run/user/" + std::to_string(::geteuid()) + "/ksim/ksimd.sock";
}

}  // namespace ksim::wire
