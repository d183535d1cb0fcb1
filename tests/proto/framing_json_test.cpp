// JSON round trips of every framing type, and the accepted spellings of flags, alignment and
// memory types mapping to the real ks.h values.
#include "ksim/proto/framing_json.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "ksim/proto/memory_types.hpp"

using namespace ksim::proto;
using nlohmann::json;

namespace {
template <typename T>
T round_trip(const T& value) {
    json j = value;
    return json::parse(j.dump()).get<T>();
}

FramingItem sample_item() {
    FramingItem item;
    item.memory_type = memory_type::kKernelPaged;
    item.bus_type = bus_type::kPci;
    item.memory_flags = RequirementFlags::MustAllocate;
    item.bus_flags = 7;
    item.requirement_flags = RequirementFlags::InPlaceModifier | RequirementFlags::PreferencesOnly;
    item.pipe_flags = PipeFlags::CanAllocate | PipeFlags::Buffer2dRequired;
    item.frames = 5;
    item.file_alignment = file_alignment::k128Byte;
    item.memory_type_weight = 3;
    item.physical_range = {100, 900, 8};
    item.framing_range = {{200, 600, 4}, 1, 2};
    return item;
}
}  // namespace

TEST(FramingJson, Range_RoundTrips) {
    FramingRange r{16, 4096, 16};
    EXPECT_EQ(round_trip(r), r);
}

TEST(FramingJson, WeightedRange_RoundTrips) {
    FramingRangeWeighted r{{0, 1024, 2}, 5, 6};
    EXPECT_EQ(round_trip(r), r);
}

TEST(FramingJson, Compression_RoundTrips) {
    Compression c{3, 2, 100};
    EXPECT_EQ(round_trip(c), c);
}

TEST(FramingJson, FramingItem_RoundTripsWithFlagsAndGuids) {
    EXPECT_EQ(round_trip(sample_item()), sample_item());
}

TEST(FramingJson, FramingItemWithCustomMemoryType_RoundTripsAsGuid) {
    FramingItem item = sample_item();
    item.memory_type = make_guid("6B1F5A3C-2D4E-4F70-9A81-5C3D2E1F0A01");
    item.file_alignment = 0x3FFF;  // no FILE_ name: written as a mask
    json j = item;
    EXPECT_EQ(j["memory_type"], "6B1F5A3C-2D4E-4F70-9A81-5C3D2E1F0A01");
    EXPECT_EQ(j["alignment"], 0x3FFF);
    EXPECT_EQ(round_trip(item), item);
}

TEST(FramingJson, AllocatorFramingEx_RoundTrips) {
    AllocatorFramingEx f;
    f.output_compression = {1, 2, 0};
    f.items = {sample_item(), FramingItem{}};
    EXPECT_EQ(round_trip(f), f);
}

TEST(FramingJson, LegacyFraming_RoundTrips) {
    AllocatorFraming f{0x80000002u, PoolType::Paged, 4, 8192, 3, 0};
    EXPECT_EQ(round_trip(f), f);
}

TEST(FramingJson, VendorAllocator_RoundTrips) {
    VendorAllocatorCaps a;
    a.name = "dma";
    a.mode = AllocatorMode::User;
    a.memory_type = memory_type::kUser;
    a.min_frame_size = 64;
    a.max_frame_size = 1 << 20;
    a.max_frames = 6;
    a.alignment_mask = 0xFFF;
    a.contiguous = false;
    a.max_sg_entries = 17;
    a.max_segment_bytes = 4096;
    a.physical_base = 0x2000;
    a.physical_limit = 0xFFFFFFFFFull;
    a.boundary = 65536;
    VendorAllocatorCaps b = round_trip(a);
    EXPECT_EQ(json(b), json(a));
    EXPECT_EQ(b.physical_limit, a.physical_limit);
    EXPECT_EQ(b.name, "dma");
}

TEST(FramingJson, Guid_RoundTrips) {
    EXPECT_EQ(round_trip(memory_type::kKernelNonPaged), memory_type::kKernelNonPaged);
}

TEST(FramingJson, FlagNames_MapToKsValues) {
    json j = {{"flags",
               {"KSALLOCATOR_REQUIREMENTF_SYSTEM_MEMORY", "PREFERENCES_ONLY", "KSALLOCATOR_FLAG_CAN_ALLOCATE",
                "INSIST_ON_FRAMESIZE_RATIO", 0x4}}};
    FramingItem item = j.get<FramingItem>();
    EXPECT_EQ(item.raw_flags(), 0x2u | 0x80000000u | 0x40u | 0x80u | 0x4u);
    EXPECT_EQ(to_underlying(item.requirement_flags), 0x80000006u);
    EXPECT_EQ(to_underlying(item.pipe_flags), 0xC0u);
}

TEST(FramingJson, NumericFlags_Accepted) {
    FramingItem item = json{{"flags", 0x80000002u}}.get<FramingItem>();
    EXPECT_EQ(item.requirement_flags, RequirementFlags::SystemMemory | RequirementFlags::PreferencesOnly);
}

TEST(FramingJson, AlignmentSpellings_AllGiveMask) {
    EXPECT_EQ(json({{"alignment", "FILE_QUAD_ALIGNMENT"}}).get<FramingItem>().file_alignment, 7u);
    EXPECT_EQ(json({{"alignment", 63}}).get<FramingItem>().file_alignment, 63u);
    EXPECT_EQ(json({{"alignment", {{"bytes", 64}}}}).get<FramingItem>().file_alignment, 63u);
    EXPECT_EQ(json({{"alignment", "PAGE_ALIGNMENT"}}).get<FramingItem>().file_alignment, 0xFFFu);
}

TEST(FramingJson, MemoryTypeSpellings_GiveKsGuids) {
    EXPECT_EQ(json({{"memory_type", "KSMEMORY_TYPE_KERNEL_PAGED"}}).get<FramingItem>().memory_type,
              memory_type::kKernelPaged);
    EXPECT_EQ(
        json({{"memory_type", "{4a6d5fc4-7895-11d1-b069-00a0c9062802}"}}).get<FramingItem>().memory_type,
        memory_type::kKernelNonPaged);
    EXPECT_EQ(json({{"memory_type", "WILDCARD"}}).get<FramingItem>().memory_type, memory_type::kDontCare);
}

TEST(FramingJson, InvalidInput_ThrowsWithPointerAndRule) {
    try {
        (void)json({{"output_compression", {{"denominator", 0}}}, {"items", {json::object()}}})
            .get<AllocatorFramingEx>();
        FAIL() << "no exception";
    } catch (const std::invalid_argument& e) {
        std::string what = e.what();
        EXPECT_NE(what.find("/output_compression/denominator"), std::string::npos) << what;
        EXPECT_NE(what.find("compression.denominator-zero"), std::string::npos) << what;
    }
}

TEST(FramingJson, SimpleHelper_MatchesDeclareSimpleFramingEx) {
    AllocatorFramingEx f = json::parse(R"({"simple": {"memory_type": "KERNEL_NONPAGED",
        "flags": ["SYSTEM_MEMORY", "PREFERENCES_ONLY"], "frames": 2, "alignment": 0,
        "min_frame_size": 8192, "max_frame_size": 8192}})")
                               .get<AllocatorFramingEx>();
    EXPECT_EQ(f, make_simple_framing(memory_type::kKernelNonPaged,
                                     RequirementFlags::SystemMemory | RequirementFlags::PreferencesOnly, 2, 0,
                                     8192, 8192));
    ASSERT_EQ(f.items.size(), 1u);
    EXPECT_TRUE(f.items[0].bus_type.is_null());
    EXPECT_EQ(f.items[0].physical_range.max_frame_size, 0xFFFFFFFFu);  // full physical range
    EXPECT_EQ(f.items[0].framing_range.range.max_frame_size, 8192u);
}
