// Run directory: lock (flock), registry of named leftovers, and their removal at next start.
#include "ksim/shm/run_registry.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "errno_error.hpp"

namespace ksim::shm {
namespace {

constexpr const char* kLockName = "ksimd.lock";
constexpr const char* kRegistryName = "registry";

bool plain_name(std::string_view name) {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
           name.find('\n') == std::string_view::npos && name != kLockName && name != kRegistryName;
}

std::string read_holder_pid(int fd) {
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    std::string pid(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return pid.empty() ? "unknown" : pid;
}

}  // namespace

RunDirectory::RunDirectory(std::filesystem::path dir, UniqueFd lock)
    : dir_(std::move(dir)), lock_(std::move(lock)) {}

Result<RunDirectory> RunDirectory::acquire(const std::filesystem::path& dir) {
    const std::string where = "run directory " + dir.string();
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return detail::fail_errno(where + ": mkdir");
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) return detail::fail_errno(where + ": stat");
    if (!S_ISDIR(st.st_mode)) return fail(Errc::InvalidArgument, where + ": exists and is not a directory");
    if (st.st_uid != ::geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        return fail(Errc::PermissionDenied, where + ": must be owned by uid " + std::to_string(::geteuid()) +
                                                " and not group/world-writable (owner " +
                                                std::to_string(st.st_uid) + ", mode " +
                                                detail::hex(st.st_mode & 07777) + ")");
    }
    const auto lock_path = dir / kLockName;
    UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!lock) return detail::fail_errno(where + ": opening " + lock_path.string());
    if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            return fail(Errc::Busy,
                        where + ": another ksimd (pid " + read_holder_pid(lock.get()) + ") is running on it");
        }
        return detail::fail_errno(where + ": flock");
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(lock.get(), 0) != 0 || ::pwrite(lock.get(), pid.data(), pid.size(), 0) < 0) {
        return detail::fail_errno(where + ": writing the pid");
    }

    RunDirectory run(dir, std::move(lock));
    // Whatever the previous holder registered and did not remove: it died without cleaning up.
    std::ifstream registry(dir / kRegistryName);
    for (std::string line; std::getline(registry, line);) {
        const auto space = line.find(' ');
        if (space == std::string::npos) continue;
        const std::string kind = line.substr(0, space);
        const std::string name = line.substr(space + 1);
        if (kind == "file" && plain_name(name)) {
            if (::unlink((dir / name).c_str()) == 0) run.removed_.push_back("file:" + name);
        } else if (kind == "shm" && name.size() > 1 && name[0] == '/' && plain_name(name.substr(1))) {
            if (::shm_unlink(name.c_str()) == 0) run.removed_.push_back("shm:" + name);
        }
    }
    registry.close();
    const auto registry_path = dir / kRegistryName;
    UniqueFd fresh(
        ::open(registry_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fresh) return detail::fail_errno(where + ": creating the registry");
    return run;
}

RunDirectory::~RunDirectory() {
    if (!lock_) return;  // moved from
    for (const auto& name : files_) ::unlink((dir_ / name).c_str());
    for (const auto& name : shms_) ::shm_unlink(name.c_str());
    ::unlink((dir_ / kRegistryName).c_str());
    // The lock file stays (removing it would race with a daemon starting now); the kernel
    // releases the flock when lock_ closes.
}

Result<void> RunDirectory::append(std::string_view kind, std::string_view name) {
    // Appended and flushed before the entry is created, so a crash right after still finds it.
    const auto path = dir_ / kRegistryName;
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return detail::fail_errno("run directory: opening the registry");
    const std::string line = std::string(kind) + " " + std::string(name) + "\n";
    if (::write(fd.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
        return detail::fail_errno("run directory: writing the registry");
    }
    return {};
}

Result<void> RunDirectory::register_file(std::string_view name) {
    if (!plain_name(name)) {
        return fail(Errc::InvalidArgument, "run directory: '" + std::string(name) +
                                               "' is not a plain file name inside the directory");
    }
    if (auto ok = append("file", name); !ok) return ok;
    files_.emplace_back(name);
    return {};
}

Result<void> RunDirectory::register_shm(std::string_view name) {
    if (name.size() < 2 || name[0] != '/' || !plain_name(name.substr(1))) {
        return fail(Errc::InvalidArgument,
                    "run directory: '" + std::string(name) + "' is not a POSIX shm name of the form /name");
    }
    if (auto ok = append("shm", name); !ok) return ok;
    shms_.emplace_back(name);
    return {};
}

}  // namespace ksim::shm
