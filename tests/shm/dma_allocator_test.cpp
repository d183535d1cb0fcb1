#include "ksim/shm/dma_allocator.hpp"

#include <gtest/gtest.h>

#include <set>

#include "ksim/proto/framing.hpp"
#include "ksim/proto/memory_types.hpp"

namespace ksim::shm {
namespace {

proto::AllocatorFraming dma_request(std::uint32_t frames, std::uint32_t size, std::uint32_t alignment = 0) {
    return proto::make_create_request(frames, size, alignment, proto::memory_type::kKernelNonPaged);
}

proto::VendorAllocatorCaps caps() {
    proto::VendorAllocatorCaps c;
    c.name = "avshws-common-buffer";
    c.min_frame_size = 1024;
    c.max_frame_size = 8 << 20;
    c.max_frames = 8;
    c.alignment_mask = proto::file_alignment::kPage;
    c.max_sg_entries = 128;
    c.max_segment_bytes = 0x10000;
    c.physical_base = 0x1'0000'0000ull;
    c.physical_limit = 0x1'FFFF'FFFFull;
    return c;
}

TEST(ShmDmaAllocator, NewAllocator_HasCalledNoCallback) {
    DmaAllocator allocator(caps());
    const auto calls = allocator.calls();
    EXPECT_EQ(calls.initialize, 0u);
    EXPECT_EQ(calls.allocate, 0u);
    EXPECT_EQ(calls.free, 0u);
    EXPECT_EQ(calls.remove, 0u);
    EXPECT_FALSE(allocator.status().initialized);
}

TEST(ShmDmaAllocator, EachCallback_IsCountedOnce) {
    DmaAllocator allocator(caps());
    ASSERT_TRUE(allocator.initialize(dma_request(2, 4096)));
    auto frame = allocator.allocate();
    ASSERT_TRUE(frame);
    ASSERT_TRUE(allocator.free(*frame));
    allocator.remove();
    const auto calls = allocator.calls();
    EXPECT_EQ(calls.initialize, 1u);
    EXPECT_EQ(calls.allocate, 1u);
    EXPECT_EQ(calls.free, 1u);
    EXPECT_EQ(calls.remove, 1u);
}

TEST(ShmDmaAllocator, Initialize_RejectsAFrameSizeOutsideTheCaps) {
    DmaAllocator allocator(caps());
    auto ok = allocator.initialize(dma_request(2, 512));
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().code, Errc::InvalidArgument);
    EXPECT_NE(ok.error().message.find("1024..8388608"), std::string::npos) << ok.error().message;
    EXPECT_EQ(allocator.calls().initialize, 1u);  // counted even when it fails
}

TEST(ShmDmaAllocator, Initialize_RejectsMoreFramesThanTheDeviceHas) {
    DmaAllocator allocator(caps());
    auto ok = allocator.initialize(dma_request(9, 4096));
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().code, Errc::InvalidArgument);
    EXPECT_NE(ok.error().message.find("maximum of 8"), std::string::npos) << ok.error().message;
}

TEST(ShmDmaAllocator, Initialize_RejectsAnAlignmentStricterThanTheCaps) {
    auto c = caps();
    c.alignment_mask = proto::file_alignment::k64Byte;
    DmaAllocator allocator(c);
    auto ok = allocator.initialize(dma_request(2, 4096, proto::file_alignment::kPage));
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().code, Errc::InvalidArgument);
    EXPECT_NE(ok.error().message.find("0xFFF"), std::string::npos) << ok.error().message;
}

TEST(ShmDmaAllocator, Initialize_FailsWhenTheBufferDoesNotFitThePhysicalWindow) {
    auto c = caps();
    c.physical_limit = c.physical_base + 3 * 4096 - 1;  // 3 pages of window
    DmaAllocator allocator(c);
    auto ok = allocator.initialize(dma_request(4, 4096, proto::file_alignment::kPage));
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().code, Errc::InsufficientResources);
    EXPECT_NE(ok.error().message.find("physical window"), std::string::npos) << ok.error().message;
}

TEST(ShmDmaAllocator, Initialize_FailsWhenAFrameNeedsMoreSgEntriesThanTheDeviceTakes) {
    auto c = caps();
    c.max_segment_bytes = 4096;
    c.max_sg_entries = 4;
    DmaAllocator allocator(c);
    auto ok = allocator.initialize(dma_request(1, 5 * 4096, proto::file_alignment::kPage));
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().code, Errc::InsufficientResources);
    EXPECT_NE(ok.error().message.find("needs 5 scatter/gather entries"), std::string::npos)
        << ok.error().message;
}

TEST(ShmDmaAllocator, Frames_LiveInsideThePhysicalWindowAtTheNegotiatedAlignment) {
    auto c = caps();
    c.physical_base = 0x1'0000'0100ull;  // not page aligned: the buffer starts at the next page
    DmaAllocator allocator(c);
    ASSERT_TRUE(allocator.initialize(dma_request(4, 3000, proto::file_alignment::k256Byte)));
    EXPECT_EQ(allocator.physical_base(), 0x1'0000'1000ull);
    for (std::uint32_t i = 0; i < 4; ++i) {
        auto physical = allocator.physical_address(i);
        auto layout = allocator.frame(i);
        ASSERT_TRUE(physical && layout);
        EXPECT_EQ(*physical % 256, 0u);
        EXPECT_EQ(*physical, allocator.physical_base() + layout->offset);
        EXPECT_LE(*physical + 3000 - 1, c.physical_limit);
    }
}

TEST(ShmDmaAllocator, Frames_NeverCrossTheBoundary) {
    auto c = caps();
    c.boundary = 0x4000;  // 16 KiB
    DmaAllocator allocator(c);
    ASSERT_TRUE(allocator.initialize(dma_request(6, 10000, proto::file_alignment::k64Byte)));
    for (std::uint32_t i = 0; i < 6; ++i) {
        auto physical = allocator.physical_address(i);
        ASSERT_TRUE(physical);
        EXPECT_EQ(*physical / c.boundary, (*physical + 10000 - 1) / c.boundary) << "frame " << i;
    }
}

TEST(ShmDmaAllocator, Initialize_RejectsAFrameLargerThanTheBoundary) {
    auto c = caps();
    c.boundary = 4096;
    DmaAllocator allocator(c);
    auto ok = allocator.initialize(dma_request(2, 8192));
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().code, Errc::InvalidArgument);
}

TEST(ShmDmaAllocator, ScatterGather_ContiguousFrameIsSplitAtTheMaximumSegmentLength) {
    DmaAllocator allocator(caps());  // max segment 64 KiB
    ASSERT_TRUE(allocator.initialize(dma_request(2, 150000, proto::file_alignment::kPage)));
    auto sg = allocator.scatter_gather(1);
    ASSERT_TRUE(sg);
    ASSERT_EQ(sg->size(), 3u);
    auto base = allocator.physical_address(1);
    ASSERT_TRUE(base);
    EXPECT_EQ((*sg)[0].physical_address, *base);
    EXPECT_EQ((*sg)[0].byte_count, 0x10000u);
    EXPECT_EQ((*sg)[1].physical_address, *base + 0x10000);
    EXPECT_EQ((*sg)[2].byte_count, 150000u - 2 * 0x10000);
    std::uint64_t total = 0;
    for (const auto& e : *sg) {
        total += e.byte_count;
        EXPECT_LE(e.byte_count, 0x10000u);
        EXPECT_EQ(e.physical_address % e.alignment, 0u);
        EXPECT_GE(e.alignment, 4096u);  // page-aligned frame, 64 KiB segments
    }
    EXPECT_EQ(total, 150000u);
}

TEST(ShmDmaAllocator, ScatterGather_NonContiguousFrameHasOneEntryPerScatteredPage) {
    auto c = caps();
    c.contiguous = false;
    DmaAllocator allocator(c);
    ASSERT_TRUE(allocator.initialize(dma_request(2, 3 * 4096, proto::file_alignment::kPage)));
    auto sg = allocator.scatter_gather(0);
    ASSERT_TRUE(sg);
    ASSERT_EQ(sg->size(), 3u);
    std::set<std::uint64_t> pages;
    for (std::size_t i = 0; i < sg->size(); ++i) {
        EXPECT_EQ((*sg)[i].byte_count, 4096u);
        pages.insert((*sg)[i].physical_address);
        if (i > 0) {
            EXPECT_NE((*sg)[i].physical_address, (*sg)[i - 1].physical_address + 4096);
        }
    }
    EXPECT_EQ(pages.size(), 3u);
}

TEST(ShmDmaAllocator, ScatterGather_OfABadIndexIsNotFoundAndBeforeInitializeInvalidState) {
    DmaAllocator allocator(caps());
    EXPECT_EQ(allocator.scatter_gather(0).error().code, Errc::InvalidState);
    ASSERT_TRUE(allocator.initialize(dma_request(2, 4096)));
    EXPECT_EQ(allocator.scatter_gather(2).error().code, Errc::NotFound);
    EXPECT_EQ(allocator.physical_address(7).error().code, Errc::NotFound);
}

TEST(ShmDmaAllocator, Allocate_HonoursTheNegotiatedCount) {
    DmaAllocator allocator(caps());
    ASSERT_TRUE(allocator.initialize(dma_request(2, 4096)));
    ASSERT_TRUE(allocator.allocate());
    ASSERT_TRUE(allocator.allocate());
    EXPECT_EQ(allocator.allocate().error().code, Errc::NoMoreEntries);
}

TEST(ShmDmaAllocator, KernelNonPagedCommonBuffer_IsNeverSharedWithClients) {
    DmaAllocator allocator(caps());
    ASSERT_TRUE(allocator.initialize(dma_request(2, 4096)));
    EXPECT_EQ(allocator.region().visibility(), Visibility::KernelOnly);
    EXPECT_EQ(allocator.region().share(Access::ReadOnly).error().code, Errc::PermissionDenied);
}

TEST(ShmDmaAllocator, Kind_IsTheVendorName) {
    DmaAllocator allocator(caps());
    EXPECT_EQ(allocator.kind(), "avshws-common-buffer");
}

}  // namespace
}  // namespace ksim::shm
