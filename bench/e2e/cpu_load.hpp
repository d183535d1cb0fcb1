// The loaded rows' competition: `n` CPU-bound child processes (this binary re-executed as
// `--bench-child=burner`, each a busy loop at normal priority), started before a row's rounds
// and ended by pid (SIGKILL, waitpid) when the CpuLoad goes, so a row leaves nothing behind.
#pragma once

#include <sys/types.h>

#include <memory>
#include <vector>

namespace ksim::bench {

class CpuLoad {
public:
    // Starts `n` burners and waits until each runs; nullptr if one cannot be started (those
    // already started are ended). n == 0 gives an idle CpuLoad.
    static std::unique_ptr<CpuLoad> start(int n);
    ~CpuLoad();
    CpuLoad(const CpuLoad&) = delete;
    CpuLoad& operator=(const CpuLoad&) = delete;

private:
    CpuLoad() = default;
    struct Child {
        pid_t pid;
        int fd;
    };
    std::vector<Child> children_;
};

}  // namespace ksim::bench
