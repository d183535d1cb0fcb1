// The one default-socket rule (ksim/wire/socket_path.hpp) that ksimd binds by and clients
// connect by. The rule is checked for each kind of user through default_socket_path_for (with a
// fake file system for the client's lookup), so every case runs whoever runs the tests; the
// defaults apply it to this process.
#include "ksim/wire/socket_path.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <set>
#include <string>
#include <vector>

TEST(SocketPath, Root_AlwaysUsesRunKsim) {
    EXPECT_EQ(ksim::wire::default_socket_path_for(0, "/tmp/xdg"), "/run/ksim/ksimd.sock");
    EXPECT_EQ(ksim::wire::default_socket_path_for(0, nullptr), "/run/ksim/ksimd.sock");
}

TEST(SocketPath, User_FollowsXdgRuntimeDir) {
    EXPECT_EQ(ksim::wire::default_socket_path_for(1000, "/tmp/ksim-xdg-test"),
              "/tmp/ksim-xdg-test/ksim/ksimd.sock");
}

TEST(SocketPath, UserWithoutXdgRuntimeDir_FallsBackToRunUser) {
    EXPECT_EQ(ksim::wire::default_socket_path_for(1000, nullptr), "/run/user/1000/ksim/ksimd.sock");
    EXPECT_EQ(ksim::wire::default_socket_path_for(1000, ""), "/run/user/1000/ksim/ksimd.sock");
}

namespace {
using ksim::wire::SocketUse;

// A file system where only `present` holds sockets; records what the rule asked about.
struct FakeSockets {
    std::set<std::string> present;
    std::vector<std::string> asked;
    ksim::wire::SocketExists exists() {
        return [this](const std::string& p) {
            asked.push_back(p);
            return present.contains(p);
        };
    }
};
}  // namespace

TEST(SocketPath, ClientWithItsOwnDaemon_ConnectsToIt) {
    FakeSockets fs{{"/x/ksim/ksimd.sock", "/run/ksim/ksimd.sock"}, {}};
    EXPECT_EQ(ksim::wire::default_socket_path_for(1000, "/x", SocketUse::Connect, fs.exists()),
              "/x/ksim/ksimd.sock");
}

TEST(SocketPath, ClientWithoutItsOwnDaemon_FindsTheSystemDaemon) {
    FakeSockets fs{{"/run/ksim/ksimd.sock"}, {}};
    EXPECT_EQ(ksim::wire::default_socket_path_for(1000, "/x", SocketUse::Connect, fs.exists()),
              "/run/ksim/ksimd.sock");
    EXPECT_EQ(fs.asked, (std::vector<std::string>{"/x/ksim/ksimd.sock", "/run/ksim/ksimd.sock"}));
}

TEST(SocketPath, ClientWithNoDaemonAnywhere_IsToldItsOwnPath) {
    FakeSockets fs;
    EXPECT_EQ(ksim::wire::default_socket_path_for(1000, "/x", SocketUse::Connect, fs.exists()),
              "/x/ksim/ksimd.sock");
}

TEST(SocketPath, Daemon_BindsItsOwnPathEvenWhenTheSystemDaemonRuns) {
    FakeSockets fs{{"/run/ksim/ksimd.sock"}, {}};
    EXPECT_EQ(ksim::wire::default_socket_path_for(1000, "/x", SocketUse::Listen, fs.exists()),
              "/x/ksim/ksimd.sock");
    EXPECT_TRUE(fs.asked.empty());
}

TEST(SocketPath, RootClient_UsesOnlyTheSystemSocket) {
    FakeSockets fs{{"/x/ksim/ksimd.sock"}, {}};
    EXPECT_EQ(ksim::wire::default_socket_path_for(0, "/x", SocketUse::Connect, fs.exists()),
              "/run/ksim/ksimd.sock");
}

TEST(SocketPath, SocketFileExists_IsTrueOnlyForASocket) {
    const std::string dir = ::testing::TempDir();
    EXPECT_FALSE(ksim::wire::socket_file_exists(dir));  // a directory
    EXPECT_FALSE(ksim::wire::socket_file_exists(dir + "/ksim-no-such-socket"));
}

TEST(SocketPath, Defaults_AreTheRuleForThisProcess) {
    EXPECT_EQ(
        ksim::wire::default_socket_path(),
        ksim::wire::default_socket_path_for(::geteuid(), std::getenv("XDG_RUNTIME_DIR"), SocketUse::Connect));
    EXPECT_EQ(
        ksim::wire::default_listen_socket_path(),
        ksim::wire::default_socket_path_for(::geteuid(), std::getenv("XDG_RUNTIME_DIR"), SocketUse::Listen));
}
