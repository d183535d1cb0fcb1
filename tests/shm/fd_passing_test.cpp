#include "ksim/shm/fd_passing.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "ksim/shm/mapping.hpp"
#include "ksim/shm/region.hpp"

namespace ksim::shm {
namespace {

struct SocketPair {
    SocketPair() {
        int fds[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        a.reset(fds[0]);
        b.reset(fds[1]);
    }
    UniqueFd a, b;
};

std::span<const std::byte> bytes_of(const char* text) {
    return std::as_bytes(std::span(text, std::strlen(text)));
}

TEST(ShmFdPassing, ARegionSentOverTheSocket_MapsToTheSamePages) {
    SocketPair pair;
    auto region = Region::create("passed", 4096);
    ASSERT_TRUE(region);
    auto writer = WritableMapping::map(*region);
    ASSERT_TRUE(writer);
    writer->bytes()[10] = std::byte{0x33};
    auto ro = region->share(Access::ReadOnly);
    ASSERT_TRUE(ro);
    const int fds[] = {ro->get()};
    ASSERT_TRUE(send_fds(pair.a.get(), bytes_of("region"), fds));

    std::array<std::byte, 64> buffer{};
    auto received = recv_fds(pair.b.get(), buffer);
    ASSERT_TRUE(received) << received.error().message;
    EXPECT_EQ(received->bytes, 6u);
    ASSERT_EQ(received->fds.size(), 1u);
    EXPECT_NE(::fcntl(received->fds[0].get(), F_GETFD) & FD_CLOEXEC, 0);
    auto adopted = Region::adopt(std::move(received->fds[0]), region->size(), Access::ReadOnly, region->id());
    ASSERT_TRUE(adopted) << adopted.error().message;
    auto reader = ReadOnlyMapping::map(*adopted);
    ASSERT_TRUE(reader);
    EXPECT_EQ(reader->bytes()[10], std::byte{0x33});
}

TEST(ShmFdPassing, AMessageWithoutDescriptors_ArrivesWithNone) {
    SocketPair pair;
    ASSERT_TRUE(send_fds(pair.a.get(), bytes_of("hello"), {}));
    std::array<std::byte, 16> buffer{};
    auto received = recv_fds(pair.b.get(), buffer);
    ASSERT_TRUE(received);
    EXPECT_EQ(received->bytes, 5u);
    EXPECT_TRUE(received->fds.empty());
}

TEST(ShmFdPassing, Send_RejectsAnEmptyPayloadAndTooManyDescriptors) {
    SocketPair pair;
    EXPECT_EQ(send_fds(pair.a.get(), {}, {}).error().code, Errc::InvalidArgument);
    std::vector<int> many(kMaxFdsPerMessage + 1, pair.a.get());
    EXPECT_EQ(send_fds(pair.a.get(), bytes_of("x"), many).error().code, Errc::InvalidArgument);
}

TEST(ShmFdPassing, Recv_ReportsAClosedPeerAsDisconnected) {
    SocketPair pair;
    pair.a.reset();
    std::array<std::byte, 16> buffer{};
    EXPECT_EQ(recv_fds(pair.b.get(), buffer).error().code, Errc::Disconnected);
}

TEST(ShmFdPassing, Send_ToAClosedPeerIsDisconnected) {
    SocketPair pair;
    pair.b.reset();
    EXPECT_EQ(send_fds(pair.a.get(), bytes_of("x"), {}).error().code, Errc::Disconnected);
}

TEST(ShmFdPassing, Recv_ClosesEverythingWhenTheSenderAttachedTooManyDescriptors) {
    SocketPair pair;
    // A raw sender that ignores our limit.
    constexpr std::size_t kTooMany = kMaxFdsPerMessage + 8;
    std::vector<int> fds(kTooMany, STDIN_FILENO);
    std::vector<char> control(CMSG_SPACE(sizeof(int) * kTooMany));
    char byte = 'x';
    iovec iov{&byte, 1};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * kTooMany);
    std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * kTooMany);
    ASSERT_EQ(::sendmsg(pair.a.get(), &msg, 0), 1);
    std::array<std::byte, 16> buffer{};
    auto received = recv_fds(pair.b.get(), buffer);
    ASSERT_FALSE(received);
    EXPECT_EQ(received.error().code, Errc::ProtocolError);
}

}  // namespace
}  // namespace ksim::shm
