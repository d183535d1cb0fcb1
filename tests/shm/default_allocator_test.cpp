#include "ksim/shm/default_allocator.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "ksim/proto/framing.hpp"
#include "ksim/proto/memory_types.hpp"
#include "ksim/shm/mapping.hpp"

namespace ksim::shm {
namespace {

using namespace std::chrono_literals;

proto::AllocatorFraming request(std::uint32_t frames, std::uint32_t size, std::uint32_t alignment = 0,
                                std::uint32_t options = 0x2) {
    proto::AllocatorFraming f;
    f.flags = options;
    f.frames = frames;
    f.frame_size = size;
    f.file_alignment = alignment;
    return f;
}

std::unique_ptr<DefaultAllocator> initialized(std::uint32_t frames, std::uint32_t size,
                                              std::uint32_t alignment = 0) {
    auto allocator = std::make_unique<DefaultAllocator>();
    auto ok = allocator->initialize(request(frames, size, alignment));
    EXPECT_TRUE(ok) << ok.error().message;
    return allocator;
}

TEST(ShmDefaultAllocator, Initialize_RejectsOptionBitsOutsideValid) {
    DefaultAllocator allocator;
    auto ok = allocator.initialize(request(4, 1024, 0, 0x4));
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().code, Errc::InvalidArgument);
    EXPECT_NE(ok.error().message.find("0x4"), std::string::npos) << ok.error().message;
    EXPECT_FALSE(allocator.status().initialized);
}

TEST(ShmDefaultAllocator, Initialize_RejectsZeroFramesZeroSizeAndNonMaskAlignment) {
    for (const auto& bad : {request(0, 1024), request(4, 0), request(4, 1024, 0x6)}) {
        DefaultAllocator allocator;
        auto ok = allocator.initialize(bad);
        ASSERT_FALSE(ok);
        EXPECT_EQ(ok.error().code, Errc::InvalidArgument) << ok.error().message;
    }
}

TEST(ShmDefaultAllocator, Initialize_TwiceIsInvalidState) {
    auto owned = initialized(2, 100);
    DefaultAllocator& allocator = *owned;
    auto again = allocator.initialize(request(2, 100));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Errc::InvalidState);
}

TEST(ShmDefaultAllocator, AllocateBeforeInitialize_IsInvalidState) {
    DefaultAllocator allocator;
    EXPECT_EQ(allocator.allocate().error().code, Errc::InvalidState);
    EXPECT_EQ(allocator.free(FrameHandle{1, 0, 0, 0}).error().code, Errc::InvalidState);
    EXPECT_EQ(allocator.frame(0).error().code, Errc::InvalidState);
    EXPECT_EQ(allocator.free_frame_fd(), -1);
}

TEST(ShmDefaultAllocator, Allocate_StopsWithNoMoreEntriesAtTheNegotiatedCount) {
    auto owned = initialized(3, 1000);
    DefaultAllocator& allocator = *owned;
    std::set<std::uint32_t> indices;
    for (int i = 0; i < 3; ++i) {
        auto frame = allocator.allocate();
        ASSERT_TRUE(frame) << frame.error().message;
        EXPECT_EQ(frame->region, allocator.region().id());
        indices.insert(frame->index);
    }
    EXPECT_EQ(indices.size(), 3u);
    auto more = allocator.allocate();
    ASSERT_FALSE(more);
    EXPECT_EQ(more.error().code, Errc::NoMoreEntries);
    EXPECT_EQ(allocator.status().outstanding, 3u);
}

TEST(ShmDefaultAllocator, Free_MakesTheFrameAvailableWithANewGeneration) {
    auto owned = initialized(1, 64);
    DefaultAllocator& allocator = *owned;
    auto first = allocator.allocate();
    ASSERT_TRUE(first);
    ASSERT_TRUE(allocator.free(*first));
    EXPECT_EQ(allocator.status().outstanding, 0u);
    auto second = allocator.allocate();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->index, first->index);
    EXPECT_EQ(second->generation, first->generation + 1);
}

TEST(ShmDefaultAllocator, DoubleFree_IsStaleAndDoesNotCorruptTheCount) {
    auto owned = initialized(2, 64);
    DefaultAllocator& allocator = *owned;
    auto frame = allocator.allocate();
    ASSERT_TRUE(frame);
    ASSERT_TRUE(allocator.free(*frame));
    auto again = allocator.free(*frame);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Errc::StaleDescriptor);
    EXPECT_EQ(allocator.status().outstanding, 0u);
    // Both frames still allocate exactly once each.
    EXPECT_TRUE(allocator.allocate());
    EXPECT_TRUE(allocator.allocate());
    EXPECT_EQ(allocator.allocate().error().code, Errc::NoMoreEntries);
}

TEST(ShmDefaultAllocator, FreeOfAnOldGenerationAfterReuse_IsStale) {
    auto owned = initialized(1, 64);
    DefaultAllocator& allocator = *owned;
    auto old = allocator.allocate();
    ASSERT_TRUE(old);
    ASSERT_TRUE(allocator.free(*old));
    auto reused = allocator.allocate();
    ASSERT_TRUE(reused);
    EXPECT_EQ(allocator.free(*old).error().code, Errc::StaleDescriptor);
    EXPECT_EQ(allocator.status().outstanding, 1u);  // the reused frame is still out
    EXPECT_TRUE(allocator.free(*reused));
}

TEST(ShmDefaultAllocator, FreeOfAForeignRegionOrBadIndex_IsNotFound) {
    auto owned = initialized(2, 64);
    DefaultAllocator& allocator = *owned;
    const RegionId mine = allocator.region().id();
    EXPECT_EQ(allocator.free(FrameHandle{mine + 1000, 0, 0, 0}).error().code, Errc::NotFound);
    EXPECT_EQ(allocator.free(FrameHandle{mine, 2, 0, 0}).error().code, Errc::NotFound);
    EXPECT_EQ(allocator.free(FrameHandle{mine, 0xFFFFFFFFu, 0, 0}).error().code, Errc::NotFound);
}

TEST(ShmDefaultAllocator, RandomHandles_NeverFreeAFrameTheyDoNotName) {
    auto owned = initialized(4, 64);
    DefaultAllocator& allocator = *owned;
    std::vector<FrameHandle> held;
    for (int i = 0; i < 4; ++i) held.push_back(*allocator.allocate());
    std::mt19937 random(7);
    auto pick = [&](std::uint32_t n) { return static_cast<std::uint32_t>(random() % n); };
    const RegionId mine = allocator.region().id();
    for (int i = 0; i < 100000; ++i) {
        // Generations 1..4 are all stale: every frame is out at generation 0.
        const FrameHandle forged{mine + pick(3), pick(6), pick(4) + 1, 0};
        auto ok = allocator.free(forged);
        ASSERT_FALSE(ok);
        EXPECT_TRUE(ok.error().code == Errc::NotFound || ok.error().code == Errc::StaleDescriptor);
    }
    EXPECT_EQ(allocator.status().outstanding, 4u);
    for (const auto& frame : held) EXPECT_TRUE(allocator.free(frame));
}

TEST(ShmDefaultAllocator, Frames_AreAlignedNonOverlappingAndInsideTheRegion) {
    auto owned = initialized(5, 1000, proto::file_alignment::k512Byte);
    DefaultAllocator& allocator = *owned;
    EXPECT_EQ(allocator.stride(), 1024u);
    EXPECT_EQ(allocator.status().alignment, proto::file_alignment::k512Byte);
    std::uint64_t previous_end = 0;
    for (std::uint32_t i = 0; i < 5; ++i) {
        auto layout = allocator.frame(i);
        ASSERT_TRUE(layout);
        EXPECT_EQ(layout->offset % 512, 0u);
        EXPECT_EQ(layout->size, 1000u);
        EXPECT_GE(layout->offset, previous_end);
        previous_end = layout->offset + layout->size;
    }
    EXPECT_LE(previous_end, allocator.region().size());
    EXPECT_EQ(allocator.frame(5).error().code, Errc::NotFound);
}

TEST(ShmDefaultAllocator, Alignment_IsAtLeastQuadLikeKs) {
    auto owned = initialized(3, 13, proto::file_alignment::kByte);
    DefaultAllocator& allocator = *owned;
    EXPECT_EQ(allocator.stride(), 16u);
    EXPECT_EQ(allocator.status().alignment, proto::file_alignment::kQuad);
}

TEST(ShmDefaultAllocator, FramesAreUsableMemory_WritesLandAtTheFrameOffset) {
    auto owned = initialized(4, 4096, proto::file_alignment::kPage);
    DefaultAllocator& allocator = *owned;
    auto mapping = WritableMapping::map(allocator.region());
    ASSERT_TRUE(mapping);
    auto frame = allocator.allocate();
    ASSERT_TRUE(frame);
    auto layout = allocator.frame(frame->index);
    ASSERT_TRUE(layout);
    auto bytes = mapping->slice(layout->offset, layout->size);
    ASSERT_EQ(bytes.size(), 4096u);
    std::fill(bytes.begin(), bytes.end(), std::byte{0x7E});
    auto reader = ReadOnlyMapping::map(allocator.region());
    ASSERT_TRUE(reader);
    EXPECT_EQ(reader->bytes()[layout->offset + 4095], std::byte{0x7E});
}

TEST(ShmDefaultAllocator, KernelMemoryType_RegionIsNeverSharedWithClients) {
    DefaultAllocator allocator(
        DefaultAllocatorOptions{"kernel-pool", proto::memory_type::kKernelNonPaged, true});
    ASSERT_TRUE(allocator.initialize(request(2, 4096)));
    EXPECT_EQ(allocator.region().visibility(), Visibility::KernelOnly);
    EXPECT_EQ(allocator.region().share(Access::ReadOnly).error().code, Errc::PermissionDenied);
}

TEST(ShmDefaultAllocator, UserMemoryType_RegionIsSharedReadOnly) {
    DefaultAllocator allocator(DefaultAllocatorOptions{"user-pool", proto::memory_type::kUser, true});
    ASSERT_TRUE(allocator.initialize(request(2, 4096)));
    EXPECT_TRUE(allocator.region().share(Access::ReadOnly));
}

TEST(ShmDefaultAllocator, AllocateWait_TimesOutWhenNothingIsFreed) {
    auto owned = initialized(1, 64);
    DefaultAllocator& allocator = *owned;
    ASSERT_TRUE(allocator.allocate());
    const auto start = std::chrono::steady_clock::now();
    auto frame = allocator.allocate_wait(30ms);
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error().code, Errc::Timeout);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
}

TEST(ShmDefaultAllocator, AllocateWait_IsWokenByAFreeOnAnotherThread) {
    auto owned = initialized(1, 64);
    DefaultAllocator& allocator = *owned;
    auto held = allocator.allocate();
    ASSERT_TRUE(held);
    std::atomic<bool> waiting{false};
    Result<FrameHandle> got = fail(Errc::Internal, "not run");
    std::thread waiter([&] {
        waiting = true;
        got = allocator.allocate_wait(10s);
    });
    while (!waiting) std::this_thread::yield();
    ASSERT_TRUE(allocator.free(*held));
    waiter.join();
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got->index, held->index);
    EXPECT_EQ(got->generation, held->generation + 1);
}

TEST(ShmDefaultAllocator, FreeFrameFd_IsSignalledOnlyWhileWatched) {
    auto owned = initialized(1, 64);
    DefaultAllocator& allocator = *owned;
    const int fd = allocator.free_frame_fd();
    ASSERT_GE(fd, 0);
    auto readable = [fd] {
        pollfd pfd{fd, POLLIN, 0};
        return ::poll(&pfd, 1, 0) == 1;
    };
    auto a = allocator.allocate();
    ASSERT_TRUE(allocator.free(*a));
    EXPECT_FALSE(readable());  // nobody watching: no syscall, no signal
    {
        FrameAllocator::FreeFrameWatch watch(allocator);
        auto b = allocator.allocate();
        ASSERT_TRUE(allocator.free(*b));
        EXPECT_TRUE(readable());
    }
}

TEST(ShmDefaultAllocator, ConcurrentAllocateFree_NeverHandsOutAFrameTwice) {
    constexpr std::uint32_t kFrames = 8;
    auto owned = initialized(kFrames, 64);
    DefaultAllocator& allocator = *owned;
    std::vector<std::atomic<int>> holders(kFrames);
    std::atomic<bool> violation{false};
    std::atomic<std::uint32_t> max_outstanding{0};
    auto worker = [&] {
        for (int i = 0; i < 20000; ++i) {
            auto frame = allocator.allocate();
            if (!frame) {
                if (frame.error().code != Errc::NoMoreEntries) violation = true;
                continue;
            }
            if (holders[frame->index].fetch_add(1) != 0) violation = true;
            const auto out = allocator.status().outstanding;
            if (out > kFrames) violation = true;
            max_outstanding = std::max(max_outstanding.load(), out);
            holders[frame->index].fetch_sub(1);
            if (!allocator.free(*frame)) violation = true;
        }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    EXPECT_FALSE(violation);
    EXPECT_EQ(allocator.status().outstanding, 0u);
    for (std::uint32_t i = 0; i < kFrames; ++i) EXPECT_TRUE(allocator.allocate());
    EXPECT_EQ(allocator.allocate().error().code, Errc::NoMoreEntries);
}

TEST(ShmDefaultAllocator, Remove_ReleasesTheRegionAndIsIdempotent) {
    auto owned = initialized(2, 64);
    DefaultAllocator& allocator = *owned;
    allocator.remove();
    allocator.remove();
    EXPECT_FALSE(allocator.status().initialized);
    EXPECT_EQ(allocator.allocate().error().code, Errc::InvalidState);
}

}  // namespace
}  // namespace ksim::shm
