// Region creation (memfd + seals + population), adoption of a received descriptor, and
// sharing with the access mode enforced by the kernel.
#include "ksim/shm/region.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <limits>
#include <string>

#include "errno_error.hpp"
#include "ksim/proto/memory_types.hpp"

namespace ksim::shm {
namespace {

constexpr std::size_t kMaxRegionSize = std::size_t{1} << 40;  // 1 TiB: far beyond any pool
constexpr unsigned kRequiredSeals = F_SEAL_SHRINK | F_SEAL_GROW;

std::size_t page_size() {
    static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return size;
}

RegionId next_region_id() {
    static std::atomic<RegionId> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

Visibility visibility_for(const proto::Guid& memory_type) {
    return proto::classify_memory_type(memory_type) == proto::MemoryClass::Kernel
               ? Visibility::KernelOnly
               : Visibility::ClientMappable;
}

Region::Region(UniqueFd fd, std::size_t size, Access access, Visibility visibility, RegionId id,
               std::string name)
    : fd_(std::move(fd)),
      size_(size),
      access_(access),
      visibility_(visibility),
      id_(id),
      name_(std::move(name)) {}

Result<Region> Region::create(std::string_view name, std::size_t size, const RegionOptions& options) {
    if (size == 0 || size > kMaxRegionSize) {
        return fail(Errc::InvalidArgument, "region '" + std::string(name) + "': size " +
                                               std::to_string(size) + " is outside 1.." +
                                               std::to_string(kMaxRegionSize) + " bytes");
    }
    const std::size_t rounded = (size + page_size() - 1) / page_size() * page_size();
    // memfd names are limited to 249 bytes; the name is only for /proc/<pid>/maps.
    const std::string memfd_name = "ksim:" + std::string(name.substr(0, 200));
    UniqueFd fd(::memfd_create(memfd_name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!fd) return detail::fail_errno("region '" + std::string(name) + "': memfd_create");
    if (::ftruncate(fd.get(), static_cast<off_t>(rounded)) != 0) {
        return detail::fail_errno("region '" + std::string(name) + "': ftruncate to " +
                                  std::to_string(rounded));
    }
    // Owner read-only: a peer holding an O_RDONLY descriptor cannot reopen /proc/self/fd/N
    // writable (unless it has CAP_DAC_OVERRIDE). Our own descriptor stays read-write.
    if (::fchmod(fd.get(), S_IRUSR) != 0)
        return detail::fail_errno("region '" + std::string(name) + "': fchmod");
    if (options.populate) {
        // Allocates (and zeroes) every page now, so no frame ever takes a page fault for it.
        if (::fallocate(fd.get(), 0, 0, static_cast<off_t>(rounded)) != 0) {
            return detail::fail_errno("region '" + std::string(name) + "': populating " +
                                      std::to_string(rounded) + " bytes");
        }
    }
    // Size sealed: no peer can shrink the file under another's mapping (SIGBUS) or grow it.
    if (::fcntl(fd.get(), F_ADD_SEALS, kRequiredSeals | F_SEAL_SEAL) != 0) {
        return detail::fail_errno("region '" + std::string(name) + "': sealing");
    }
    return Region(std::move(fd), rounded, Access::ReadWrite, options.visibility, next_region_id(),
                  std::string(name));
}

Result<Region> Region::adopt(UniqueFd fd, std::size_t size, Access access, RegionId id) {
    if (!fd) return fail(Errc::InvalidArgument, "adopt region " + std::to_string(id) + ": no descriptor");
    if (id == kInvalidRegion) return fail(Errc::InvalidArgument, "adopt region: id 0 is reserved");
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return detail::fail_errno("adopt region " + std::to_string(id) + ": fstat");
    if (size == 0 || static_cast<std::size_t>(st.st_size) != size) {
        return fail(Errc::InvalidArgument, "adopt region " + std::to_string(id) + ": announced size " +
                                               std::to_string(size) + " but the descriptor has " +
                                               std::to_string(st.st_size) + " bytes");
    }
    const int seals = ::fcntl(fd.get(), F_GET_SEALS);
    if (seals < 0 || (static_cast<unsigned>(seals) & kRequiredSeals) != kRequiredSeals) {
        return fail(Errc::InvalidArgument,
                    "adopt region " + std::to_string(id) +
                        ": descriptor is not a size-sealed memfd (it could shrink under "
                        "the mapping)");
    }
    const int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0) return detail::fail_errno("adopt region " + std::to_string(id) + ": F_GETFL");
    if (access == Access::ReadWrite && (flags & O_ACCMODE) != O_RDWR) {
        return fail(Errc::PermissionDenied, "adopt region " + std::to_string(id) +
                                                ": read-write access asked, but the descriptor is read-only");
    }
    return Region(std::move(fd), size, access, Visibility::ClientMappable, id,
                  "region-" + std::to_string(id));
}

Result<UniqueFd> Region::share(Access access) const {
    if (visibility_ == Visibility::KernelOnly) {
        return fail(Errc::PermissionDenied,
                    "region '" + name_ + "' holds kernel-type memory; it is never mapped by a client");
    }
    if (access == Access::ReadWrite) {
        if (access_ != Access::ReadWrite) {
            return fail(Errc::PermissionDenied,
                        "region '" + name_ + "' is read-only here; cannot share it writable");
        }
        UniqueFd dup(::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0));
        if (!dup) return detail::fail_errno("region '" + name_ + "': dup");
        return dup;
    }
    // A new open file description with O_RDONLY: mmap(PROT_WRITE, MAP_SHARED) and mprotect to
    // PROT_WRITE on it fail with EACCES in any process that receives it.
    const std::string path = "/proc/self/fd/" + std::to_string(fd_.get());
    UniqueFd ro(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ro) return detail::fail_errno("region '" + name_ + "': reopening read-only via " + path);
    return ro;
}

}  // namespace ksim::shm
