#include "ksim/wire/socket_path.hpp"

#include <unistd.h>

#include <cstdlib>

namespace ksim::wire {

std::string default_socket_path_for(unsigned uid, const char* xdg_runtime_dir) {
    if (uid == 0) return "/run/ksim/ksimd.sock";
    if (xdg_runtime_dir != nullptr && *xdg_runtime_dir != '\0')
        return std::string(xdg_runtime_dir) + "/ksim/ksimd.sock";
    return "/run/user/" + std::to_string(uid) + "/ksim/ksimd.sock";
}

std::string default_socket_path() {
    return default_socket_path_for(::geteuid(), std::getenv("XDG_RUNTIME_DIR"));
}

}  // namespace ksim::wire
