// Syscalls per frame for the e2e rows, from the rings' own counters: every FUTEX_WAKE /
// FUTEX_WAIT, eventfd write / read and poll that ring code makes, in ksimd and in the client
// alike, adds one to its side's counter in the ring header (shm::RingSyscalls, docs/memory.md).
// A row takes a snapshot before its measured loop and one after, and divides by the frames.
// What is not counted: syscalls outside the rings (ksimd's streaming timer, socket requests such
// as PAUSE/RUN between the capture bursts, lock contention), none of which a steady-state
// hand-off makes on the path measured here.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>

#include "ksim/client/stream.hpp"

namespace ksim::bench {

struct SyscallSnapshot {
    std::uint64_t delivered = 0;           // rings a frame travels on to its consumer
    std::uint64_t released = 0;            // the consumer's ring back to ksimd
    std::uint64_t released_by_client = 0;  // of those, the consumer's own (wakes, space waits)
    std::uint64_t acquired = 0;            // the producer's free-frame ring
};

// `producer` is null for a kernel-hosted source (the camera): its frames reach the consumer's
// ring without any client ring before it.
inline SyscallSnapshot syscalls_of(const client::Stream* producer, const client::Stream& consumer) {
    const auto in = consumer.ring_syscalls();
    SyscallSnapshot s{in.to_client.total(), in.to_daemon.total(),
                      in.to_daemon.producer_wakes + in.to_daemon.producer_sleeps, 0};
    if (producer) {
        const auto out = producer->ring_syscalls();
        s.delivered += out.to_daemon.total();
        s.acquired = out.free_frames.total();
    }
    return s;
}

inline SyscallSnapshot operator-(const SyscallSnapshot& a, const SyscallSnapshot& b) {
    return SyscallSnapshot{a.delivered - b.delivered, a.released - b.released,
                           a.released_by_client - b.released_by_client, a.acquired - b.acquired};
}

// Counters sys_per_frame (delivered), sys_per_release (of which sys_per_release_client in the
// consumer's process) and, with a client producer, sys_per_acquire.
inline void report_syscalls(benchmark::State& state, const SyscallSnapshot& spent, std::uint64_t frames,
                            bool client_producer) {
    if (frames == 0) return;
    const auto per = [&](std::uint64_t n) { return static_cast<double>(n) / static_cast<double>(frames); };
    state.counters["sys_per_frame"] = per(spent.delivered);
    state.counters["sys_per_release"] = per(spent.released);
    state.counters["sys_per_release_client"] = per(spent.released_by_client);
    if (client_producer) state.counters["sys_per_acquire"] = per(spent.acquired);
}

}  // namespace ksim::bench
