// Flag values, GUIDs and structure sizes must match ks.h exactly: configs and explanations
// quote them, and a driver engineer compares them with the real headers.
#include <gtest/gtest.h>

#include "ksim/proto/framing.hpp"
#include "ksim/proto/memory_types.hpp"
#include "ksim/proto/stream_header.hpp"

using namespace ksim::proto;

TEST(FramingConstants, RequirementFlagsHaveKsValues) {
    EXPECT_EQ(to_underlying(RequirementFlags::InPlaceModifier), 0x1u);
    EXPECT_EQ(to_underlying(RequirementFlags::SystemMemory), 0x2u);
    EXPECT_EQ(to_underlying(RequirementFlags::FrameIntegrity), 0x4u);
    EXPECT_EQ(to_underlying(RequirementFlags::MustAllocate), 0x8u);
    EXPECT_EQ(to_underlying(RequirementFlags::SystemMemoryCustomAllocation), 0x10u);
    EXPECT_EQ(to_underlying(RequirementFlags::PreferencesOnly), 0x80000000u);
}

TEST(FramingConstants, OptionFlagsHaveKsValues) {
    EXPECT_EQ(to_underlying(OptionFlags::Compatible), 0x1u);
    EXPECT_EQ(to_underlying(OptionFlags::SystemMemory), 0x2u);
    EXPECT_EQ(to_underlying(OptionFlags::Valid), 0x3u);
}

TEST(FramingConstants, PipeFlagsHaveKsValues) {
    EXPECT_EQ(to_underlying(PipeFlags::PartialReadSupport), 0x10u);
    EXPECT_EQ(to_underlying(PipeFlags::DeviceSpecific), 0x20u);
    EXPECT_EQ(to_underlying(PipeFlags::CanAllocate), 0x40u);
    EXPECT_EQ(to_underlying(PipeFlags::InsistOnFramesizeRatio), 0x80u);
    EXPECT_EQ(to_underlying(PipeFlags::NoFrameIntegrity), 0x100u);
    EXPECT_EQ(to_underlying(PipeFlags::MultipleOutput), 0x200u);
    EXPECT_EQ(to_underlying(PipeFlags::Cycle), 0x400u);
    EXPECT_EQ(to_underlying(PipeFlags::AllocatorExists), 0x800u);
    EXPECT_EQ(to_underlying(PipeFlags::IndependentRanges), 0x1000u);
    EXPECT_EQ(to_underlying(PipeFlags::AttentionStepping), 0x2000u);
    EXPECT_EQ(to_underlying(PipeFlags::EnableCachedMdl), 0x4000u);
    EXPECT_EQ(to_underlying(PipeFlags::Buffer2dRequired), 0x8000u);
}

TEST(FramingConstants, MemoryTypeGuidsMatchKsH) {
    EXPECT_EQ(memory_type::kSystem.to_string(), "091BB638-603F-11D1-B067-00A0C9062802");
    EXPECT_EQ(memory_type::kUser.to_string(), "8CB0FC28-7893-11D1-B069-00A0C9062802");
    EXPECT_EQ(memory_type::kKernelPaged.to_string(), "D833F8F8-7894-11D1-B069-00A0C9062802");
    EXPECT_EQ(memory_type::kKernelNonPaged.to_string(), "4A6D5FC4-7895-11D1-B069-00A0C9062802");
    EXPECT_EQ(memory_type::kDeviceUnknown.to_string(), "091BB639-603F-11D1-B067-00A0C9062802");
    EXPECT_TRUE(memory_type::kDontCare.is_null());
}

TEST(FramingConstants, GuidParseAcceptsBracesAndLowercase) {
    auto g = Guid::parse("{4a6d5fc4-7895-11d1-b069-00a0c9062802}");
    ASSERT_TRUE(g);
    EXPECT_EQ(*g, memory_type::kKernelNonPaged);
    EXPECT_FALSE(Guid::parse("4A6D5FC4-7895-11D1-B069-00A0C906280"));
    EXPECT_FALSE(Guid::parse("4A6D5FC4x7895-11D1-B069-00A0C9062802"));
}

TEST(FramingConstants, FramingExSizeIs24Plus88PerItem) {
    AllocatorFramingEx ex =
        make_simple_framing(memory_type::kKernelNonPaged, RequirementFlags::SystemMemory, 2, 0, 8192, 8192);
    EXPECT_EQ(ex.ks_size(), 24u + 88u);
}

TEST(FramingConstants, SimpleFramingMatchesDeclareSimpleFramingEx) {
    auto ex = make_simple_framing(memory_type::kKernelNonPaged,
                                  RequirementFlags::SystemMemory | RequirementFlags::PreferencesOnly, 2,
                                  file_alignment::kLong, 100, 200);
    ASSERT_EQ(ex.items.size(), 1u);
    const FramingItem& item = ex.items[0];
    EXPECT_EQ(ex.output_compression, (Compression{1, 1, 0}));
    EXPECT_TRUE(item.bus_type.is_null());
    EXPECT_EQ(item.physical_range, (FramingRange{0, 0xFFFFFFFFu, 1}));
    EXPECT_EQ(item.framing_range.range, (FramingRange{100, 200, 1}));
    EXPECT_EQ(item.raw_flags(), 0x80000002u);
}

TEST(FramingConstants, RawFlagsSplitIntoRequirementAndPipeBits) {
    RequirementFlags req{};
    PipeFlags pipe{};
    FramingItem::split_raw_flags(0x80000011u | 0x40u, req, pipe);
    EXPECT_EQ(req, RequirementFlags::PreferencesOnly | RequirementFlags::InPlaceModifier);
    EXPECT_EQ(pipe, PipeFlags::PartialReadSupport | PipeFlags::CanAllocate);
}

TEST(FramingConstants, PinStatesHaveKsStateValues) {
    EXPECT_EQ(static_cast<int>(PinState::Stop), 0);
    EXPECT_EQ(static_cast<int>(PinState::Acquire), 1);
    EXPECT_EQ(static_cast<int>(PinState::Pause), 2);
    EXPECT_EQ(static_cast<int>(PinState::Run), 3);
    EXPECT_EQ(parse_pin_state("ksstate_pause"), PinState::Pause);
    EXPECT_FALSE(parse_pin_state("walk"));
}

TEST(FramingConstants, StreamHeaderOptionsHaveKsValues) {
    EXPECT_EQ(to_underlying(StreamHeaderOptions::TimeValid), 0x10u);
    EXPECT_EQ(to_underlying(StreamHeaderOptions::DurationValid), 0x100u);
    EXPECT_EQ(to_underlying(StreamHeaderOptions::EndOfStream), 0x200u);
    EXPECT_EQ(to_underlying(StreamHeaderOptions::FrameInfo), 0x4000u);
    EXPECT_EQ(to_underlying(StreamHeaderOptions::LoopedData), 0x80000000u);
}
