#include "cpu_load.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_child.hpp"

namespace ksim::bench {

std::unique_ptr<CpuLoad> CpuLoad::start(int n) {
    std::unique_ptr<CpuLoad> load(new CpuLoad());
    for (int i = 0; i < n; ++i) {
        int fd = -1;
        const pid_t pid = spawn_bench_child("burner", {}, fd);
        if (pid < 0) return nullptr;
        load->children_.push_back(Child{pid, fd});
        char ready = 0;
        if (!read_exactly(fd, &ready, 1, 5000) || ready != 'r') return nullptr;
    }
    return load;
}

CpuLoad::~CpuLoad() {
    for (const Child& c : children_) {
        ::kill(c.pid, SIGKILL);
        int status = 0;
        ::waitpid(c.pid, &status, 0);
        ::close(c.fd);
    }
}

}  // namespace ksim::bench
