#include "peer_credentials.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace ksim::daemon::server {

std::string PeerCredentials::to_string() const {
    return "pid " + std::to_string(pid) + " uid " + std::to_string(uid) + " gid " + std::to_string(gid);
}

Result<PeerCredentials> peer_credentials(int socket_fd) {
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return fail(Errc::Io, std::string("getsockopt(SO_PEERCRED): ") + std::strerror(errno));
    return PeerCredentials{cred.pid, cred.uid, cred.gid};
}

namespace {

// Supplementary groups of the peer's user, from the user database (the kernel does not report
// them over SO_PEERCRED).
bool user_in_group(uid_t uid, gid_t primary, gid_t group) {
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* found = nullptr;
    if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) return false;
    int count = 64;
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    if (::getgrouplist(pw.pw_name, primary, groups.data(), &count) < 0) {
        groups.resize(static_cast<std::size_t>(count));
        if (::getgrouplist(pw.pw_name, primary, groups.data(), &count) < 0) return false;
    }
    groups.resize(static_cast<std::size_t>(count));
    for (gid_t g : groups)
        if (g == group) return true;
    return false;
}

}  // namespace

bool peer_allowed(const PeerCredentials& peer, uid_t daemon_uid, std::optional<gid_t> allowed_group) {
    if (peer.uid == daemon_uid) return true;
    if (!allowed_group) return false;
    return peer.gid == *allowed_group || user_in_group(peer.uid, peer.gid, *allowed_group);
}

}  // namespace ksim::daemon::server
