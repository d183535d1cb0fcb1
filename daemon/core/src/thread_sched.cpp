#include "thread_sched.hpp"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "logging.hpp"

namespace ksim::daemon {
namespace {

// struct sched_attr (linux/sched/types.h) without the utilization clamps: the kernel accepts
// the shorter, original size, and glibc 2.36 declares neither the struct nor the calls.
struct SchedAttr {
    std::uint32_t size;
    std::uint32_t sched_policy;
    std::uint64_t sched_flags;
    std::int32_t sched_nice;
    std::uint32_t sched_priority;
    std::uint64_t sched_runtime;
    std::uint64_t sched_deadline;
    std::uint64_t sched_period;
};

}  // namespace

void request_time_slice(std::chrono::microseconds slice) {
    if (slice.count() <= 0) return;
    auto log = logger("core.pin");
    SchedAttr a{};
    if (::syscall(SYS_sched_getattr, 0, &a, sizeof a, 0) != 0)
        return log->debug("streaming thread keeps the default time slice: sched_getattr: {}",
                          std::strerror(errno));
    if (a.sched_policy != SCHED_OTHER && a.sched_policy != SCHED_BATCH)
        return log->debug("streaming thread keeps its policy {} and time slice", a.sched_policy);
    a.size = sizeof a;
    a.sched_flags = 0;
    a.sched_runtime = static_cast<std::uint64_t>(std::chrono::nanoseconds(slice).count());
    if (::syscall(SYS_sched_setattr, 0, &a, 0) != 0)
        log->debug("streaming thread keeps the default time slice: sched_setattr: {}", std::strerror(errno));
}

}  // namespace ksim::daemon
