#include "periodic_producer.hpp"

#include <benchmark/benchmark.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>

namespace ksim::bench {
namespace {
constexpr std::uint32_t kExit = 0xFFFFFFFFu;  // a command's index: leave
}

std::unique_ptr<PeriodicProducer> PeriodicProducer::start(std::size_t frame_size, int fps) {
    std::unique_ptr<PeriodicProducer> p(new PeriodicProducer());
    p->size_ = frame_size;
    void* frame = ::mmap(nullptr, frame_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (frame == MAP_FAILED) return nullptr;
    p->frame_ = frame;
    p->commands_ = RawRing::create();
    p->frames_ = RawRing::create();
    if (!p->commands_ || !p->frames_) return nullptr;
    p->child_ = ::fork();
    if (p->child_ < 0) return nullptr;
    if (p->child_ == 0) p->child_main(fps);  // never returns
    return p;
}

void PeriodicProducer::child_main(int fps) {
    const auto period = std::chrono::nanoseconds(1'000'000'000 / fps);
    std::uint64_t sequence = 0;
    for (RawEntry command; commands_->pop(command);) {  // asleep in read() between bursts
        if (command.index == kExit) ::_exit(0);
        const auto start = std::chrono::steady_clock::now();
        for (std::uint64_t n = 1; n <= command.sequence; ++n) {
            std::this_thread::sleep_until(start + n * period);  // the camera's clock, not a sync
            // The frame is written before it is handed over, as ksimd's camera renders it (its
            // "DMA"): what that does to the caches is part of both sides' hand-off.
            ++sequence;
            std::memset(frame_, static_cast<int>(sequence & 0xFF), size_);
            // A full ring drops the frame; the parent sees the gap in the sequence numbers.
            (void)frames_->push(RawEntry{1, 0, static_cast<std::uint32_t>(sequence),
                                         static_cast<std::uint32_t>(size_), sequence, 0});
        }
    }
    ::_exit(1);
}

bool PeriodicProducer::produce(std::uint32_t count) {
    if (!commands_->push(RawEntry{1, 0, 0, 0, count, 0})) return false;
    outstanding_ += count;
    return true;
}

bool PeriodicProducer::next(RawEntry& out, std::chrono::nanoseconds spin) {
    if (!frames_->pop(out, spin)) return false;
    if (outstanding_ > 0) --outstanding_;
    // Read the frame as a viewer would (no content check: a consumer more than a period late
    // under load may already see the next frame's byte).
    benchmark::DoNotOptimize(*static_cast<volatile std::uint8_t*>(frame_));
    return true;
}

PeriodicProducer::~PeriodicProducer() {
    if (child_ > 0) {
        // A burst still running (the bench gave up mid-round) would hold the exit back.
        if (outstanding_ > 0 || !commands_->push(RawEntry{1, kExit, 0, 0, 0, 0})) ::kill(child_, SIGKILL);
        int status = 0;
        ::waitpid(child_, &status, 0);
    }
    RawRing::destroy(frames_);
    RawRing::destroy(commands_);
    if (frame_) ::munmap(frame_, size_);
}

}  // namespace ksim::bench
