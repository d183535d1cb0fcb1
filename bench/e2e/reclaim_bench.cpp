// Crash reclaim latency: a client process hosting the spare sink (bench_stack.hpp: a pool of
// kSpareFrames 1080p frames) holds N frames when it is SIGKILLed; the row times from kill() to
// the moment an observer client receives ksimd's client_gone event for it. ksimd broadcasts that
// event after Kernel::client_gone has returned every frame the client held to its pool (the
// ledger's reclaim) and stopped its pins, so the span covers the kernel tearing the process down,
// ksimd seeing EOF, the reclaim, and one event to another client. The row then checks, untimed,
// that the ledger shows no frame held by the dead client.
// Baseline in the same run: a child with only a socket to its parent is SIGKILLed; the parent
// times from kill() to read() returning EOF (the first thing any peer can notice). A second
// baseline child also maps a populated shared region the size of the holder's (x_eof_mapped_p50):
// the part of the span that is the kernel unmapping it, which no daemon can shorten.
// Both children are this binary re-executed (bench_child.hpp), so both pay the same teardown
// but for the ksim child's mappings and threads. Counters: p50_us, p99_us; on the ksim rows
// x_eof_p50 / x_eof_p99 = ksim / baseline (goal: p50 <= 1 ms, whatever the ratio).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "bench_child.hpp"
#include "bench_stack.hpp"
#include "latency_stats.hpp"

namespace {

using namespace std::chrono_literals;
using ksim::bench::Clock;
using ksim::bench::micros;
using ksim::bench::Percentiles;

Percentiles g_kill_to_eof;  // filled by the baseline rows
Percentiles g_kill_to_eof_mapped;

void reap(pid_t pid, int fd) {
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(fd);
}

// Kills a `mode` child (bench_child.cpp) once per iteration and times kill() -> EOF.
Percentiles kill_to_eof(benchmark::State& state, const std::string& mode,
                        const std::vector<std::string>& args) {
    std::vector<double> us;
    for (auto _ : state) {
        int fd = -1;
        const pid_t child = ksim::bench::spawn_bench_child(mode, args, fd);
        char ready = 0;
        if (child < 0 || !ksim::bench::read_exactly(fd, &ready, 1, 10000) || ready != 'r') {
            if (child > 0) reap(child, fd);
            state.SkipWithError((mode + " child did not start").c_str());
            break;
        }
        const auto start = Clock::now();
        ::kill(child, SIGKILL);
        char byte = 0;
        const bool eof = ::read(fd, &byte, 1) == 0;
        const auto end = Clock::now();
        reap(child, fd);
        if (!eof) {
            state.SkipWithError("no EOF after the kill");
            break;
        }
        state.SetIterationTime(std::chrono::duration<double>(end - start).count());
        us.push_back(micros(end - start));
    }
    const Percentiles p = ksim::bench::percentiles(us);
    ksim::bench::report_percentiles(state, p);
    return p;
}

void BM_RawKillToEof(benchmark::State& state) {
    g_kill_to_eof = kill_to_eof(state, "eof", {});
}

// The same with the holder's region mapped (kSpareFrames 1080p frames, populated): what the
// kernel's teardown of that mapping adds before any peer can see the EOF. The memory is this
// process's (inherited by each child, not close-on-exec), so a kill frees page tables, not pages,
// as a ksim client's kill leaves the pool's pages to ksimd.
void BM_RawKillToEofMapped(benchmark::State& state) {
    const std::uint64_t bytes = std::uint64_t{ksim::bench::kSpareFrames} * ksim::bench::k1080pNv12;
    const int memory = ::memfd_create("ksim-bench-eof-mapped", 0);
    if (memory < 0 || ::fallocate(memory, 0, 0, static_cast<off_t>(bytes)) != 0) {
        if (memory >= 0) ::close(memory);
        return state.SkipWithError("memfd for the mapped child");
    }
    g_kill_to_eof_mapped = kill_to_eof(state, "eof-mapped", {std::to_string(memory), std::to_string(bytes)});
    ::close(memory);
}

// Waits for client_gone of `client` on `observer` (subscribed); false on timeout or loss.
bool wait_client_gone(ksim::client::Connection& observer, ksim::proto::ClientId client) {
    for (;;) {
        auto e = observer.next_event(10s);
        if (!e) return false;
        if (e->type == ksim::wire::MessageType::ClientGone &&
            e->body.value("client_id", std::uint64_t{0}) == client)
            return true;
    }
}

void BM_KsimCrashReclaim(benchmark::State& state) {
    const int frames = static_cast<int>(state.range(0));
    ksim::bench::BenchStack& stack = ksim::bench::shared_stack();
    ksim::client::Stream* producer = stack.spare_producer();
    if (!producer) return state.SkipWithError(("ksim stack: " + stack.error()).c_str());
    ksim::client::ConnectOptions co;
    co.socket_path = stack.socket_path();
    auto observer = ksim::client::Client::connect(co);
    if (!observer || !observer->connection().subscribe()) return state.SkipWithError("observer");
    std::vector<double> us;
    for (auto _ : state) {
        int fd = -1;
        const pid_t child =
            ksim::bench::spawn_bench_child("holder", {stack.socket_path(), std::to_string(frames)}, fd);
        char ready[1 + sizeof(ksim::proto::ClientId)] = {};
        if (child < 0 || !ksim::bench::read_exactly(fd, ready, sizeof ready, 10000) || ready[0] != 'o') {
            if (child > 0) reap(child, fd);
            state.SkipWithError("holder did not open the spare sink");
            break;
        }
        ksim::proto::ClientId id = 0;
        std::memcpy(&id, ready + 1, sizeof id);
        bool submitted = true;
        for (int i = 0; i < frames && submitted; ++i) {
            auto f = producer->acquire_frame(5s);
            submitted = f && f->submit(ksim::bench::k1080pNv12).has_value();
        }
        char held = 0;
        if (!submitted || !ksim::bench::read_exactly(fd, &held, 1, 10000) || held != 'h') {
            reap(child, fd);
            state.SkipWithError("holder did not get its frames");
            break;
        }
        const auto start = Clock::now();
        ::kill(child, SIGKILL);
        const bool gone = wait_client_gone(observer->connection(), id);
        const auto end = Clock::now();
        reap(child, fd);
        if (!gone) {
            state.SkipWithError("no client_gone after the kill");
            break;
        }
        auto ledger = observer->ledger();
        if (!ledger || std::ranges::any_of(*ledger, [&](const auto& e) { return e.owner == id; })) {
            state.SkipWithError("frames of the dead client still held after client_gone");
            break;
        }
        state.SetIterationTime(std::chrono::duration<double>(end - start).count());
        us.push_back(micros(end - start));
    }
    const Percentiles p = ksim::bench::percentiles(us);
    ksim::bench::report_percentiles(state, p, g_kill_to_eof, "x_eof");
    if (g_kill_to_eof_mapped.p50 > 0) state.counters["x_eof_mapped_p50"] = p.p50 / g_kill_to_eof_mapped.p50;
}

// Baseline first: the ksim rows divide by it.
BENCHMARK(BM_RawKillToEof)->Iterations(30)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RawKillToEofMapped)->Iterations(30)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_KsimCrashReclaim)
    ->ArgName("frames")
    ->Arg(1)
    ->Arg(8)
    ->Arg(ksim::bench::kSpareFrames)
    ->Iterations(30)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
