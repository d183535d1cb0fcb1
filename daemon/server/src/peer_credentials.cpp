#include "ksim/daemon/server/peer_credentials.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ksim::daemon::server {

std::string PeerCredentials::to_string() const {
    return "pid " + std::to_string(pid) + " uid " + std::to_string(uid) + " gid " + std::to_string(gid);
}

Result<PeerCredentials> peer_credentials(int socket_fd) {
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return fail(Errc::Io, std::string("getsockopt(SO_PEERCRED): ") + std::strerror(errno));
    PeerCredentials peer{cred.pid, cred.uid, cred.gid, {}};
    // NGROUPS_MAX is 65536; start with room for the usual handful and grow once to what the
    // kernel says it needs (ERANGE).
    peer.groups.resize(64);
    for (int attempt = 0; attempt < 2; ++attempt) {
        len = static_cast<socklen_t>(peer.groups.size() * sizeof(gid_t));
        if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERGROUPS, peer.groups.data(), &len) == 0) {
            peer.groups.resize(len / sizeof(gid_t));
            return peer;
        }
        if (errno != ERANGE) break;
        peer.groups.resize(len / sizeof(gid_t));
    }
    return fail(Errc::Io, std::string("getsockopt(SO_PEERGROUPS): ") + std::strerror(errno));
}

std::optional<std::string> refusal_reason(const PeerCredentials& peer, const AccessRule& rule) {
    if (peer.uid == rule.daemon_uid || peer.uid == 0) return std::nullopt;
    if (rule.group &&
        (peer.gid == *rule.group || std::ranges::find(peer.groups, *rule.group) != peer.groups.end()))
        return std::nullopt;
    const std::string prefix = "ksimd refused the connection from " + peer.to_string() + ": only uid " +
                               std::to_string(rule.daemon_uid);
    if (!rule.group) return prefix + " and root may connect (ksimd --allow-group GROUP admits a group)";
    const std::string group = rule.group_name.empty()
                                  ? std::to_string(*rule.group)
                                  : rule.group_name + " (" + std::to_string(*rule.group) + ")";
    return prefix + ", root and members of group " + group + " may connect";
}

}  // namespace ksim::daemon::server
