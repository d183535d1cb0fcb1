// Child processes of the e2e bench: the bench binary re-executed with `--bench-child=<mode>`, so
// a child is a fresh process (no state copied from the benchmark's threads) that can be
// SIGKILLed. Each reports to its parent over an inherited socket and then waits to be killed.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace ksim::bench {

// Runs the child mode named by argv[1], if any, and returns its exit code; -1 when argv is not
// a child invocation (main then runs the benchmarks).
int run_bench_child(int argc, char** argv);

// Spawns this binary as `--bench-child=<mode> <fd> args...`, the child end of a new socket pair
// as <fd>. Returns the child's pid (or -1) and sets `parent_end` to the parent's end.
pid_t spawn_bench_child(const std::string& mode, const std::vector<std::string>& args, int& parent_end);

// Reads exactly `size` bytes from `fd` within `timeout_ms`; false on EOF, error or timeout.
bool read_exactly(int fd, void* out, std::size_t size, int timeout_ms);

}  // namespace ksim::bench
