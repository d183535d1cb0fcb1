#include "ksim/daemon/server/socket_path.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ksim/shm/unique_fd.hpp"
#include "ksim/wire/socket_path.hpp"

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

std::string octal(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof(text), "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

// Whoever may write to the socket's directory may unlink the socket and bind their own, so the
// directory must be writable by its owner only, unless it is sticky (others cannot remove what
// is ours) and owned by root or us (nobody else can clear the sticky bit).
Result<void> check_directory_safe(const std::filesystem::path& dir, const struct stat& st) {
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) == 0) return {};
    const bool sticky = (st.st_mode & S_ISVTX) != 0;
    if (sticky && (st.st_uid == 0 || st.st_uid == ::geteuid())) return {};
    return fail(Errc::PermissionDenied,
                "the socket's directory " + dir.string() + " is mode " + octal(st.st_mode) +
                    " owned by uid " + std::to_string(st.st_uid) +
                    ": writable by others, who could replace the socket; use a directory only its owner may "
                    "write (e.g. 0700, or 0750 with --allow-group), or a sticky one owned by root or uid " +
                    std::to_string(::geteuid()));
}

// With --allow-group the group's members must be able to reach the socket: a directory ksimd
// made (ours, 0700) is given to the group as 0750; any other must already let them through.
Result<void> open_directory_to_group(const std::filesystem::path& dir, const struct stat& st, gid_t group) {
    if (st.st_uid == ::geteuid() && (st.st_mode & 07777) == 0700) {
        if (::chown(dir.c_str(), static_cast<uid_t>(-1), group) != 0 || ::chmod(dir.c_str(), 0750) != 0)
            return fail(Errc::PermissionDenied, "giving group " + std::to_string(group) + " access to " +
                                                    dir.string() + " (0750): " + errno_text(errno));
        return {};
    }
    const bool through_group = st.st_gid == group && (st.st_mode & S_IXGRP) != 0;
    const bool through_others = (st.st_mode & S_IXOTH) != 0;
    if (through_group || through_others) return {};
    return fail(Errc::PermissionDenied, "--allow-group " + std::to_string(group) + ": members cannot reach " +
                                            dir.string() + " (mode " + octal(st.st_mode) + ", group " +
                                            std::to_string(st.st_gid) + "); make it mode 0750 with group " +
                                            std::to_string(group));
}

}  // namespace

std::filesystem::path default_socket_path() {
    return wire::default_listen_socket_path();
}

Result<void> claim_socket_path(const std::filesystem::path& path, std::optional<gid_t> allow_group) {
    if (path.native().size() >= sizeof(sockaddr_un{}.sun_path))
        return fail(Errc::InvalidArgument, "socket path " + path.string() + " is longer than " +
                                               std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes");
    std::error_code ec;
    auto parent = path.parent_path();
    if (parent.empty()) parent = ".";
    if (!std::filesystem::exists(parent, ec)) {
        std::filesystem::create_directories(parent, ec);
        if (ec) return fail(Errc::Io, "creating " + parent.string() + ": " + ec.message());
        ::chmod(parent.c_str(), 0700);
    }
    struct stat dir {};
    if (::stat(parent.c_str(), &dir) != 0)
        return fail(Errc::Io, "stat " + parent.string() + ": " + errno_text(errno));
    if (auto safe = check_directory_safe(parent, dir); !safe) return safe;
    if (allow_group)
        if (auto reachable = open_directory_to_group(parent, dir, *allow_group); !reachable) return reachable;
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
