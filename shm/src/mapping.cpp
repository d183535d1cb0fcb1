#include "ksim/shm/mapping.hpp"

#include <sys/mman.h>

#include <string>

#include "errno_error.hpp"

namespace ksim::shm {

template <Access A>
Result<Mapping<A>> Mapping<A>::map(const Region& region) {
    if (A == Access::ReadWrite && region.access() != Access::ReadWrite) {
        return fail(Errc::PermissionDenied,
                    "region '" + region.name() + "' is read-only; cannot map it writable");
    }
    return map_fd(region.fd(), region.size());
}

template <Access A>
Result<Mapping<A>> Mapping<A>::map_fd(int fd, std::size_t size) {
    if (fd < 0 || size == 0)
        return fail(Errc::InvalidArgument, "map: needs a descriptor and a non-zero size");
    const int prot = A == Access::ReadOnly ? PROT_READ : PROT_READ | PROT_WRITE;
    // MAP_POPULATE: page tables are filled now, not on the first touch of each frame.
    void* data = ::mmap(nullptr, size, prot, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (data == MAP_FAILED) {
        return detail::fail_errno(std::string("map ") + (A == Access::ReadOnly ? "read-only" : "read-write") +
                                  " " + std::to_string(size) + " bytes");
    }
    return Mapping(data, size);
}

template <Access A>
void Mapping<A>::unmap() noexcept {
    if (data_ != nullptr) ::munmap(data_, size_);
    data_ = nullptr;
    size_ = 0;
}

template class Mapping<Access::ReadOnly>;
template class Mapping<Access::ReadWrite>;

}  // namespace ksim::shm
