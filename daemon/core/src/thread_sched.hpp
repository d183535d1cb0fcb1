// The scheduling of ksimd's streaming threads (docs/performance.md, "Capture under CPU load").
#pragma once

#include <chrono>

namespace ksim::daemon {

// Asks the scheduler for a time slice of `slice` for the calling thread (sched_setattr's
// sched_runtime of a SCHED_OTHER/SCHED_BATCH thread, EEVDF's per-task slice, Linux 6.12+; no
// privilege needed, nice and policy kept). 0 leaves the kernel's default. A kernel that refuses
// (older ones ignore or reject it) or a thread under another policy is left as it is, logged at
// debug: the slice changes latency, never behaviour.
void request_time_slice(std::chrono::microseconds slice);

}  // namespace ksim::daemon
