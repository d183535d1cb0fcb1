#include "ksim/wire/socket_path.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

namespace ksim::wire {

bool socket_file_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

std::string default_socket_path_for(unsigned uid, const char* xdg_runtime_dir, SocketUse use,
                                    const SocketExists& exists) {
    if (uid == 0) return kSystemSocketPath;
    std::string own = xdg_runtime_dir != nullptr && *xdg_runtime_dir != '\0'
                          ? std::string(xdg_runtime_dir) + "/ksim/ksimd.sock"
                          : "/run/user/" + std::to_string(uid) + "/ksim/ksimd.sock";
    if (use == SocketUse::Listen || exists(own) || !exists(kSystemSocketPath)) return own;
    return kSystemSocketPath;
}

std::string default_socket_path() {
    return default_socket_path_for(::geteuid(), std::getenv("XDG_RUNTIME_DIR"), SocketUse::Connect);
}

std::string default_listen_socket_path() {
    return default_socket_path_for(::geteuid(), std::getenv("XDG_RUNTIME_DIR"), SocketUse::Listen);
}

}  // namespace ksim::wire
