// Client attach: what a client pays to start streaming a pin — open_stream of the spare sink
// (bench_stack.hpp: a 1080p pool of kSpareFrames frames) on a fresh connection: the request, the
// reply with the region and ring descriptors over SCM_RIGHTS, mapping the region (read-only,
// MAP_POPULATE, as libksim maps) and attaching to the rings. The connection is made, and closed
// again (waiting for ksimd's client_gone so the pin is free for the next iteration), untimed.
// Baseline in the same run: a relay process holding a memfd of the same size answers a one-byte
// request with the memfd over SCM_RIGHTS; the parent maps it read-only with MAP_POPULATE.
// Counters: p50_us, p99_us; on the ksim row x_p50 / x_p99 = ksim / baseline (goal <= 2).
#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "bench_stack.hpp"
#include "latency_stats.hpp"

namespace {

using namespace std::chrono_literals;
using ksim::bench::Clock;
using ksim::bench::micros;
using ksim::bench::Percentiles;

// The spare pool's bytes, rounded up to a page (ksim's region is at least that).
std::size_t spare_region_size() {
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return (std::size_t{ksim::bench::kSpareFrames} * ksim::bench::k1080pNv12 + page - 1) / page * page;
}

Percentiles g_attach_raw;  // filled by the baseline row

int receive_fd(int sock) {
    char byte = 0;
    iovec iov{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1) return -1;
    const cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_type != SCM_RIGHTS) return -1;
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

bool send_fd(int sock, int fd) {
    char byte = 'f';
    iovec iov{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    return ::sendmsg(sock, &msg, 0) == 1;
}

void BM_RawMemfdAttach(benchmark::State& state) {
    const std::size_t size = spare_region_size();
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return state.SkipWithError("socketpair");
    const pid_t relay = ::fork();
    if (relay == 0) {
        ::close(sv[0]);
        const int memfd = ::memfd_create("ksim-bench-attach", MFD_CLOEXEC);
        if (memfd < 0 || ::ftruncate(memfd, static_cast<off_t>(size)) != 0) ::_exit(1);
        for (char byte = 0; ::read(sv[1], &byte, 1) == 1;)
            if (!send_fd(sv[1], memfd)) ::_exit(1);
        ::_exit(0);
    }
    ::close(sv[1]);
    std::vector<double> us;
    for (auto _ : state) {
        const auto start = Clock::now();
        const char ask = 'a';
        const int fd = ::write(sv[0], &ask, 1) == 1 ? receive_fd(sv[0]) : -1;
        void* map = fd >= 0 ? ::mmap(nullptr, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0) : MAP_FAILED;
        const auto end = Clock::now();
        if (map == MAP_FAILED) {
            state.SkipWithError("memfd attach failed");
            break;
        }
        ::munmap(map, size);
        ::close(fd);
        state.SetIterationTime(std::chrono::duration<double>(end - start).count());
        us.push_back(micros(end - start));
    }
    ::close(sv[0]);  // the relay sees EOF and ends
    int status = 0;
    ::waitpid(relay, &status, 0);
    g_attach_raw = ksim::bench::percentiles(us);
    ksim::bench::report_percentiles(state, g_attach_raw);
}

void BM_KsimAttach(benchmark::State& state) {
    ksim::bench::BenchStack& stack = ksim::bench::shared_stack();
    if (!stack.spare_producer()) return state.SkipWithError(("ksim stack: " + stack.error()).c_str());
    ksim::client::ConnectOptions co;
    co.socket_path = stack.socket_path();
    auto observer = ksim::client::Client::connect(co);
    if (!observer || !observer->connection().subscribe()) return state.SkipWithError("observer");
    std::vector<double> us;
    for (auto _ : state) {
        ksim::proto::ClientId id = 0;
        {
            auto c = ksim::client::Client::connect(co);
            if (!c) return state.SkipWithError(("connect: " + c.error().message).c_str());
            id = c->connection().client_id();
            const auto start = Clock::now();
            auto stream = c->open_stream(ksim::bench::kSpareSink);
            const auto end = Clock::now();
            if (!stream) return state.SkipWithError(("open_stream: " + stream.error().message).c_str());
            if ((*stream)->frames() != ksim::bench::kSpareFrames) return state.SkipWithError("wrong pool");
            state.SetIterationTime(std::chrono::duration<double>(end - start).count());
            us.push_back(micros(end - start));
        }  // the stream, then the connection, close here
        // The pin is free again once ksimd has handled the close.
        for (;;) {
            auto e = observer->connection().next_event(10s);
            if (!e) return state.SkipWithError("no client_gone after closing");
            if (e->type == ksim::wire::MessageType::ClientGone &&
                e->body.value("client_id", std::uint64_t{0}) == id)
                break;
        }
    }
    ksim::bench::report_percentiles(state, ksim::bench::percentiles(us), g_attach_raw, "x");
}

// Baseline first: the ksim row divides by it.
BENCHMARK(BM_RawMemfdAttach)->Iterations(100)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_KsimAttach)->Iterations(100)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace
