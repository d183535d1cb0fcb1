// Region: a move-only owner of one sealed memfd holding frame memory. The daemon creates
// regions (pages populated at creation, off the frame path); a client adopts the descriptor it
// received over SCM_RIGHTS. Mapping it is mapping.hpp's job. Thread-compatible (no shared state).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ksim/proto/error.hpp"
#include "ksim/proto/guid.hpp"
#include "ksim/shm/frame.hpp"
#include "ksim/shm/unique_fd.hpp"

namespace ksim::shm {

// How a mapping of a region may touch it. Part of the Mapping type (mapping.hpp).
enum class Access { ReadOnly, ReadWrite };

// Who may ever map the region. Kernel-type memory (KERNEL_PAGED / KERNEL_NONPAGED) is
// KernelOnly: share() refuses to hand out any descriptor for it.
enum class Visibility { ClientMappable, KernelOnly };

// Visibility that a KS memory type implies: kernel types are KernelOnly, everything else
// (USER, SYSTEM, device-specific, don't-care) is ClientMappable.
Visibility visibility_for(const proto::Guid& memory_type);

struct RegionOptions {
    Visibility visibility = Visibility::ClientMappable;
    bool populate = true;  // fault every page in at creation (MAP_POPULATE + write)
};

class Region {
public:
    // Creates a sealed memfd of `size` bytes (rounded up to the page size), named `name` for
    // /proc/<pid>/maps and diagnostics. Its size is sealed (F_SEAL_SHRINK | F_SEAL_GROW), its
    // mode is 0400 so a read-only descriptor cannot be reopened writable by a non-root process,
    // and it gets a fresh process-unique id (>0).
    // Errors: InvalidArgument (size 0 or too large), Io (memfd/ftruncate/seal/populate).
    static Result<Region> create(std::string_view name, std::size_t size, const RegionOptions& options = {});

    // Takes a descriptor received from the daemon. `size` is what the daemon announced; it is
    // checked against the file (fstat) so a short file can never be mapped past its end.
    // `access` is what the descriptor permits (ReadOnly for a consumer). `id` is the daemon's id.
    // Errors: InvalidArgument (bad fd, size mismatch), PermissionDenied (ReadWrite asked but the
    // descriptor is read-only).
    static Result<Region> adopt(UniqueFd fd, std::size_t size, Access access, RegionId id);

    Region(Region&&) noexcept = default;
    Region& operator=(Region&&) noexcept = default;
    Region(const Region&) = delete;
    Region& operator=(const Region&) = delete;
    ~Region() = default;

    [[nodiscard]] RegionId id() const { return id_; }
    [[nodiscard]] std::size_t size() const { return size_; }
    [[nodiscard]] int fd() const { return fd_.get(); }
    [[nodiscard]] Access access() const { return access_; }
    [[nodiscard]] Visibility visibility() const { return visibility_; }
    [[nodiscard]] const std::string& name() const { return name_; }

    // A new descriptor for a peer (send it with fd_passing.hpp, then close it).
    // ReadOnly: a fresh open file description opened O_RDONLY, so the kernel refuses a writable
    // shared mapping (mmap/mprotect fail with EACCES) whatever the peer does.
    // ReadWrite: a duplicate of the owner's descriptor.
    // Errors: PermissionDenied (KernelOnly region, or ReadWrite from a read-only region), Io.
    [[nodiscard]] Result<UniqueFd> share(Access access) const;

private:
    Region(UniqueFd fd, std::size_t size, Access access, Visibility visibility, RegionId id,
           std::string name);

    UniqueFd fd_;
    std::size_t size_ = 0;
    Access access_ = Access::ReadWrite;
    Visibility visibility_ = Visibility::ClientMappable;
    RegionId id_ = kInvalidRegion;
    std::string name_;
};

}  // namespace ksim::shm
