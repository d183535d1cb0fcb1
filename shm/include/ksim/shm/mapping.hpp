// Mapping<A>: an RAII mmap of a whole region (or a descriptor). The access mode is part of the
// type: a ReadOnly mapping only hands out const bytes, and the pages themselves are mapped
// PROT_READ from a descriptor that cannot be mapped writable. Thread-compatible.
#pragma once

#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>

#include "ksim/proto/error.hpp"
#include "ksim/shm/region.hpp"

namespace ksim::shm {

template <Access A>
class Mapping {
public:
    using Byte = std::conditional_t<A == Access::ReadOnly, const std::byte, std::byte>;

    // Maps all of `region`. ReadWrite needs a ReadWrite region.
    // Errors: PermissionDenied (access not permitted by the region/descriptor), Io (mmap).
    static Result<Mapping> map(const Region& region);
    // Maps `size` bytes of `fd` from offset 0 (the fd stays owned by the caller).
    static Result<Mapping> map_fd(int fd, std::size_t size);

    Mapping() = default;
    Mapping(Mapping&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
    Mapping& operator=(Mapping&& other) noexcept {
        if (this != &other) {
            unmap();
            data_ = std::exchange(other.data_, nullptr);
            size_ = std::exchange(other.size_, 0);
        }
        return *this;
    }
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    ~Mapping() { unmap(); }

    [[nodiscard]] std::span<Byte> bytes() const { return {static_cast<Byte*>(data_), size_}; }
    [[nodiscard]] std::size_t size() const { return size_; }
    [[nodiscard]] bool valid() const { return data_ != nullptr; }

    // The bytes of one frame, or an empty span when [offset, offset+size) is outside the mapping.
    [[nodiscard]] std::span<Byte> slice(std::size_t offset, std::size_t size) const {
        if (offset > size_ || size > size_ - offset) return {};
        return bytes().subspan(offset, size);
    }

private:
    Mapping(void* data, std::size_t size) : data_(data), size_(size) {}
    void unmap() noexcept;

    void* data_ = nullptr;
    std::size_t size_ = 0;
};

using ReadOnlyMapping = Mapping<Access::ReadOnly>;
using WritableMapping = Mapping<Access::ReadWrite>;

extern template class Mapping<Access::ReadOnly>;
extern template class Mapping<Access::ReadWrite>;

}  // namespace ksim::shm
