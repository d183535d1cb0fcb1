// send_notification, the sd_notify(3) sender of ksimd: a full queue drops the datagram at once,
// abstract names are reached, forms ksimd does not speak are refused.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "ksim/test_support/files.hpp"
#include "systemd_notify.hpp"
#include "unread_notify_socket.hpp"

namespace ksim::test {
namespace {

using test_support::TempDir;

class NotifyEnvironment : public ::testing::Test {
protected:
    void TearDown() override { ::unsetenv("NOTIFY_SOCKET"); }
    TempDir dir_;
};

TEST_F(NotifyEnvironment, AFullQueue_DropsTheNotificationWithoutWaiting) {
    UnreadNotifySocket unread(dir_.path() / "notify.sock");
    ASSERT_TRUE(unread.full());
    ::setenv("NOTIFY_SOCKET", unread.path().c_str(), 1);
    auto result = daemon::server::NotifySend::Sent;
    EXPECT_TRUE(unread.finishes_within(std::chrono::seconds(10), [&] {
        result = daemon::server::send_notification("STATUS=x");
    })) << "send_notification waited for the unread queue";
    EXPECT_EQ(result, daemon::server::NotifySend::QueueFull);
}

TEST_F(NotifyEnvironment, AbstractNamesAreReached_OtherFormsRefused) {
    ::setenv("NOTIFY_SOCKET", "@ksim-test-no-such-abstract-socket", 1);
    EXPECT_EQ(daemon::server::send_notification("READY=1"), daemon::server::NotifySend::Failed);
    EXPECT_EQ(errno, ECONNREFUSED) << std::strerror(errno);  // reached for; nobody bound it
    ::setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
    EXPECT_EQ(daemon::server::send_notification("READY=1"), daemon::server::NotifySend::Failed);
    EXPECT_EQ(errno, EINVAL);
    ::unsetenv("NOTIFY_SOCKET");
    EXPECT_EQ(daemon::server::send_notification("READY=1"), daemon::server::NotifySend::NoSocket);
}

}  // namespace
}  // namespace ksim::test
