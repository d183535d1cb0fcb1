// Who may connect (docs/ksimd.md, "Who may connect"): the decision on credentials, decided with
// made-up peers so that every case runs unprivileged and as root alike; the credentials the
// kernel reports for a real socket; and the refusal on the wire, with a daemon told (through its
// test hook) that the peer is a stranger: the client reads why before the connection closes.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "daemon_fixture.hpp"
#include "ksim/daemon/server/peer_credentials.hpp"

namespace ksim::test {
namespace {

using daemon::server::AccessRule;
using daemon::server::PeerCredentials;
using daemon::server::refusal_reason;

constexpr uid_t kDaemonUid = 990;
constexpr gid_t kGroup = 991;
const PeerCredentials kStranger{4242, 1000, 1000, {24, 27}};

TEST(PeerAccess, TheDaemonsOwnUid_MayConnect) {
    EXPECT_EQ(refusal_reason(PeerCredentials{1, kDaemonUid, 5, {}}, AccessRule{kDaemonUid, {}, ""}),
              std::nullopt);
}

TEST(PeerAccess, Root_MayConnect) {
    EXPECT_EQ(refusal_reason(PeerCredentials{1, 0, 0, {}}, AccessRule{kDaemonUid, {}, ""}), std::nullopt);
}

TEST(PeerAccess, AStrangerWithoutAGroupRule_IsRefusedNamingWhoMay) {
    auto why = refusal_reason(kStranger, AccessRule{kDaemonUid, {}, ""});
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("pid 4242 uid 1000 gid 1000"), std::string::npos) << *why;
    EXPECT_NE(why->find("only uid 990 and root may connect"), std::string::npos) << *why;
    EXPECT_NE(why->find("--allow-group"), std::string::npos) << *why;
}

TEST(PeerAccess, AMemberOfTheGroup_MayConnect_ByPrimaryOrSupplementaryGroup) {
    const AccessRule rule{kDaemonUid, kGroup, "ksim"};
    EXPECT_EQ(refusal_reason(PeerCredentials{1, 1000, kGroup, {}}, rule), std::nullopt);
    EXPECT_EQ(refusal_reason(PeerCredentials{1, 1000, 1000, {24, kGroup, 27}}, rule), std::nullopt);
}

TEST(PeerAccess, AStrangerOutsideTheGroup_IsRefusedNamingTheGroup) {
    auto why = refusal_reason(kStranger, AccessRule{kDaemonUid, kGroup, "ksim"});
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("only uid 990, root and members of group ksim (991) may connect"), std::string::npos)
        << *why;
}

TEST(PeerCredentialsOfASocket, AreThisProcesssUidGidAndGroups) {
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    shm::UniqueFd a(pair[0]), b(pair[1]);
    auto creds = daemon::server::peer_credentials(a.get());
    ASSERT_TRUE(creds) << creds.error().message;
    EXPECT_EQ(creds->pid, ::getpid());
    EXPECT_EQ(creds->uid, ::geteuid());
    EXPECT_EQ(creds->gid, ::getegid());
    std::vector<gid_t> ours(static_cast<std::size_t>(::getgroups(0, nullptr)));
    ASSERT_EQ(::getgroups(static_cast<int>(ours.size()), ours.data()), static_cast<int>(ours.size()));
    EXPECT_EQ(std::set<gid_t>(creds->groups.begin(), creds->groups.end()),
              std::set<gid_t>(ours.begin(), ours.end()));
}

// A daemon that takes every peer for a stranger: another uid (neither its own nor root), another
// primary group, no supplementary groups, with --allow-group set to a group the stranger lacks.
class RefusingDaemon : public DaemonFixture {
protected:
    bool start_in_setup() const override { return false; }
    void SetUp() override {
        DaemonFixture::SetUp();
        auto o = default_options();
        stranger_uid_ = ::geteuid() == 0 ? 4242 : ::geteuid() + 4242;
        o.allow_group = ::getegid();
        o.credentials_hook = [uid = stranger_uid_](PeerCredentials& peer) {
            peer.uid = uid;
            peer.gid = static_cast<gid_t>(uid);
            peer.groups.clear();
        };
        start(std::move(o));
    }
    uid_t stranger_uid_ = 0;
};

TEST_F(RefusingDaemon, TellsTheRefusedPeerWhyAsAnErrorWithIdZero_ThenCloses) {
    auto c = connect();
    auto refusal = c.next_message();
    ASSERT_TRUE(refusal) << refusal.error().message;
    EXPECT_EQ((*refusal)["id"], 0) << refusal->dump();
    EXPECT_EQ((*refusal)["ok"], false) << refusal->dump();
    EXPECT_EQ(error_code(*refusal), "permission_denied") << refusal->dump();
    const auto text = (*refusal)["error"]["message"].get<std::string>();
    EXPECT_NE(text.find("ksimd refused the connection from pid " + std::to_string(::getpid()) + " uid " +
                        std::to_string(stranger_uid_)),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("members of group"), std::string::npos) << text;
    EXPECT_TRUE(c.wait_closed());
    EXPECT_TRUE(daemon_->client_usage().empty());  // no session was started for it
}

TEST_F(RefusingDaemon, AHelloSentAtOnce_IsNeverAnswered_OnlyTheRefusalComes) {
    auto c = connect();
    auto hello = wire::encode_frame({{"type", "hello"},
                                     {"id", 1},
                                     {"protocol_version", wire::kProtocolVersion},
                                     {"role", "client"},
                                     {"client_name", "stranger"}});
    ASSERT_TRUE(hello);
    // The daemon may have closed already (EPIPE): what it sent before is still there to read.
    (void)c.send_raw(*hello);
    auto m = c.next_message();
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ((*m)["id"], 0) << m->dump();
    EXPECT_EQ(error_code(*m), "permission_denied") << m->dump();
    EXPECT_TRUE(c.wait_closed());
}

}  // namespace
}  // namespace ksim::test
