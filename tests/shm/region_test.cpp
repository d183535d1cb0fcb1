#include "ksim/shm/region.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "ksim/proto/memory_types.hpp"
#include "ksim/shm/mapping.hpp"
#include "test_support.hpp"

namespace ksim::shm {
namespace {

Region make_region(std::size_t size = 8192, RegionOptions options = {}) {
    auto region = Region::create("region-test", size, options);
    EXPECT_TRUE(region.has_value()) << region.error().message;
    return std::move(*region);
}

TEST(ShmRegion, Create_RoundsSizeUpToPagesAndAssignsDistinctIds) {
    Region a = make_region(1);
    Region b = make_region(4097);
    EXPECT_EQ(a.size(), 4096u);
    EXPECT_EQ(b.size(), 8192u);
    EXPECT_NE(a.id(), kInvalidRegion);
    EXPECT_NE(a.id(), b.id());
    EXPECT_EQ(a.access(), Access::ReadWrite);
    EXPECT_GE(a.fd(), 0);
}

TEST(ShmRegion, Create_RejectsZeroSize) {
    auto region = Region::create("zero", 0);
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error().code, Errc::InvalidArgument);
    EXPECT_NE(region.error().message.find("zero"), std::string::npos) << region.error().message;
}

TEST(ShmRegion, Create_SealsTheSizeAgainstShrinkAndGrow) {
    Region region = make_region();
    EXPECT_NE(::ftruncate(region.fd(), 4096), 0);
    EXPECT_EQ(errno, EPERM);
    EXPECT_NE(::ftruncate(region.fd(), 1 << 20), 0);
    EXPECT_EQ(errno, EPERM);
}

TEST(ShmRegion, Create_LeavesNothingInDevShm) {
    const auto before = test::dev_shm_entries();
    {
        Region region = make_region(1 << 20);
        EXPECT_EQ(test::dev_shm_entries(), before);
    }
    EXPECT_EQ(test::dev_shm_entries(), before);
}

TEST(ShmRegion, ShareReadOnly_GivesADescriptorTheKernelRefusesToMapWritable) {
    Region region = make_region();
    auto ro = region.share(Access::ReadOnly);
    ASSERT_TRUE(ro) << ro.error().message;
    EXPECT_EQ(::fcntl(ro->get(), F_GETFL) & O_ACCMODE, O_RDONLY);
    void* writable = ::mmap(nullptr, region.size(), PROT_READ | PROT_WRITE, MAP_SHARED, ro->get(), 0);
    EXPECT_EQ(writable, MAP_FAILED);
    EXPECT_EQ(errno, EACCES);
    void* readable = ::mmap(nullptr, region.size(), PROT_READ, MAP_SHARED, ro->get(), 0);
    ASSERT_NE(readable, MAP_FAILED);
    EXPECT_NE(::mprotect(readable, region.size(), PROT_READ | PROT_WRITE), 0);
    EXPECT_EQ(errno, EACCES);
    ::munmap(readable, region.size());
}

TEST(ShmRegion, ShareReadWrite_SharesTheSamePages) {
    Region region = make_region();
    auto rw = region.share(Access::ReadWrite);
    ASSERT_TRUE(rw);
    auto adopted = Region::adopt(std::move(*rw), region.size(), Access::ReadWrite, region.id());
    ASSERT_TRUE(adopted) << adopted.error().message;
    auto mine = WritableMapping::map(region);
    auto theirs = WritableMapping::map(*adopted);
    ASSERT_TRUE(mine && theirs);
    mine->bytes()[100] = std::byte{0x5A};
    EXPECT_EQ(theirs->bytes()[100], std::byte{0x5A});
}

TEST(ShmRegion, ShareOfKernelOnlyRegion_IsRefusedForEveryAccessMode) {
    Region region = make_region(4096, RegionOptions{Visibility::KernelOnly, true});
    for (Access access : {Access::ReadOnly, Access::ReadWrite}) {
        auto fd = region.share(access);
        ASSERT_FALSE(fd);
        EXPECT_EQ(fd.error().code, Errc::PermissionDenied);
        EXPECT_NE(fd.error().message.find("kernel"), std::string::npos) << fd.error().message;
    }
    // The daemon itself (the simulated kernel) still maps it.
    EXPECT_TRUE(WritableMapping::map(region));
}

TEST(ShmRegion, VisibilityFor_KernelTypesAreKernelOnlyAndUserTypesMappable) {
    EXPECT_EQ(visibility_for(proto::memory_type::kKernelPaged), Visibility::KernelOnly);
    EXPECT_EQ(visibility_for(proto::memory_type::kKernelNonPaged), Visibility::KernelOnly);
    EXPECT_EQ(visibility_for(proto::memory_type::kUser), Visibility::ClientMappable);
    EXPECT_EQ(visibility_for(proto::memory_type::kSystem), Visibility::ClientMappable);
}

TEST(ShmRegion, Adopt_RejectsASizeDifferentFromTheDescriptor) {
    Region region = make_region(8192);
    auto fd = region.share(Access::ReadOnly);
    ASSERT_TRUE(fd);
    auto adopted = Region::adopt(std::move(*fd), 16384, Access::ReadOnly, region.id());
    ASSERT_FALSE(adopted);
    EXPECT_EQ(adopted.error().code, Errc::InvalidArgument);
    EXPECT_NE(adopted.error().message.find("16384"), std::string::npos) << adopted.error().message;
}

TEST(ShmRegion, Adopt_RefusesReadWriteOnAReadOnlyDescriptor) {
    Region region = make_region();
    auto fd = region.share(Access::ReadOnly);
    ASSERT_TRUE(fd);
    auto adopted = Region::adopt(std::move(*fd), region.size(), Access::ReadWrite, region.id());
    ASSERT_FALSE(adopted);
    EXPECT_EQ(adopted.error().code, Errc::PermissionDenied);
}

TEST(ShmRegion, Adopt_RefusesAnUnsealedDescriptor) {
    const int raw = ::memfd_create("unsealed", MFD_CLOEXEC);
    ASSERT_GE(raw, 0);
    ASSERT_EQ(::ftruncate(raw, 4096), 0);
    auto adopted = Region::adopt(UniqueFd(raw), 4096, Access::ReadOnly, 7);
    ASSERT_FALSE(adopted);
    EXPECT_EQ(adopted.error().code, Errc::InvalidArgument);
    EXPECT_NE(adopted.error().message.find("sealed"), std::string::npos) << adopted.error().message;
}

TEST(ShmRegion, Adopt_RejectsAMissingDescriptorAndIdZero) {
    EXPECT_EQ(Region::adopt(UniqueFd(), 4096, Access::ReadOnly, 1).error().code, Errc::InvalidArgument);
    Region region = make_region();
    auto fd = region.share(Access::ReadOnly);
    ASSERT_TRUE(fd);
    EXPECT_EQ(Region::adopt(std::move(*fd), region.size(), Access::ReadOnly, 0).error().code,
              Errc::InvalidArgument);
}

TEST(ShmMapping, ReadOnlyMapping_SeesTheOwnersWrites) {
    Region region = make_region();
    auto writer = WritableMapping::map(region);
    ASSERT_TRUE(writer);
    auto fd = region.share(Access::ReadOnly);
    ASSERT_TRUE(fd);
    auto adopted = Region::adopt(std::move(*fd), region.size(), Access::ReadOnly, region.id());
    ASSERT_TRUE(adopted);
    auto reader = ReadOnlyMapping::map(*adopted);
    ASSERT_TRUE(reader) << reader.error().message;
    static_assert(std::is_same_v<decltype(reader->bytes()), std::span<const std::byte>>);
    static_assert(std::is_same_v<decltype(writer->bytes()), std::span<std::byte>>);
    std::fill(writer->bytes().begin(), writer->bytes().end(), std::byte{0x42});
    EXPECT_TRUE(std::all_of(reader->bytes().begin(), reader->bytes().end(),
                            [](std::byte b) { return b == std::byte{0x42}; }));
}

TEST(ShmMapping, WritableMapOfAReadOnlyRegion_IsPermissionDenied) {
    Region region = make_region();
    auto fd = region.share(Access::ReadOnly);
    ASSERT_TRUE(fd);
    auto adopted = Region::adopt(std::move(*fd), region.size(), Access::ReadOnly, region.id());
    ASSERT_TRUE(adopted);
    auto mapping = WritableMapping::map(*adopted);
    ASSERT_FALSE(mapping);
    EXPECT_EQ(mapping.error().code, Errc::PermissionDenied);
    // Even bypassing the type check, the kernel refuses.
    auto raw = WritableMapping::map_fd(adopted->fd(), adopted->size());
    ASSERT_FALSE(raw);
    EXPECT_EQ(raw.error().code, Errc::PermissionDenied);
}

TEST(ShmMapping, Slice_ReturnsEmptyOutsideTheMapping) {
    Region region = make_region(4096);
    auto mapping = ReadOnlyMapping::map(region);
    ASSERT_TRUE(mapping);
    EXPECT_EQ(mapping->slice(0, 4096).size(), 4096u);
    EXPECT_EQ(mapping->slice(4000, 96).size(), 96u);
    EXPECT_TRUE(mapping->slice(4000, 97).empty());
    EXPECT_TRUE(mapping->slice(5000, 1).empty());
    EXPECT_TRUE(mapping->slice(~std::size_t{0}, 2).empty());
}

TEST(ShmMapping, MoveLeavesTheSourceEmpty) {
    Region region = make_region();
    auto mapping = ReadOnlyMapping::map(region);
    ASSERT_TRUE(mapping);
    ReadOnlyMapping moved = std::move(*mapping);
    EXPECT_FALSE(mapping->valid());
    EXPECT_TRUE(moved.valid());
    EXPECT_EQ(moved.size(), region.size());
}

}  // namespace
}  // namespace ksim::shm
