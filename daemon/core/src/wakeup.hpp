// Wakeup: ends one thread's timed sleep early. Private to daemon/core.
//
// A streaming thread sleeps until its next hardware tick with the kernel mutex released, and the
// kernel wakes it early only to stop it. A std::condition_variable did that job, but glibc
// re-takes the mutex after every condition wait in its "contended" state, so the mutex's next
// unlock - the one on the way back to sleep, right after a tick published its frame - made a
// futex syscall that woke nobody. On a 2-CPU VM a viewer woken by that frame usually runs on the
// streaming thread's CPU and waits until that thread sleeps, so the wasted syscall (about 1 µs
// there) was added to every frame's hand-off. A POSIX semaphore posts without a syscall
// when nobody sleeps, and waiting on it touches no mutex.
#pragma once

#include <semaphore.h>

#include <chrono>

namespace ksim::daemon {

class Wakeup {
public:
    Wakeup();
    ~Wakeup();
    Wakeup(const Wakeup&) = delete;
    Wakeup& operator=(const Wakeup&) = delete;

    // Ends the current or the next wait_for. Posts accumulate; a waiter that consumes a stale
    // one merely loops once more, so the caller re-checks its condition after every wait.
    void post() noexcept;
    // Sleeps until post() or `timeout` (CLOCK_MONOTONIC), whichever comes first; consumes one post.
    void wait_for(std::chrono::nanoseconds timeout) noexcept;

private:
    sem_t sem_;
};

}  // namespace ksim::daemon
