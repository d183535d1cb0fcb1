#include "bench_child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "bench_stack.hpp"
#include "ksim/client/client.hpp"
#include "ksim/client/stream.hpp"

extern char** environ;

namespace ksim::bench {
namespace {

void send_byte(int fd, char c) {
    (void)!::write(fd, &c, 1);
}

[[noreturn]] void wait_for_kill() {
    for (;;) ::pause();
}

// `holder FD SOCKET N`: hosts the spare sink (ACQUIRE, open_stream, RUN), reports 'o' and its
// client id, takes N frames and keeps them, reports 'h', waits to be killed. 'e' on a failure.
int holder(int fd, const std::string& socket, int frames) {
    using namespace std::chrono_literals;
    client::ConnectOptions co;
    co.socket_path = socket;
    auto c = client::Client::connect(co);
    if (!c) return send_byte(fd, 'e'), 1;
    if (!c->set_state(kSpareSink, proto::PinState::Acquire)) return send_byte(fd, 'e'), 1;
    auto stream = c->open_stream(kSpareSink);
    if (!stream || !c->set_state(kSpareSink, proto::PinState::Run)) return send_byte(fd, 'e'), 1;
    const proto::ClientId id = c->connection().client_id();
    char ready[1 + sizeof id] = {'o'};
    std::memcpy(ready + 1, &id, sizeof id);
    (void)!::write(fd, ready, sizeof ready);
    std::vector<client::FrameView> held;
    for (int i = 0; i < frames; ++i) {
        auto f = (*stream)->next_frame(10s);
        if (!f) return send_byte(fd, 'e'), 1;
        held.push_back(std::move(*f));
    }
    send_byte(fd, 'h');
    wait_for_kill();
}

}  // namespace

int run_bench_child(int argc, char** argv) {
    constexpr std::string_view kFlag = "--bench-child=";
    if (argc < 3 || std::string_view(argv[1]).substr(0, kFlag.size()) != kFlag) return -1;
    const std::string_view mode = std::string_view(argv[1]).substr(kFlag.size());
    const int fd = std::atoi(argv[2]);
    if (mode == "eof") {  // the baseline's peer: only a socket
        send_byte(fd, 'r');
        wait_for_kill();
    }
    if (mode == "eof-mapped" && argc == 5) {
        // The same peer holding what a ksim client maps: inherited shared memory (fd argv[3],
        // argv[4] bytes, its pages allocated by the parent, which keeps them, as ksimd keeps a
        // pool's) mapped with MAP_POPULATE as libksim maps its region, so that its kill pays the
        // same page-table teardown.
        const int memory = std::atoi(argv[3]);
        const auto bytes = static_cast<std::size_t>(std::strtoull(argv[4], nullptr, 10));
        if (::mmap(nullptr, bytes, PROT_READ, MAP_SHARED | MAP_POPULATE, memory, 0) == MAP_FAILED) return 3;
        send_byte(fd, 'r');
        wait_for_kill();
    }
    if (mode == "burner") {  // the loaded rows' competition (cpu_load.hpp): never sleeps
        send_byte(fd, 'r');
        volatile std::uint64_t spins = 0;
        for (;;) spins = spins + 1;
    }
    if (mode == "holder" && argc == 5) return holder(fd, argv[3], std::atoi(argv[4]));
    return 2;
}

pid_t spawn_bench_child(const std::string& mode, const std::vector<std::string>& args, int& parent_end) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return -1;
    ::fcntl(sv[0], F_SETFD, FD_CLOEXEC);  // the child inherits only its end
    std::vector<std::string> argv{"/proc/self/exe", "--bench-child=" + mode, std::to_string(sv[1])};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    pid_t pid = -1;
    if (::posix_spawn(&pid, raw[0], nullptr, nullptr, raw.data(), environ) != 0) pid = -1;
    ::close(sv[1]);
    if (pid < 0) {
        ::close(sv[0]);
        return -1;
    }
    parent_end = sv[0];
    return pid;
}

bool read_exactly(int fd, void* out, std::size_t size, int timeout_ms) {
    auto* p = static_cast<char*>(out);
    for (std::size_t done = 0; done < size;) {
        pollfd pfd{fd, POLLIN, 0};
        if (::poll(&pfd, 1, timeout_ms) <= 0) return false;
        const ssize_t n = ::read(fd, p + done, size - done);
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace ksim::bench
