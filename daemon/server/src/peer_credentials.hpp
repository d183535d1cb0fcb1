// Who is on the other end of a Unix socket (SO_PEERCRED) and whether ksimd lets them in.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "ksim/proto/error.hpp"

namespace ksim::daemon::server {

struct PeerCredentials {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    [[nodiscard]] std::string to_string() const;  // "pid 123 uid 1000 gid 1000"
};

Result<PeerCredentials> peer_credentials(int socket_fd);

// Only the daemon's own uid may connect, plus members of `allowed_group` if one is configured
// (the peer's primary gid or one of its user's supplementary groups).
bool peer_allowed(const PeerCredentials& peer, uid_t daemon_uid, std::optional<gid_t> allowed_group);

}  // namespace ksim::daemon::server
