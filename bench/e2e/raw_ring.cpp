#include "raw_ring.hpp"

#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <new>

namespace ksim::bench {

RawRing* RawRing::create(bool polled) {
    void* mem = ::mmap(nullptr, sizeof(RawRing), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return nullptr;
    auto* ring = new (mem) RawRing();
    ring->polled_ = polled;
    ring->eventfd_ = ::eventfd(0, EFD_CLOEXEC);
    if (ring->eventfd_ < 0) {
        destroy(ring);
        return nullptr;
    }
    return ring;
}

void RawRing::destroy(RawRing* ring) {
    if (!ring) return;
    if (ring->eventfd_ >= 0) ::close(ring->eventfd_);
    ring->~RawRing();
    ::munmap(ring, sizeof(RawRing));
}

bool RawRing::push(RawEntry e) {
    const std::uint32_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_.load(std::memory_order_acquire) >= kCapacity) return false;
    e.pushed_ns = std::chrono::steady_clock::now().time_since_epoch().count();
    entries_[tail % kCapacity] = e;
    tail_.store(tail + 1, std::memory_order_release);
    if (polled_) return true;  // nobody sleeps on it
    const std::uint64_t one = 1;
    return ::write(eventfd_, &one, sizeof one) == sizeof one;
}

bool RawRing::pop(RawEntry& out, std::chrono::nanoseconds spin) {
    const std::uint32_t head = head_.load(std::memory_order_relaxed);
    if (polled_) {
        const auto until = std::chrono::steady_clock::now() + kPollTimeout;
        for (unsigned n = 1; tail_.load(std::memory_order_acquire) == head; ++n) {
            if (n % 64 == 0 && std::chrono::steady_clock::now() >= until) return false;
            if (n % 1024 == 0) ::sched_yield();
        }
    }  // an entry is there: what follows neither spins nor sleeps
    if (spin.count() > 0 && tail_.load(std::memory_order_acquire) == head) {
        const auto until = std::chrono::steady_clock::now() + spin;
        while (tail_.load(std::memory_order_acquire) == head && std::chrono::steady_clock::now() < until) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
    }
    while (tail_.load(std::memory_order_acquire) == head) {
        std::uint64_t count = 0;
        if (::read(eventfd_, &count, sizeof count) != sizeof count) return false;
    }
    out = entries_[head % kCapacity];
    head_.store(head + 1, std::memory_order_release);
    return true;
}

}  // namespace ksim::bench
