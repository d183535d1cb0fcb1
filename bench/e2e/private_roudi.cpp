#include "private_roudi.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace ksim::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

bool write_file(const char* path, const std::string& text) {
    const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    return ok;
}

// The socket RouDi binds once its shared memory exists (iceoryx 2.0: IPC channel "roudi" as a
// unix datagram socket under /tmp/).
constexpr const char* kRoudiSocket = "/tmp/roudi";

bool g_in_private_namespace = false;  // set by enter_private_ipc_namespace

bool roudi_socket_answers() {
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, kRoudiSocket, sizeof addr.sun_path - 1);
    const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

std::string enter_private_ipc_namespace() {
    const uid_t uid = ::geteuid();
    const gid_t gid = ::getegid();
    if (uid == 0) {
        if (::unshare(CLONE_NEWNS) != 0) return errno_text("unshare(CLONE_NEWNS)");
    } else {
        // Unprivileged: a user namespace grants the mount rights, mapping us to its root.
        if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
            return errno_text("unshare(CLONE_NEWUSER|CLONE_NEWNS)");
        if (!write_file("/proc/self/setgroups", "deny") ||
            !write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
            !write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1"))
            return errno_text("user namespace id maps");
    }
    // Mounts made from here on must not propagate back to the machine's namespace.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return errno_text("mount --make-rprivate /");
    for (const char* dir : {"/dev/shm", "/tmp"})
        if (::mount("ksim-iceoryx", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0)
            return errno_text(std::string("mount tmpfs on ") + dir);
    g_in_private_namespace = true;
    return {};
}

std::vector<std::filesystem::path> iceoryx_resource_paths() {
    std::vector<std::filesystem::path> paths{"/dev/shm/iceoryx_mgmt", kRoudiSocket,
                                             "/tmp/iox-unique-roudi.lock"};
    // The payload segment of the default (and our) config is named after the writer group.
    if (const group* g = ::getgrgid(::getegid())) paths.emplace_back(std::string("/dev/shm/") + g->gr_name);
    return paths;
}

PrivateRoudi::PrivateRoudi(std::filesystem::path roudi_binary,
                           const std::vector<std::uint32_t>& payload_sizes, std::uint32_t chunks)
    : binary_(std::move(roudi_binary)), payload_sizes_(payload_sizes), chunks_(chunks) {}

PrivateRoudi::~PrivateRoudi() {
    stop();
}

std::string PrivateRoudi::config_text() const {
    // RouDi config format 1 (iceoryx 2.0): one segment, one mempool per chunk size. 1 KiB of
    // slack covers the chunk header, which iceoryx adds to the payload; sizes are 8-aligned.
    std::ostringstream out;
    out << "[general]\nversion = 1\n\n[[segment]]\n";
    for (std::uint32_t size : payload_sizes_)
        out << "\n[[segment.mempool]]\nsize = " << ((size + 1024 + 7) / 8 * 8) << "\ncount = " << chunks_
            << "\n";
    return out.str();
}

bool PrivateRoudi::start(std::chrono::milliseconds timeout) {
    if (pid_ > 0) return true;
    if (!g_in_private_namespace) {  // its fixed names would meet (and stop() remove) another RouDi's
        error_ = "PrivateRoudi::start: call enter_private_ipc_namespace() first";
        return false;
    }
    char dir_template[] = "/tmp/ksim-roudi-XXXXXX";
    if (!::mkdtemp(dir_template)) {
        error_ = errno_text("mkdtemp");
        return false;
    }
    config_ = std::filesystem::path(dir_template) / "roudi_config.toml";
    std::ofstream(config_) << config_text();
    const pid_t child = ::fork();
    if (child < 0) {
        error_ = errno_text("fork");
        return false;
    }
    if (child == 0) {
        const int null = ::open("/dev/null", O_WRONLY);  // RouDi logs every registration
        if (null >= 0) ::dup2(null, STDOUT_FILENO);
        ::execl(binary_.c_str(), binary_.c_str(), "-c", config_.c_str(), "-l", "warning", nullptr);
        ::_exit(127);
    }
    pid_ = child;
    const auto deadline = Clock::now() + timeout;
    for (auto pause = std::chrono::microseconds(100); !roudi_socket_answers();
         pause = std::min(pause * 2, std::chrono::microseconds(20000))) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            error_ = binary_.string() + " exited before it was ready (status " + std::to_string(status) + ")";
            return false;
        }
        if (Clock::now() > deadline) {
            stop();
            error_ = binary_.string() + " not ready within " + std::to_string(timeout.count()) + " ms";
            return false;
        }
        std::this_thread::sleep_for(pause);  // polling RouDi's readiness, bounded by the deadline
    }
    return true;
}

bool PrivateRoudi::stop(std::chrono::milliseconds grace) {
    bool graceful = true;
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        const auto deadline = Clock::now() + grace;
        int status = 0;
        pid_t reaped = 0;
        for (auto pause = std::chrono::microseconds(100); (reaped = ::waitpid(pid_, &status, WNOHANG)) == 0;
             pause = std::min(pause * 2, std::chrono::microseconds(20000))) {
            if (Clock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                graceful = false;
                break;
            }
            std::this_thread::sleep_for(pause);
        }
        if (reaped == pid_ && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) graceful = false;
        pid_ = -1;
    }
    // What a killed RouDi leaves: its shm objects, socket and lock file.
    std::error_code ignored;
    for (const auto& path : iceoryx_resource_paths()) std::filesystem::remove(path, ignored);
    if (!config_.empty()) std::filesystem::remove_all(config_.parent_path(), ignored);
    config_.clear();
    return graceful;
}

}  // namespace ksim::bench
