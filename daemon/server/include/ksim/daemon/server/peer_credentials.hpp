// Who is on the other end of a Unix socket (SO_PEERCRED, SO_PEERGROUPS) and whether ksimd lets
// them in (docs/ksimd.md, "Who may connect").
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "ksim/proto/error.hpp"

namespace ksim::daemon::server {

struct PeerCredentials {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;                                // primary (effective) group
    std::vector<gid_t> groups;                    // supplementary groups of the peer process
    [[nodiscard]] std::string to_string() const;  // "pid 123 uid 1000 gid 1000"
};

// The peer's credentials as the kernel recorded them at connect(): SO_PEERCRED for pid, uid and
// gid, SO_PEERGROUPS for the supplementary groups (the process's own, not the user database's:
// what the socket file's mode was checked against, and no NSS lookup in the io loop).
Result<PeerCredentials> peer_credentials(int socket_fd);

// Who may connect: the daemon's own uid, root, and with `group` anyone whose primary or
// supplementary groups include it.
struct AccessRule {
    uid_t daemon_uid = 0;
    std::optional<gid_t> group;
    std::string group_name;  // for the refusal text; empty: the gid is shown
};

// Why `peer` may not connect under `rule` (a sentence for the client and the log), or nullopt
// when it may.
std::optional<std::string> refusal_reason(const PeerCredentials& peer, const AccessRule& rule);

}  // namespace ksim::daemon::server
