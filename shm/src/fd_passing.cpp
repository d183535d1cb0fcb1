#include "ksim/shm/fd_passing.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstring>
#include <string>

#include "errno_error.hpp"

namespace ksim::shm {

Result<void> send_fds(int socket, std::span<const std::byte> payload, std::span<const int> fds) {
    if (payload.empty()) return fail(Errc::InvalidArgument, "send_fds: the payload needs at least one byte");
    if (fds.size() > kMaxFdsPerMessage) {
        return fail(Errc::InvalidArgument, "send_fds: " + std::to_string(fds.size()) +
                                               " descriptors; at most " + std::to_string(kMaxFdsPerMessage) +
                                               " per message");
    }
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)] = {};
    iovec iov{const_cast<std::byte*>(payload.data()), payload.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (!fds.empty()) {
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
        cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
    }
    std::size_t sent_total = 0;
    while (sent_total < payload.size()) {
        const ssize_t sent = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) continue;
            if (errno == EPIPE || errno == ECONNRESET)
                return fail(Errc::Disconnected, "send_fds: peer closed");
            return detail::fail_errno("send_fds: sendmsg");
        }
        // Descriptors travel with the first byte; a short write sends the rest without them.
        sent_total += static_cast<std::size_t>(sent);
        iov.iov_base = const_cast<std::byte*>(payload.data()) + sent_total;
        iov.iov_len = payload.size() - sent_total;
        msg.msg_control = nullptr;
        msg.msg_controllen = 0;
    }
    return {};
}

Result<ReceivedFds> recv_fds(int socket, std::span<std::byte> payload) {
    if (payload.empty()) return fail(Errc::InvalidArgument, "recv_fds: needs a payload buffer");
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)] = {};
    iovec iov{payload.data(), payload.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t received = 0;
    do {
        received = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
    } while (received < 0 && errno == EINTR);
    if (received < 0) {
        if (errno == ECONNRESET) return fail(Errc::Disconnected, "recv_fds: peer reset the connection");
        return detail::fail_errno("recv_fds: recvmsg");
    }

    ReceivedFds result;
    result.bytes = static_cast<std::size_t>(received);
    // Take ownership of every descriptor first, so an error below closes them all.
    for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
        const std::size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int fd = -1;
            std::memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof fd);
            result.fds.emplace_back(fd);
        }
    }
    if (received == 0 && result.fds.empty())
        return fail(Errc::Disconnected, "recv_fds: peer closed the connection");
    if ((msg.msg_flags & MSG_CTRUNC) != 0) {
        return fail(Errc::ProtocolError, "recv_fds: more than " + std::to_string(kMaxFdsPerMessage) +
                                             " descriptors in one message; all were closed");
    }
    if ((msg.msg_flags & MSG_TRUNC) != 0) {
        return fail(Errc::ProtocolError,
                    "recv_fds: datagram larger than the " + std::to_string(payload.size()) + "-byte buffer");
    }
    return result;
}

}  // namespace ksim::shm
