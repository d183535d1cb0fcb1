// Multi-process behaviour: OS-enforced read-only mappings, other users refused, ring hand-off
// between processes, and reclaim after a client is SIGKILLed. Each test forks, talks over a
// socketpair, waits with a timeout, and checks that no child and no /dev/shm entry is left.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "ksim/shm/default_allocator.hpp"
#include "ksim/shm/fd_passing.hpp"
#include "ksim/shm/ledger.hpp"
#include "ksim/shm/mapping.hpp"
#include "ksim/shm/ring.hpp"
#include "ksim/shm/run_registry.hpp"
#include "test_support.hpp"

namespace ksim::shm {
namespace {

using namespace std::chrono_literals;

struct SocketPair {
    SocketPair() {
        int fds[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        parent.reset(fds[0]);
        child.reset(fds[1]);
    }
    UniqueFd parent, child;
};

template <typename T>
std::span<const std::byte> as_payload(const T& value) {
    return std::as_bytes(std::span(&value, 1));
}

class ShmMultiProcess : public ::testing::Test {
protected:
    void SetUp() override { dev_shm_before_ = test::dev_shm_entries(); }
    void TearDown() override {
        EXPECT_EQ(test::dev_shm_entries(), dev_shm_before_) << "left entries in /dev/shm";
    }

private:
    std::set<std::string> dev_shm_before_;
};

// Exit codes of the read-only child, one per check, so a failure says which one.
enum ReadOnlyChildExit : int {
    kWriteDidNotFault = 0,
    kNoDescriptor = 10,
    kAdoptFailed = 11,
    kMapFailed = 12,
    kWrongContent = 13,
    kWritableMmapAllowed = 14,
    kMprotectAllowed = 15,
    kReopenWritableAllowed = 16,
};

TEST_F(ShmMultiProcess, ConsumerWriteThroughAReadOnlyMapping_FaultsAndChangesNothing) {
    auto region = Region::create("ro-enforcement", 16384);
    ASSERT_TRUE(region);
    auto owner = WritableMapping::map(*region);
    ASSERT_TRUE(owner);
    std::fill(owner->bytes().begin(), owner->bytes().end(), std::byte{0xA5});
    SocketPair sockets;
    auto ro = region->share(Access::ReadOnly);
    ASSERT_TRUE(ro);
    const std::size_t size = region->size();
    const RegionId id = region->id();

    test::Child consumer([&]() -> int {
        std::array<std::byte, 8> buffer{};
        auto received = recv_fds(sockets.child.get(), buffer);
        if (!received || received->fds.size() != 1) return kNoDescriptor;
        const int fd = received->fds[0].get();
        auto adopted = Region::adopt(std::move(received->fds[0]), size, Access::ReadOnly, id);
        if (!adopted) return kAdoptFailed;
        auto mapping = ReadOnlyMapping::map(*adopted);
        if (!mapping) return kMapFailed;
        if (mapping->bytes()[100] != std::byte{0xA5}) return kWrongContent;
        void* w = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, adopted->fd(), 0);
        if (w != MAP_FAILED || (errno != EACCES && errno != EPERM)) return kWritableMmapAllowed;
        auto* data = const_cast<std::byte*>(mapping->bytes().data());
        if (::mprotect(data, size, PROT_READ | PROT_WRITE) == 0 || (errno != EACCES && errno != EPERM)) {
            return kMprotectAllowed;
        }
        if (::geteuid() != 0) {  // root has CAP_DAC_OVERRIDE; see docs/memory.md
            const std::string path = "/proc/self/fd/" + std::to_string(fd);
            if (::open(path.c_str(), O_RDWR | O_CLOEXEC) >= 0) return kReopenWritableAllowed;
        }
        // Default dispositions (sanitizers install their own SIGSEGV handler): the store must
        // kill the process with the kernel's fault signal.
        ::signal(SIGSEGV, SIG_DFL);
        ::signal(SIGBUS, SIG_DFL);
        *reinterpret_cast<volatile std::byte*>(data + 100) = std::byte{0};  // must fault
        return kWriteDidNotFault;
    });
    ASSERT_TRUE(consumer.started());
    const int fds[] = {ro->get()};
    ASSERT_TRUE(send_fds(sockets.parent.get(), as_payload('R'), fds));
    const int status = consumer.wait();
    EXPECT_TRUE(test::killed_by_fault(status))
        << "child "
        << (WIFEXITED(status) ? "exited with check code " + std::to_string(WEXITSTATUS(status))
                              : "status " + std::to_string(status));
    EXPECT_EQ(owner->bytes()[100], std::byte{0xA5});
    EXPECT_TRUE(consumer.gone());
}

TEST_F(ShmMultiProcess, AnotherUid_CannotOpenTheRegionOrTheRunDirectory) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "needs root to drop a child to uid nobody (65534); run as root to check";
    auto region = Region::create("other-uid", 4096);
    ASSERT_TRUE(region);
    const auto dir = std::filesystem::temp_directory_path() / ("ksim-shm-uid-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    auto run = RunDirectory::acquire(dir);
    ASSERT_TRUE(run) << run.error().message;
    ASSERT_TRUE(run->register_file("ksimd.sock"));
    const pid_t daemon = ::getpid();
    const std::string region_path = "/proc/" + std::to_string(daemon) + "/fd/" + std::to_string(region->fd());
    const std::string lock_path = (dir / "ksimd.lock").string();

    test::Child intruder([&]() -> int {
        ::close_range(3, ~0u, 0);  // keep nothing inherited from the daemon
        // Positive control: with the daemon's uid the path does reach the region.
        const int same_uid = ::open(region_path.c_str(), O_RDONLY | O_CLOEXEC);
        if (same_uid < 0) return 10;
        ::close(same_uid);
        if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) return 11;
        if (::open(region_path.c_str(), O_RDONLY | O_CLOEXEC) >= 0) return 12;
        if (errno != EACCES && errno != EPERM) return 13;
        if (::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC) >= 0) return 14;
        if (errno != EACCES) return 15;
        return 0;
    });
    ASSERT_TRUE(intruder.started());
    const int status = intruder.wait();
    EXPECT_TRUE(test::exited_with(status, 0))
        << "intruder check failed with code " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    EXPECT_TRUE(intruder.gone());
    run = fail(Errc::Internal, "released");
    std::filesystem::remove_all(dir);
}

// The hand-off a capture pin does: the daemon fills frames and publishes descriptors; the
// client reads the frames through its read-only mapping and returns the descriptors.
TEST_F(ShmMultiProcess, RingHandOff_DeliversFramesToAnotherProcessAndBack) {
    constexpr std::uint32_t kFrames = 6;
    constexpr std::uint32_t kFrameSize = 64 * 1024;
    constexpr std::uint32_t kHandOffs = 300;
    DefaultAllocator allocator;
    ASSERT_TRUE(allocator.initialize(proto::make_create_request(
        kFrames, kFrameSize, proto::file_alignment::kPage, proto::memory_type::kUser)));
    auto frames = WritableMapping::map(allocator.region());
    auto to_client = RingChannel::create("to-client", 4);
    auto from_client = RingChannel::create("from-client", 8);
    ASSERT_TRUE(frames && to_client && from_client);
    auto consumer_share = to_client->share();
    auto return_share = from_client->share();
    auto producer_share = to_client->share();
    auto returns_share = from_client->share();
    auto region_fd = allocator.region().share(Access::ReadOnly);
    ASSERT_TRUE(consumer_share && return_share && producer_share && returns_share && region_fd);
    auto producer = RingProducer::attach(std::move(*producer_share));
    auto returns = RingConsumer::attach(std::move(*returns_share));
    ASSERT_TRUE(producer && returns);

    struct Announce {
        std::uint64_t region_size, stride, ring_size, return_size;
        RegionId region;
    } announce{allocator.region().size(), allocator.stride(), consumer_share->size, return_share->size,
               allocator.region().id()};
    SocketPair sockets;

    test::Child client([&]() -> int {
        std::array<std::byte, sizeof(Announce)> buffer{};
        auto received = recv_fds(sockets.child.get(), buffer);
        if (!received || received->fds.size() != 7) return 10;
        Announce a;
        std::memcpy(&a, buffer.data(), sizeof a);
        auto& f = received->fds;
        auto in = RingConsumer::attach(
            RingShare{std::move(f[1]), std::move(f[2]), std::move(f[3]), a.ring_size, 0});
        auto out = RingProducer::attach(
            RingShare{std::move(f[4]), std::move(f[5]), std::move(f[6]), a.return_size, 0});
        auto region = Region::adopt(std::move(f[0]), a.region_size, Access::ReadOnly, a.region);
        if (!in || !out || !region) return 11;
        auto mapping = ReadOnlyMapping::map(*region);
        if (!mapping) return 12;
        for (std::uint32_t n = 0; n < kHandOffs; ++n) {
            PublishTime published{};
            auto e = in->pop(10s, &published);
            if (!e) return 13;
            if (published > std::chrono::steady_clock::now()) return 18;  // one clock for both
            if (e->frame.region != a.region || e->data_used != kFrameSize) return 14;
            auto bytes = mapping->slice(e->frame.index * a.stride, e->data_used);
            const auto expected = static_cast<std::byte>(n & 0xFF);
            if (bytes.empty() || bytes.front() != expected || bytes.back() != expected) return 15;
            if (e->presentation_time != static_cast<std::int64_t>(n)) return 16;
            if (!out->push(*e, 10s)) return 17;
        }
        return 0;
    });
    ASSERT_TRUE(client.started());
    const int fds[] = {region_fd->get(),
                       consumer_share->memory.get(),
                       consumer_share->data_ready.get(),
                       consumer_share->space_ready.get(),
                       return_share->memory.get(),
                       return_share->data_ready.get(),
                       return_share->space_ready.get()};
    ASSERT_TRUE(send_fds(sockets.parent.get(), as_payload(announce), fds));

    // The child's publish time of each return lies between our push of that frame and our pop
    // of the return: both processes read one clock, so a hand-off latency can be measured.
    std::vector<PublishTime> pushed_at(kHandOffs);
    std::uint32_t returned = 0;
    auto take_return = [&](std::chrono::milliseconds timeout) {
        PublishTime published{};
        auto back = returns->pop(timeout, &published);
        const auto popped_at = std::chrono::steady_clock::now();
        ASSERT_TRUE(back) << back.error().message;
        const auto n = static_cast<std::uint32_t>(back->presentation_time);
        ASSERT_LT(n, kHandOffs);
        EXPECT_GE(published, pushed_at[n]) << "return of hand-off " << n;
        EXPECT_LE(published, popped_at) << "return of hand-off " << n;
        ASSERT_TRUE(allocator.free(back->frame));
        ++returned;
    };
    for (std::uint32_t n = 0; n < kHandOffs; ++n) {
        auto frame = allocator.allocate();
        while (!frame) {
            ASSERT_EQ(frame.error().code, Errc::NoMoreEntries);
            take_return(10s);
            if (HasFatalFailure()) return;
            frame = allocator.allocate();
        }
        auto layout = allocator.frame(frame->index);
        ASSERT_TRUE(layout);
        auto bytes = frames->slice(layout->offset, layout->size);
        bytes.front() = bytes.back() = static_cast<std::byte>(n & 0xFF);
        pushed_at[n] = std::chrono::steady_clock::now();
        ASSERT_TRUE(producer->push(RingEntry{*frame, kFrameSize, 0, static_cast<std::int64_t>(n)}, 10s));
    }
    while (returned < kHandOffs) {
        take_return(10s);
        if (HasFatalFailure()) return;
    }
    EXPECT_TRUE(test::exited_with(client.wait(), 0));
    EXPECT_EQ(allocator.status().outstanding, 0u);
    EXPECT_TRUE(client.gone());
}

TEST_F(ShmMultiProcess, FramesHeldByASigkilledClient_AreReclaimedExactlyOnce) {
    constexpr std::uint32_t kFrames = 4;
    constexpr OwnerId kClient = 7;
    DefaultAllocator allocator;
    ASSERT_TRUE(
        allocator.initialize(proto::make_create_request(kFrames, 4096, 0, proto::memory_type::kUser)));
    Ledger ledger;
    ASSERT_TRUE(ledger.add_pool(allocator.region().id(), kFrames));
    std::array<FrameHandle, 3> given{};
    for (auto& frame : given) {
        auto f = allocator.allocate();
        ASSERT_TRUE(f);
        frame = *f;
        ASSERT_TRUE(ledger.record(frame, kClient));
    }
    SocketPair sockets;

    test::Child client([&]() -> int {
        std::array<std::byte, sizeof given> buffer{};
        if (!recv_fds(sockets.child.get(), buffer)) return 10;
        if (!send_fds(sockets.child.get(), as_payload('H'), {})) return 11;  // "holding them"
        std::array<std::byte, 1> never{};
        (void)recv_fds(sockets.child.get(), never);  // blocks until killed
        return 12;
    });
    ASSERT_TRUE(client.started());
    sockets.child.reset();  // so the parent sees EOF when the client dies
    ASSERT_TRUE(send_fds(sockets.parent.get(), std::as_bytes(std::span(given)), {}));
    std::array<std::byte, 1> ack{};
    ASSERT_TRUE(recv_fds(sockets.parent.get(), ack));
    EXPECT_EQ(ledger.held_by(kClient), 3u);

    client.kill_now();
    const int status = client.wait();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    // The daemon learns of the death from its socket, then reclaims.
    EXPECT_EQ(recv_fds(sockets.parent.get(), ack).error().code, Errc::Disconnected);
    const auto reclaimed = ledger.reclaim(kClient);
    EXPECT_EQ(reclaimed, std::vector<FrameHandle>(given.begin(), given.end()));
    for (const auto& frame : reclaimed) EXPECT_TRUE(allocator.free(frame));
    EXPECT_TRUE(ledger.reclaim(kClient).empty());
    EXPECT_EQ(allocator.status().outstanding, 0u);
    for (std::uint32_t i = 0; i < kFrames; ++i) EXPECT_TRUE(allocator.allocate());
    EXPECT_TRUE(client.gone());
}

TEST_F(ShmMultiProcess, SigkilledDaemon_LeavesClientMappingsReadableAndNothingInDevShm) {
    SocketPair sockets;
    test::Child daemon([&]() -> int {
        auto region = Region::create("dying-daemon", 8192);
        auto ring = RingChannel::create("dying-daemon-ring", 8);
        if (!region || !ring) return 10;
        auto mapping = WritableMapping::map(*region);
        if (!mapping) return 11;
        std::fill(mapping->bytes().begin(), mapping->bytes().end(), std::byte{0x6B});
        auto ro = region->share(Access::ReadOnly);
        if (!ro) return 12;
        const std::uint64_t size = region->size();
        const int fds[] = {ro->get()};
        if (!send_fds(sockets.child.get(), as_payload(size), fds)) return 13;
        std::array<std::byte, 1> never{};
        (void)recv_fds(sockets.child.get(), never);  // blocks until killed
        return 14;
    });
    ASSERT_TRUE(daemon.started());
    sockets.child.reset();
    std::array<std::byte, sizeof(std::uint64_t)> buffer{};
    auto received = recv_fds(sockets.parent.get(), buffer);
    ASSERT_TRUE(received) << received.error().message;
    ASSERT_EQ(received->fds.size(), 1u);
    std::uint64_t size = 0;
    std::memcpy(&size, buffer.data(), sizeof size);
    auto region = Region::adopt(std::move(received->fds[0]), size, Access::ReadOnly, 1);
    ASSERT_TRUE(region) << region.error().message;
    auto mapping = ReadOnlyMapping::map(*region);
    ASSERT_TRUE(mapping);

    daemon.kill_now();
    const int status = daemon.wait();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    EXPECT_EQ(recv_fds(sockets.parent.get(), buffer).error().code, Errc::Disconnected);
    // The pages live as long as a mapping does: no SIGBUS for the client, just a dead socket.
    EXPECT_EQ(mapping->bytes().front(), std::byte{0x6B});
    EXPECT_EQ(mapping->bytes().back(), std::byte{0x6B});
    EXPECT_TRUE(daemon.gone());
    // TearDown asserts that /dev/shm is unchanged.
}

}  // namespace
}  // namespace ksim::shm
