// Where the socket may live: a directory others may write is refused at start (they could
// unlink the socket and bind their own), unless it is sticky and owned by root or us; with
// --allow-group the directory and the socket are opened to that group (0750 / 0660).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "daemon_fixture.hpp"

namespace ksim::test {
namespace {

using daemon::server::DaemonApp;
using daemon::server::DaemonOptions;

class SocketSafety : public ::testing::Test {
protected:
    // Options for a daemon whose socket is in `socket_dir` and whose runtime directory (locked,
    // checked by the run registry) is a separate private one.
    DaemonOptions options_for(const std::filesystem::path& socket_dir) const {
        DaemonOptions o;
        o.topology = load_config("demo-capture-1080p.json");
        o.socket_path = socket_dir / "ksimd.sock";
        o.runtime_dir = dir_.path() / "run";
        o.handle_signals = false;
        o.notify_systemd = false;
        o.raise_fd_limit = false;
        o.shm_prefix = "ksim-test-" + std::to_string(::getpid());
        return o;
    }
    std::filesystem::path make_dir(const std::string& name, mode_t mode) const {
        auto d = dir_.path() / name;
        std::filesystem::create_directory(d);
        EXPECT_EQ(::chmod(d.c_str(), mode), 0);
        return d;
    }
    static mode_t mode_of(const std::filesystem::path& p) {
        struct stat st {};
        EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
        return st.st_mode & 07777;
    }
    static gid_t group_of(const std::filesystem::path& p) {
        struct stat st {};
        EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
        return st.st_gid;
    }
    TempDir dir_;
};

TEST_F(SocketSafety, WorldWritableDirectory_IsRefusedNamingItAndItsMode) {
    auto open = make_dir("open", 0777);
    auto d = DaemonApp::create(options_for(open));
    ASSERT_FALSE(d.has_value());
    EXPECT_EQ(d.error().code, Errc::PermissionDenied);
    EXPECT_NE(d.error().message.find(open.string()), std::string::npos) << d.error().message;
    EXPECT_NE(d.error().message.find("0777"), std::string::npos) << d.error().message;
    EXPECT_FALSE(std::filesystem::exists(open / "ksimd.sock"));
}

TEST_F(SocketSafety, GroupWritableDirectory_IsRefused) {
    auto shared = make_dir("shared", 0770);
    auto d = DaemonApp::create(options_for(shared));
    ASSERT_FALSE(d.has_value());
    EXPECT_EQ(d.error().code, Errc::PermissionDenied);
    EXPECT_NE(d.error().message.find("0770"), std::string::npos) << d.error().message;
}

TEST_F(SocketSafety, StickyDirectoryOfOurs_IsAccepted) {
    auto tmp_like = make_dir("sticky", 01777);
    auto d = DaemonApp::create(options_for(tmp_like));
    ASSERT_TRUE(d.has_value()) << d.error().message;
    EXPECT_TRUE(std::filesystem::exists(tmp_like / "ksimd.sock"));
}

TEST_F(SocketSafety, StickyDirectoryOfAnotherUser_IsRefused) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a directory to another uid (nobody)";
    auto theirs = make_dir("theirs", 01777);
    ASSERT_EQ(::chown(theirs.c_str(), 65534, 65534), 0);
    auto d = DaemonApp::create(options_for(theirs));
    ASSERT_FALSE(d.has_value());
    EXPECT_EQ(d.error().code, Errc::PermissionDenied);
    EXPECT_NE(d.error().message.find("1777"), std::string::npos) << d.error().message;
    EXPECT_NE(d.error().message.find("uid 65534"), std::string::npos) << d.error().message;
}

TEST_F(SocketSafety, AllowGroup_MakesTheDirectory0750AndTheSocket0660WithThatGroup) {
    auto fresh = dir_.path() / "fresh";  // ksimd creates it
    auto o = options_for(fresh);
    o.allow_group = ::getegid();
    auto d = DaemonApp::create(std::move(o));
    ASSERT_TRUE(d.has_value()) << d.error().message;
    EXPECT_EQ(mode_of(fresh), 0750u);
    EXPECT_EQ(group_of(fresh), ::getegid());
    EXPECT_EQ(mode_of(fresh / "ksimd.sock"), 0660u);
    EXPECT_EQ(group_of(fresh / "ksimd.sock"), ::getegid());
}

TEST_F(SocketSafety, WithoutAllowGroup_TheDirectoryIs0700AndTheSocket0600) {
    auto fresh = dir_.path() / "private";
    auto d = DaemonApp::create(options_for(fresh));
    ASSERT_TRUE(d.has_value()) << d.error().message;
    EXPECT_EQ(mode_of(fresh), 0700u);
    EXPECT_EQ(mode_of(fresh / "ksimd.sock"), 0600u);
}

TEST_F(SocketSafety, AllowGroup_RefusesADirectoryTheGroupCannotEnter) {
    auto closed = make_dir("closed", 0750);  // our group, not the allowed one; not the 0700 ksimd makes
    auto o = options_for(closed);
    o.allow_group = ::getegid() + 4242;
    auto d = DaemonApp::create(std::move(o));
    ASSERT_FALSE(d.has_value());
    EXPECT_EQ(d.error().code, Errc::PermissionDenied);
    EXPECT_NE(d.error().message.find("members cannot reach"), std::string::npos) << d.error().message;
    EXPECT_EQ(mode_of(closed), 0750u) << "a directory ksimd did not make is left as it is";
}

std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(SystemdUnit, AgreesWithTheDaemon) {
    const std::string unit =
        read_text(std::filesystem::path(KSIM_SOURCE_DIR) / "packaging/systemd/ksimd.service.in");
    EXPECT_NE(unit.find("\nRuntimeDirectoryMode=0750\n"), std::string::npos) << unit;
    EXPECT_NE(unit.find("\nLimitNOFILE="), std::string::npos) << unit;
}

}  // namespace
}  // namespace ksim::test
