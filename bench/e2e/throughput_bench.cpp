// End-to-end throughput of 1080p NV12 frames (1920 x 1080 x 3/2 bytes): an unpaced user source
// -> ksimd -> user sink, both pins hosted by this process on two threads (the producer thread
// acquires, writes and submits; the measured loop takes and releases), frames per second over
// wall time. Two baselines in the same run make the same two hops through a relay process:
//   BM_ThroughputRawRing    raw eventfd rings (raw_ring.hpp): producer -> relay -> consumer, at
//                           most as many frames in flight as ksim's pool has (4), a frame going
//                           back to the producer when the consumer took it (an in-process atomic:
//                           cheaper than ksim's release ring + free-frame ring, on purpose)
//   BM_ThroughputSocketCopy the whole frame copied through Unix stream sockets: send to the relay,
//                           the relay reads it all and sends it on, the consumer reads it all
// Every side writes the frame's first byte and the far end checks it, so content crosses; no
// side reads the rest (zero-copy sides need not, the socket copy cannot avoid it).
// Counters: fps; on the ksim row x_raw = ksim fps / raw fps (goal >= 0.5) and x_socket =
// ksim fps / socket fps (goal >= 100).
#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "bench_stack.hpp"
#include "latency_stats.hpp"
#include "raw_ring.hpp"

namespace {

using namespace std::chrono_literals;
using ksim::bench::Clock;
using ksim::bench::k1080pNv12;
using ksim::bench::RawEntry;
using ksim::bench::RawRing;

using ksim::bench::kPoolFrames;
constexpr int kZeroCopyFrames = 20000;
constexpr int kCopyFrames = 400;

double g_throughput_raw_fps = 0;  // filled by the baseline rows, read by the ksim row
double g_throughput_socket_fps = 0;

double frames_per_s(int frames, Clock::duration elapsed) {
    return frames / std::chrono::duration<double>(elapsed).count();
}

// Reads or writes exactly `size` bytes; false on EOF or error.
bool read_all(int fd, std::byte* p, std::size_t size) {
    for (std::size_t done = 0; done < size;) {
        const ssize_t n = ::read(fd, p + done, size - done);
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}
bool write_all(int fd, const std::byte* p, std::size_t size) {
    for (std::size_t done = 0; done < size;) {
        const ssize_t n = ::write(fd, p + done, size - done);
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

void BM_ThroughputRawRing(benchmark::State& state) {
    const std::size_t size = k1080pNv12;
    void* pool =
        ::mmap(nullptr, size * kPoolFrames, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    RawRing* there = RawRing::create();
    RawRing* back = RawRing::create();
    if (pool == MAP_FAILED || !there || !back) return state.SkipWithError("setup");
    auto* frames = static_cast<volatile std::uint8_t*>(pool);
    const pid_t relay = ::fork();
    if (relay == 0) {
        for (RawEntry e; there->pop(e);) {
            if (e.index == 0xFFFFFFFFu) ::_exit(0);
            e.data_used = frames[e.index * size];  // the relay reads the frame, like a consumer would
            while (!back->push(e)) {
            }
        }
        ::_exit(1);
    }
    const int n = static_cast<int>(state.max_iterations);
    std::atomic<std::uint32_t> in_flight{0};
    std::atomic<bool> stopped{false};  // the consumer failed: the producer must not wait for it
    std::thread producer([&] {
        for (int i = 0; i < n && !stopped; ++i) {
            for (std::uint32_t f = in_flight.load(); f >= kPoolFrames; f = in_flight.load())
                in_flight.wait(f);
            const auto index = static_cast<std::uint32_t>(i) % kPoolFrames;
            frames[index * size] = static_cast<std::uint8_t>(i);
            in_flight.fetch_add(1);
            (void)there->push(RawEntry{1, index, 0, 0, static_cast<std::uint64_t>(i), 0});
        }
    });
    std::uint64_t expected = 0;
    const auto start = Clock::now();
    for (auto _ : state) {
        RawEntry got;
        if (!back->pop(got) || got.sequence != expected || got.data_used != (expected & 0xFF)) {
            state.SkipWithError("raw hand-off lost or content wrong");
            stopped = true;
            in_flight = 0;
            in_flight.notify_one();
            break;
        }
        ++expected;
        in_flight.fetch_sub(1);
        in_flight.notify_one();
    }
    const auto elapsed = Clock::now() - start;
    producer.join();
    (void)there->push(RawEntry{1, 0xFFFFFFFFu, 0, 0, 0, 0});
    int status = 0;
    ::waitpid(relay, &status, 0);
    RawRing::destroy(there);
    RawRing::destroy(back);
    ::munmap(pool, size * kPoolFrames);
    g_throughput_raw_fps = frames_per_s(n, elapsed);
    state.counters["fps"] = g_throughput_raw_fps;
}

void BM_ThroughputSocketCopy(benchmark::State& state) {
    const std::size_t size = k1080pNv12;
    int there[2], back[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, there) != 0 ||
        ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, back) != 0)
        return state.SkipWithError("socketpair");
    const pid_t relay = ::fork();
    if (relay == 0) {
        ::close(there[0]);
        ::close(back[0]);
        std::vector<std::byte> frame(size);
        while (read_all(there[1], frame.data(), size))
            if (!write_all(back[1], frame.data(), size)) ::_exit(1);
        ::_exit(0);  // EOF: the producer is done
    }
    ::close(there[1]);
    ::close(back[1]);
    const int n = static_cast<int>(state.max_iterations);
    std::thread producer([&] {
        std::vector<std::byte> frame(size);
        for (int i = 0; i < n; ++i) {
            frame[0] = static_cast<std::byte>(i);
            if (!write_all(there[0], frame.data(), size)) break;
        }
        ::shutdown(there[0], SHUT_WR);
    });
    std::vector<std::byte> frame(size);
    std::uint64_t expected = 0;
    const auto start = Clock::now();
    for (auto _ : state) {
        if (!read_all(back[0], frame.data(), size) || frame[0] != static_cast<std::byte>(expected)) {
            state.SkipWithError("socket copy lost or content wrong");
            break;
        }
        ++expected;
    }
    const auto elapsed = Clock::now() - start;
    ::close(back[0]);  // a relay still writing gets EPIPE and ends
    producer.join();
    ::close(there[0]);
    int status = 0;
    ::waitpid(relay, &status, 0);
    g_throughput_socket_fps = frames_per_s(n, elapsed);
    state.counters["fps"] = g_throughput_socket_fps;
}

void BM_KsimThroughput(benchmark::State& state) {
    ksim::bench::BenchStack& stack = ksim::bench::shared_stack();
    ksim::bench::Pair* pair = stack.pair(k1080pNv12);
    if (!pair) return state.SkipWithError(("ksim stack: " + stack.error()).c_str());
    const int n = static_cast<int>(state.max_iterations);
    std::atomic<bool> producer_failed{false};
    std::thread producer([&] {
        for (int i = 0; i < n; ++i) {
            auto out = pair->producer->acquire_frame(5s);
            if (!out) return producer_failed.store(true);
            out->bytes()[0] = static_cast<std::byte>(i);
            if (!out->submit(k1080pNv12)) return producer_failed.store(true);
        }
    });
    std::uint64_t expected = 0;
    const auto start = Clock::now();
    for (auto _ : state) {
        auto in = pair->consumer->next_frame(5s);
        if (!in || in->bytes().size() != k1080pNv12 || in->bytes()[0] != static_cast<std::byte>(expected)) {
            state.SkipWithError(producer_failed ? "ksim producer failed"
                                                : "ksim hand-off lost or content wrong");
            break;
        }
        ++expected;
    }  // `in` goes back to its pool at the end of each iteration
    const auto elapsed = Clock::now() - start;
    producer.join();
    const double ksim_fps = frames_per_s(n, elapsed);
    state.counters["fps"] = ksim_fps;
    if (g_throughput_raw_fps > 0) state.counters["x_raw"] = ksim_fps / g_throughput_raw_fps;
    if (g_throughput_socket_fps > 0) state.counters["x_socket"] = ksim_fps / g_throughput_socket_fps;
}

// Baselines first: the ksim row divides by them. One iteration is one frame taken.
BENCHMARK(BM_ThroughputRawRing)->Iterations(kZeroCopyFrames)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ThroughputSocketCopy)->Iterations(kCopyFrames)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_KsimThroughput)->Iterations(kZeroCopyFrames)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
