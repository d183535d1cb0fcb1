#include "ksim/daemon/server/socket_path.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "ksim/shm/unique_fd.hpp"

namespace ksim::daemon::server {
namespace {

std::string errno_text(int e) {
    return std::strerror(e);
}

// True when something accepts connections on `path`.
Result<bool> socket_is_live(const std::filesystem::path& path) {
    shm::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return fail(Errc::Io, "socket(AF_UNIX): " + errno_text(errno));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) return true;
    if (errno == ECONNREFUSED || errno == ENOENT) return false;
    return fail(Errc::Io, "probing " + path.string() + ": " + errno_text(errno));
}

}  // namespace

std::filesystem::path default_socket_path() {
    if (::geteuid() == 0) return "/run/ksim/ksimd.sock";
    if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && *xdg != '\0')
        return std::filesystem::path(xdg) / "ksim" / "ksimd.sock";
    return std::filesystem::path("/run/user") / std::to_string(::geteuid()) / "ksim" / "ksimd.sock";
}

Result<void> claim_socket_path(const std::filesystem::path& path) {
    if (path.native().size() >= sizeof(sockaddr_un{}.sun_path))
        return fail(Errc::InvalidArgument, "socket path " + path.string() + " is longer than " +
                                               std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes");
    std::error_code ec;
    auto parent = path.parent_path();
    if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
        std::filesystem::create_directories(parent, ec);
        if (ec) return fail(Errc::Io, "creating " + parent.string() + ": " + ec.message());
        ::chmod(parent.c_str(), 0700);
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return {};
        return fail(Errc::Io, "stat " + path.string() + ": " + errno_text(errno));
    }
    if (!S_ISSOCK(st.st_mode))
        return fail(Errc::AlreadyExists,
                    path.string() + " exists and is not a socket; refusing to replace it");
    auto live = socket_is_live(path);
    if (!live) return std::unexpected(live.error());
    if (*live)
        return fail(Errc::Busy, "another ksimd is already listening on " + path.string() +
                                    " (stop it first, or pass a different --socket)");
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        return fail(Errc::Io, "removing stale socket " + path.string() + ": " + errno_text(errno));
    return {};
}

}  // namespace ksim::daemon::server
