// RunDirectory: the daemon's runtime directory, held under an exclusive lock for the daemon's
// life. A second daemon on the same directory is refused (Busy, naming the holder's pid); a
// killed daemon's leftovers (entries it registered: sockets, named files, named POSIX shm) are
// removed by the next daemon when it takes the lock. The lock is flock(2), so the kernel drops
// it when the holder dies: no stale lock, no owner-died state.
// Frame memory itself is memfd-based and leaves nothing in /dev/shm (docs/memory.md).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "ksim/proto/error.hpp"
#include "ksim/shm/unique_fd.hpp"

namespace ksim::shm {

class RunDirectory {
public:
    // Creates `dir` (mode 0700) if needed, takes `dir`/ksimd.lock, removes what the previous
    // holder registered, and starts a fresh registry. Errors: Busy (another live daemon holds
    // it; message names its pid), PermissionDenied (directory owned by another user or group/
    // world-writable), Io.
    static Result<RunDirectory> acquire(const std::filesystem::path& dir);

    RunDirectory(RunDirectory&&) noexcept = default;
    RunDirectory& operator=(RunDirectory&&) noexcept = default;
    ~RunDirectory();  // unlinks registered entries (clean exit) and the registry

    [[nodiscard]] const std::filesystem::path& path() const { return dir_; }

    // Records a file in the directory (e.g. the socket) to be removed at the next start if this
    // daemon dies without cleaning up. Errors: InvalidArgument (not a plain name), Io.
    Result<void> register_file(std::string_view name);
    // Records a named POSIX shm object ("/name"), for users of named shm. Same errors.
    Result<void> register_shm(std::string_view name);

    // What acquire() removed from a previous run ("file:<name>" / "shm:<name>").
    [[nodiscard]] const std::vector<std::string>& leftovers_removed() const { return removed_; }

private:
    RunDirectory(std::filesystem::path dir, UniqueFd lock);
    Result<void> append(std::string_view kind, std::string_view name);

    std::filesystem::path dir_;
    UniqueFd lock_;
    std::vector<std::string> files_;
    std::vector<std::string> shms_;
    std::vector<std::string> removed_;
};

}  // namespace ksim::shm
