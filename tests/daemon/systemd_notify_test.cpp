// ksimd under systemd (Type=notify, WatchdogSec=): READY=1 with the status line once it serves,
// WATCHDOG=1 at half of WATCHDOG_USEC from the io loop, STATUS= again when the line changes
// (a client connects), STOPPING=1 at shutdown. The test plays systemd: a datagram socket named
// by NOTIFY_SOCKET, read with a timeout that only bounds a failure.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "daemon_fixture.hpp"
#include "unread_notify_socket.hpp"

namespace ksim::test {
namespace {

class SystemdNotify : public DaemonFixture {
protected:
    bool start_in_setup() const override { return false; }
    void SetUp() override {
        DaemonFixture::SetUp();
        const auto path = dir_.path() / "notify.sock";
        notify_ = shm::UniqueFd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        ASSERT_TRUE(notify_);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
        ASSERT_EQ(::bind(notify_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
        timeval timeout{5, 0};
        ASSERT_EQ(::setsockopt(notify_.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)), 0);
        ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
        ::setenv("WATCHDOG_USEC", "100000", 1);  // pings every 50 ms
        ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
        auto o = default_options();
        o.notify_systemd = true;
        start(std::move(o));
    }
    void TearDown() override {
        DaemonFixture::TearDown();
        ::unsetenv("NOTIFY_SOCKET");
        ::unsetenv("WATCHDOG_USEC");
        ::unsetenv("WATCHDOG_PID");
    }
    // The next notification ("" when none came within the timeout).
    std::string next() {
        std::array<char, 4096> buf{};
        const auto n = ::recv(notify_.get(), buf.data(), buf.size(), 0);
        return n > 0 ? std::string(buf.data(), static_cast<std::size_t>(n)) : std::string();
    }
    // Reads notifications until one contains `text`; all of them in order, for the failure message.
    bool wait_for(const std::string& text, std::string& seen) {
        for (int i = 0; i < 200; ++i) {
            const auto m = next();
            if (m.empty()) return false;
            seen += "[" + m + "]";
            if (m.find(text) != std::string::npos) return true;
        }
        return false;
    }
    shm::UniqueFd notify_;
};

TEST_F(SystemdNotify, ReadyWithStatus_ThenWatchdogPings_ThenStatusOnChange_ThenStopping) {
    EXPECT_EQ(next(), "READY=1\nSTATUS=0 pipes committed, 0 pins running, 0 clients");
    EXPECT_EQ(next(), "WATCHDOG=1");
    EXPECT_EQ(next(), "WATCHDOG=1");

    auto client = connect_with_hello();
    std::string seen;
    EXPECT_TRUE(wait_for("STATUS=0 pipes committed, 0 pins running, 1 client", seen)) << seen;

    daemon_->request_stop();
    seen.clear();
    EXPECT_TRUE(wait_for("STOPPING=1", seen)) << seen;
}

// ksimd's whole life with a NOTIFY_SOCKET nobody reads: READY, status lines, pings and STOPPING
// all find the queue full. libsystemd's sd_notify waited there, and ksimd's io loop with it: the
// client tests' ksimd stopped answering SIGTERM once ten status lines had gone unread.
class SystemdNotifyUnread : public DaemonFixture {
protected:
    bool start_in_setup() const override { return false; }
    void TearDown() override {
        DaemonFixture::TearDown();
        ::unsetenv("NOTIFY_SOCKET");
        ::unsetenv("WATCHDOG_USEC");
        ::unsetenv("WATCHDOG_PID");
    }
};

TEST_F(SystemdNotifyUnread, KsimdServesAndStopsAnyway) {
    UnreadNotifySocket unread(dir_.path() / "notify.sock");
    ASSERT_TRUE(unread.full());
    ::setenv("NOTIFY_SOCKET", unread.path().c_str(), 1);
    ::setenv("WATCHDOG_USEC", "2000", 1);  // a ping every millisecond, each one dropped
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    EXPECT_TRUE(unread.finishes_within(std::chrono::seconds(30), [&] {
        auto o = default_options();
        o.notify_systemd = true;
        start(std::move(o));
        auto client = connect_with_hello();  // READY=1 was dropped, not waited for
        auto reply = client.request(nlohmann::json{{"type", "list"}});
        ASSERT_TRUE(reply) << reply.error().message;
        EXPECT_TRUE(reply->contains("filters")) << reply->dump();
        daemon_->request_stop();
        runner_.join();  // STOPPING=1 dropped too
    })) << "ksimd waited for the unread NOTIFY_SOCKET";
    daemon_.reset();  // stopped above
    EXPECT_FALSE(std::filesystem::exists(socket_)) << "socket left behind: " << socket_;
}

}  // namespace
}  // namespace ksim::test
