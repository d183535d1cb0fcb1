// Peer rows: the same ping-pong as BM_KsimClientToClient's round trip, through Eclipse iceoryx
// 2.0 (zero-copy shared memory, RouDi as broker). Per frame size and mode one session: a forked
// child (never registered with RouDi, which SIGTERMs every registered process when it stops)
// enters a private mount namespace (private_roudi.hpp), starts RouDi with one mempool of that
// size, forks a ping and a pong process (each its own iceoryx runtime) and stops RouDi when
// both are done. Ping loans a sample, writes its first byte and publishes; pong takes it, reads
// the byte and publishes a sample carrying it back; ping checks the byte and times the round
// trip. blocking: both wait in a WaitSet; busy: both spin on take(). Ping sends its samples to
// the bench over a pipe; both sides send their CPU time per measured round trip over another
// (cpu_us_per_rt_ping / _pong, cpu_cost.hpp's clock). one_hop = rt / 2: one cross-process hand-off, the
// figure comparable with one ksim hop. The sessions run before the ksim rows start ksimd's stack, while the
// bench process is still single-threaded, so the forks copy no running thread's state.
#include "iceoryx_bench.hpp"

#ifdef KSIM_BENCH_ICEORYX

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench_child.hpp"
#include "bench_stack.hpp"
#include "cpu_cost.hpp"
#include "iceoryx_hoofs/log/logmanager.hpp"
#include "iceoryx_posh/popo/untyped_publisher.hpp"
#include "iceoryx_posh/popo/untyped_subscriber.hpp"
#include "iceoryx_posh/popo/wait_set.hpp"
#include "iceoryx_posh/runtime/posh_runtime.hpp"
#include "latency_stats.hpp"
#include "peer_baselines.hpp"
#include "private_roudi.hpp"

namespace ksim::bench {
namespace {

using namespace std::chrono_literals;

constexpr int kIterations = 3000;
constexpr int kWarmup = 100;  // round trips before the measured ones (page faults, first wake-ups)
constexpr std::uint32_t kChunks = 8;
constexpr auto kStepTimeout = 5s;  // one hand-off or the connection of the two sides

enum class Mode { blocking, busy };

struct Ports {
    iox::popo::UntypedPublisher out;
    iox::popo::UntypedSubscriber in;
    Ports(const char* out_topic, const char* in_topic)
        : out({"ksim", "pingpong", iox::capro::IdString_t(iox::cxx::TruncateToCapacity, out_topic)}),
          in({"ksim", "pingpong", iox::capro::IdString_t(iox::cxx::TruncateToCapacity, in_topic)}) {}

    // Both directions connected: someone subscribes to `out` and `in` has found its publisher.
    bool connected(Clock::time_point deadline) const {
        while (!out.hasSubscribers() || in.getSubscriptionState() != iox::SubscribeState::SUBSCRIBED) {
            if (Clock::now() > deadline) return false;
            std::this_thread::sleep_for(1ms);  // setup, bounded by the deadline
        }
        return true;
    }
};

// The next sample on `in` (nullptr after kStepTimeout), waiting as `mode` says.
const void* receive(Ports& ports, Mode mode, iox::popo::WaitSet<>* waitset) {
    const auto deadline = Clock::now() + kStepTimeout;
    for (;;) {
        auto taken = ports.in.take();
        if (!taken.has_error()) return taken.value();
        if (Clock::now() > deadline) return nullptr;
        if (mode == Mode::blocking) (void)waitset->timedWait(iox::units::Duration::fromMilliseconds(100));
    }
}

bool send(Ports& ports, std::uint32_t size, std::uint8_t first) {
    auto loaned = ports.out.loan(size);
    if (loaned.has_error()) return false;
    *static_cast<volatile std::uint8_t*>(loaned.value()) = first;
    ports.out.publish(loaned.value());
    return true;
}

// One side of the ping-pong, in its own process; the exit code says how it went. It leaves by
// exit(), not _exit(): the runtime's static destructor unregisters from RouDi, which otherwise
// tries to SIGTERM the gone process when it stops and aborts on the failure.
// What each side sends on the CPU pipe: one record, small enough to be written atomically.
struct SideCpu {
    std::uint32_t ping = 0;  // 1: ping's, 0: pong's
    double us_per_rt = 0;
};

[[noreturn]] void run_side(bool ping, std::uint32_t size, Mode mode, int samples_fd, int cpu_fd) {
    iox::log::LogManager::GetLogManager().SetDefaultLogLevel(iox::log::LogLevel::kWarn,
                                                             iox::log::LogLevelOutput::kHideLogLevel);
    iox::runtime::PoshRuntime::initRuntime(ping ? "ksim-iceoryx-ping" : "ksim-iceoryx-pong");
    int code = 0;
    {
        Ports ports(ping ? "ping" : "pong", ping ? "pong" : "ping");
        iox::popo::WaitSet<> waitset;
        if (mode == Mode::blocking &&
            waitset.attachState(ports.in, iox::popo::SubscriberState::HAS_DATA).has_error())
            code = 3;
        else if (!ports.connected(Clock::now() + kStepTimeout))
            code = 4;
        std::vector<double> rt;
        rt.reserve(kIterations);
        std::int64_t cpu_start = 0;
        for (int i = 0; i < kWarmup + kIterations && code == 0; ++i) {
            if (i == kWarmup) cpu_start = process_cpu_ns();
            const auto byte = static_cast<std::uint8_t>(i);
            const auto start = Clock::now();
            if (ping && !send(ports, size, byte)) code = 5;
            const void* got = code ? nullptr : receive(ports, mode, &waitset);
            if (!got) {
                code = code ? code : 6;
                break;
            }
            const std::uint8_t seen = *static_cast<const volatile std::uint8_t*>(got);
            ports.in.release(got);
            if (ping) {
                const auto end = Clock::now();
                if (seen != byte) code = 7;
                if (i >= kWarmup) rt.push_back(micros(end - start));
            } else if (!send(ports, size, seen)) {
                code = 5;
            }
        }
        const SideCpu cpu{ping ? 1u : 0u,
                          static_cast<double>(process_cpu_ns() - cpu_start) / 1e3 / kIterations};
        if (code == 0 && ::write(cpu_fd, &cpu, sizeof cpu) != static_cast<ssize_t>(sizeof cpu)) code = 8;
        if (ping && code == 0) {
            const auto bytes = rt.size() * sizeof(double);
            if (::write(samples_fd, rt.data(), bytes) != static_cast<ssize_t>(bytes)) code = 8;
        }
    }
    std::exit(code);
}

// The session child: namespace, RouDi, ping and pong. Exit code 0 when all went well.
[[noreturn]] void run_session(std::uint32_t size, Mode mode, int samples_fd, int cpu_fd) {
    if (const std::string why = enter_private_ipc_namespace(); !why.empty()) {
        std::fprintf(stderr, "iceoryx session: %s\n", why.c_str());
        ::_exit(20);
    }
    PrivateRoudi roudi(KSIM_BENCH_IOX_ROUDI, {size}, kChunks);
    if (!roudi.start(10s)) {
        std::fprintf(stderr, "iceoryx session: %s\n", roudi.error().c_str());
        ::_exit(21);
    }
    pid_t sides[2] = {-1, -1};
    for (int s = 0; s < 2; ++s)
        if ((sides[s] = ::fork()) == 0) run_side(s == 0, size, mode, samples_fd, cpu_fd);
    int code = 0;
    for (pid_t side : sides) {
        int status = 0;
        if (side < 0 || ::waitpid(side, &status, 0) != side || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0) {
            std::fprintf(stderr, "iceoryx session: a side failed (status %d)\n", status);
            code = 22;
        }
    }
    if (!roudi.stop()) code = code ? code : 23;
    ::_exit(code);
}

void BM_IceoryxPingPong(benchmark::State& state, std::uint32_t size, Mode mode) {
    int fds[2], cpu_fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return state.SkipWithError("pipe");
    if (::pipe2(cpu_fds, O_CLOEXEC) != 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        return state.SkipWithError("pipe");
    }
    std::fflush(nullptr);  // the sides exit() and would flush copies of what is still buffered
    const pid_t session = ::fork();
    if (session == 0) {
        ::close(fds[0]);
        ::close(cpu_fds[0]);
        run_session(size, mode, fds[1], cpu_fds[1]);
    }
    ::close(fds[1]);
    ::close(cpu_fds[1]);
    std::vector<double> rt(kIterations);
    SideCpu cpu[2];
    const bool got = session > 0 && read_exactly(fds[0], rt.data(), rt.size() * sizeof(double), 120000) &&
                     read_exactly(cpu_fds[0], cpu, sizeof cpu, 120000);
    ::close(fds[0]);
    ::close(cpu_fds[0]);
    int status = 0;
    if (session > 0) ::waitpid(session, &status, 0);
    if (!got || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return state.SkipWithError(
            ("iceoryx session failed (status " + std::to_string(status) + ")").c_str());
    std::size_t i = 0;
    for (auto _ : state) state.SetIterationTime(rt[i++ % rt.size()] / 1e6);
    std::vector<double> hop(rt);
    for (double& h : hop) h /= 2;
    const PeerResult result{percentiles(rt), percentiles(hop)};
    state.counters["rt_p50_us"] = result.round_trip.p50;
    state.counters["rt_p99_us"] = result.round_trip.p99;
    state.counters["hop_p50_us"] = result.one_hop.p50;
    state.counters["hop_p99_us"] = result.one_hop.p99;
    for (const SideCpu& side : cpu)
        state.counters[side.ping ? "cpu_us_per_rt_ping" : "cpu_us_per_rt_pong"] = side.us_per_rt;
    record_peer(mode == Mode::blocking ? kIceoryxBlocking : kIceoryxBusyPoll, size, result);
}

}  // namespace

void register_iceoryx_rows() {
    for (Mode mode : {Mode::blocking, Mode::busy})
        for (std::uint32_t size : kFrameSizes)
            benchmark::RegisterBenchmark(("BM_IceoryxPingPong/size:" + std::to_string(size) +
                                          "/mode:" + (mode == Mode::blocking ? "blocking" : "busy"))
                                             .c_str(),
                                         BM_IceoryxPingPong, size, mode)
                ->UseManualTime()
                ->Iterations(kIterations)
                ->Unit(benchmark::kMicrosecond);
}

const char* iceoryx_skip_note() {
    return nullptr;
}

}  // namespace ksim::bench

#else  // iceoryx not found at configure time

namespace ksim::bench {
void register_iceoryx_rows() {}
const char* iceoryx_skip_note() {
    return "iceoryx not found: peer rows skipped (scripts/setup.sh --bench)";
}
}  // namespace ksim::bench

#endif
