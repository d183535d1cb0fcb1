#include "unix_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "session_end.hpp"

namespace ksim::client::detail {
namespace {

// Enough for any reply: the daemon sends a few region and ring descriptors per stream.
constexpr std::size_t kMaxFdsPerMessage = 64;

std::string errno_text(int err) {
    return std::strerror(err);
}

}  // namespace

Result<shm::UniqueFd> connect_unix(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(addr.sun_path))
        return fail(Errc::InvalidArgument, "socket path '" + path + "' must be 1.." +
                                               std::to_string(sizeof(addr.sun_path) - 1) + " bytes long");
    std::memcpy(addr.sun_path, path.data(), path.size());

    shm::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return fail(Errc::Io, "socket(AF_UNIX): " + errno_text(errno));
    int rc;
    do {
        rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0)
        return fail(Errc::Disconnected, "cannot connect to ksimd at " + path + ": " + errno_text(errno));
    return fd;
}

Result<void> send_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EPIPE || errno == ECONNRESET) return std::unexpected(daemon_closed_connection());
            return fail(Errc::Io, "send: " + errno_text(errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

Result<std::size_t> receive_some(int fd, std::span<char> buffer, std::vector<shm::UniqueFd>& fds) {
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)> control{};
    iovec iov{buffer.data(), buffer.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();

    ssize_t n;
    do {
        n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        // A reset is what a daemon that died with our bytes unread leaves: the same story as EOF.
        if (errno == ECONNRESET || errno == EPIPE) return std::unexpected(daemon_closed_connection());
        if (errno == EBADF || errno == EINVAL)
            return fail(Errc::Disconnected, "connection to ksimd lost: " + errno_text(errno));
        return fail(Errc::Io, "recvmsg: " + errno_text(errno));
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int received;
            std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            fds.emplace_back(received);
        }
    }
    // MSG_CTRUNC means descriptors were lost; the request that expected them will report it.
    return static_cast<std::size_t>(n);
}

}  // namespace ksim::client::detail
