// Blocking Unix-stream socket primitives for the client side: connect, send a whole buffer,
// receive bytes together with any descriptors attached to them (SCM_RIGHTS). Private to libksim.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ksim/proto/error.hpp"
#include "ksim/shm/unique_fd.hpp"

namespace ksim::client::detail {

// Errors: InvalidArgument (path too long for sockaddr_un), Disconnected (nobody listening:
// "cannot connect to ksimd at PATH: <strerror>"), Io (socket()).
Result<shm::UniqueFd> connect_unix(const std::string& path);

// Writes all of `bytes` (retries on EINTR and short writes; never raises SIGPIPE).
// Errors: Disconnected (peer gone), Io.
Result<void> send_all(int fd, std::string_view bytes);

// One recvmsg(): fills `buffer`, appends received descriptors to `fds`. Returns the byte count;
// 0 means the peer closed the socket. Descriptors are received close-on-exec.
// Errors: Disconnected (reset or shut down), Io.
Result<std::size_t> receive_some(int fd, std::span<char> buffer, std::vector<shm::UniqueFd>& fds);

}  // namespace ksim::client::detail
