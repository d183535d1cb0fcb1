#include "wakeup.hpp"

#include <algorithm>
#include <cerrno>
#include <ctime>

namespace ksim::daemon {

Wakeup::Wakeup() {
    // Fails only for a value above SEM_VALUE_MAX: impossible with 0.
    ::sem_init(&sem_, /*pshared=*/0, 0);
}

Wakeup::~Wakeup() {
    ::sem_destroy(&sem_);
}

void Wakeup::post() noexcept {
    // EOVERFLOW would need 2^31 posts nobody consumed; the waiter is awake then anyway.
    (void)::sem_post(&sem_);
}

// Hot: a streaming thread sleeps here after every frame (docs/memory.md, "Code on the hot path").
[[gnu::hot]] void Wakeup::wait_for(std::chrono::nanoseconds timeout) noexcept {
    timeout = std::max(timeout, std::chrono::nanoseconds(0));
    timespec deadline{};
    ::clock_gettime(CLOCK_MONOTONIC, &deadline);
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    deadline.tv_sec += static_cast<time_t>(secs.count());
    deadline.tv_nsec += static_cast<long>((timeout - secs).count());
    if (deadline.tv_nsec >= 1'000'000'000L) {
        deadline.tv_nsec -= 1'000'000'000L;
        ++deadline.tv_sec;
    }
    // A signal (EINTR) restarts the wait with the same deadline; ETIMEDOUT is the normal timeout.
    while (::sem_clockwait(&sem_, CLOCK_MONOTONIC, &deadline) != 0 && errno == EINTR) {
    }
}

}  // namespace ksim::daemon
