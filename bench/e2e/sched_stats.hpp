// Per-thread scheduler figures for the e2e rows, from /proc/<pid>/task/<tid>/schedstat (CFS's
// own accounting, no tracing): time on a CPU, time runnable but waiting on a run queue, and how
// many times the thread was put on a CPU. A row reads a thread before and after a burst and
// divides the difference by the frames: the run-queue wait per frame says whether a thread on
// the hand-off's path lost time to other runnable work (the loaded rows' CPU burners), and the
// runs per frame how many times it was switched in.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace ksim::bench {

struct SchedStat {
    std::uint64_t run_ns = 0;
    std::uint64_t wait_ns = 0;  // runnable, not running
    std::uint64_t runs = 0;
    std::uint64_t preempted = 0;  // involuntary context switches (off a CPU while runnable)
};

inline SchedStat operator-(const SchedStat& a, const SchedStat& b) {
    return SchedStat{a.run_ns - b.run_ns, a.wait_ns - b.wait_ns, a.runs - b.runs, a.preempted - b.preempted};
}

inline SchedStat& operator+=(SchedStat& a, const SchedStat& b) {
    a.run_ns += b.run_ns;
    a.wait_ns += b.wait_ns;
    a.runs += b.runs;
    a.preempted += b.preempted;
    return a;
}

// The thread's figures; zeros when it is gone (or the kernel has no schedstats).
inline SchedStat sched_stat(pid_t pid, pid_t tid) {
    SchedStat s;
    const std::string task = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid);
    std::ifstream in(task + "/schedstat");
    in >> s.run_ns >> s.wait_ns >> s.runs;
    if (!in) return SchedStat{};
    std::ifstream status(task + "/status");
    constexpr std::string_view kKey = "nonvoluntary_ctxt_switches:";
    for (std::string line; std::getline(status, line);)
        if (line.starts_with(kKey)) s.preempted = std::stoull(line.substr(kKey.size()));
    return s;
}

// The live threads of `pid`; empty when it is gone.
inline std::vector<pid_t> threads_of(pid_t pid) {
    std::vector<pid_t> tids;
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec))
        tids.push_back(std::stoi(task.path().filename()));
    return tids;
}

// The threads of `pid` whose name (comm) is `name`.
inline std::vector<pid_t> threads_named(pid_t pid, const std::string& name) {
    std::vector<pid_t> tids;
    for (pid_t tid : threads_of(pid)) {
        std::ifstream comm("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/comm");
        std::string got;
        if (std::getline(comm, got) && got == name) tids.push_back(tid);
    }
    return tids;
}

// The sum over the threads of `pid` named `name`.
inline SchedStat sched_stat_named(pid_t pid, const std::string& name) {
    SchedStat sum;
    for (pid_t tid : threads_named(pid, name)) sum += sched_stat(pid, tid);
    return sum;
}

}  // namespace ksim::bench
