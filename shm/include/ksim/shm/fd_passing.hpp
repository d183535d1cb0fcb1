// Sending and receiving file descriptors over a connected Unix socket (SCM_RIGHTS), with a
// small payload so a message and its descriptors arrive together. Blocking or not as the
// socket is; EINTR is retried.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "ksim/proto/error.hpp"
#include "ksim/shm/unique_fd.hpp"

namespace ksim::shm {

// At most this many descriptors per message.
inline constexpr std::size_t kMaxFdsPerMessage = 16;

// Sends `payload` (at least one byte) with `fds` attached. The caller keeps its descriptors.
// Errors: InvalidArgument (empty payload, too many fds), Disconnected (peer closed), Io.
Result<void> send_fds(int socket, std::span<const std::byte> payload, std::span<const int> fds);

struct ReceivedFds {
    std::size_t bytes = 0;      // payload bytes received into the caller's buffer
    std::vector<UniqueFd> fds;  // received descriptors (close-on-exec)
};

// Receives one message into `payload` and takes its descriptors. Errors: Disconnected (EOF),
// ProtocolError (descriptors or payload truncated; anything received is closed), Io.
Result<ReceivedFds> recv_fds(int socket, std::span<std::byte> payload);

}  // namespace ksim::shm
