// The capture case's baseline source: a forked child that stands in for a camera. On each
// command it writes a frame and pushes it on a raw eventfd ring once per camera period, `count`
// times, then sleeps in a blocking read until the next command — quiet between bursts, as
// ksimd's camera is while paused. The parent (the consumer) runs the bench.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "raw_ring.hpp"

namespace ksim::bench {

class PeriodicProducer {
public:
    // Maps the frame and the two rings and forks the child; nullptr on failure.
    static std::unique_ptr<PeriodicProducer> start(std::size_t frame_size, int fps);
    // Ends the child: asks it to exit when every commanded frame was taken, kills it otherwise.
    ~PeriodicProducer();
    PeriodicProducer(const PeriodicProducer&) = delete;
    PeriodicProducer& operator=(const PeriodicProducer&) = delete;

    // Starts a burst of `count` frames, the first one period from now. False if the command
    // cannot be queued.
    bool produce(std::uint32_t count);
    // Waits for the next frame as libksim's next_frame does (spins `spin`, then sleeps on the
    // eventfd), reads the frame's first byte as a viewer would, and returns the ring entry
    // (sequence numbers run 1, 2, ... across bursts). False on a ring error.
    bool next(RawEntry& out, std::chrono::nanoseconds spin);
    // The producing process (one thread), for its scheduler figures (sched_stats.hpp).
    [[nodiscard]] pid_t pid() const { return child_; }

private:
    PeriodicProducer() = default;
    void child_main(int fps);

    std::size_t size_ = 0;
    void* frame_ = nullptr;
    RawRing* commands_ = nullptr;  // parent -> child: RawEntry::sequence = frames to produce
    RawRing* frames_ = nullptr;    // child -> parent
    pid_t child_ = -1;
    std::uint64_t outstanding_ = 0;  // commanded and not yet taken
};

}  // namespace ksim::bench
