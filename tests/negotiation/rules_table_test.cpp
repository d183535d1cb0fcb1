// Table-driven negotiation cases: one per rule, rejection reason and tie-break, each asserting
// the chosen allocator, the resulting framing and the rule ids of rejections and notes.
// Expectations are reasoned from the rules in docs/negotiation.md, not copied from output.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>

// Cases name only the fields they expect; the rest keep Expect's defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "graph_builders.hpp"
#include "ksim/negotiation/negotiate.hpp"
#include "ksim/negotiation/rules.hpp"

namespace ksim::negotiation::test {
namespace {

using proto::AllocatorMode;
using RF = proto::RequirementFlags;

struct Expect {
    Status status = Status::Satisfied;
    std::string allocator;              // "name@pin"; "" when failed
    std::string memory;                 // memory type label of the allocator
    ResultFraming framing{};            // checked when satisfied
    std::vector<std::string> rejected;  // per candidate not selected: "name@pin:rule,rule"
    std::vector<std::string> notes;     // rule ids of the notes, in order
    std::string failure;                // failure rule
    std::uint32_t copies = 0;
    std::string copy_allocator;  // "name@pin" or ""
    std::string pipe = "pipe0";
    std::size_t connection = 0;  // which record to check
};

struct Case {
    std::string name;
    std::function<Graph()> graph;
    Expect expect;
};

std::string who(const AllocatorChoice& a) {
    return std::string(a.name) + "@" + std::string(a.pin);
}

// Reused pins: an avshws-like kernel output at 4096 bytes and a don't-care kernel input.
PinInput cam(std::vector<FramingItem> items = {simple(mt::kKernelNonPaged, 2, 4096, 4096)}) {
    return kout("cam.out", std::move(items));
}
PinInput sink(std::vector<FramingItem> items = {simple(mt::kDontCare, 2, 0, kMax, 0, RF::PreferencesOnly)}) {
    return kin("sink.in", std::move(items));
}
PinInput app_in() {
    return uin("app.in", {simple(mt::kDontCare, 2, 0, kMax, 0, RF::PreferencesOnly)});
}
FramingItem in_place_dc(std::uint32_t frames = 2) {
    return with_flags(simple(mt::kDontCare, frames, 0, kMax, 0, RF::PreferencesOnly), RF::InPlaceModifier);
}
FramingItem must(FramingItem item) {
    return with_flags(std::move(item), RF::MustAllocate);
}

proto::VendorAllocatorCaps user_allocator(std::string name, proto::Guid memory) {
    auto caps = vendor(std::move(name), memory);
    caps.mode = AllocatorMode::User;
    return caps;
}

template <typename F>
proto::VendorAllocatorCaps tweak(proto::VendorAllocatorCaps caps, F f) {
    f(caps);
    return caps;
}

Graph in_place_chain(PinInput src, PinInput last, std::vector<FramingItem> f_items = {in_place_dc()},
                     proto::Compression c = {}) {
    return chain(std::move(src), kin("f.in", f_items), kout("f.out", f_items, c), std::move(last));
}

PinInput legacy_out(std::uint32_t flags, proto::PoolType pool, std::uint32_t frames, std::uint32_t size,
                    std::uint32_t align) {
    PinInput p = kout("cam.out", {});
    p.legacy_framing = proto::AllocatorFraming{flags, pool, frames, size, align, 0};
    return p;
}

const ResultFraming k4096x2{4096, 2, 0};
const std::string kNonPaged = "KERNEL_NONPAGED";
const std::string kPaged = "KERNEL_PAGED";

std::vector<Case> cases() {
    using namespace rule;
    const auto R = [](std::string_view r) { return std::string(r); };
    return {
        // --- 1. connection mode ---------------------------------------------------------------
        {"KernelConnection_SelectsValidVendorAllocator",
         [] { return link(with_allocator(cam(), vendor("dma")), sink()); },
         {.allocator = "dma@cam.out",
          .memory = "VENDOR_DMA",
          .framing = k4096x2,
          .rejected = {"default@sink.in:" + R(kVendorOverDefault)}}},
        {"UserModeConnection_RejectsKernelAllocator",
         [] { return link(with_allocator(cam(), vendor("dma")), app_in()); },
         {.allocator = "user@cam.out",
          .memory = "USER",
          .framing = k4096x2,
          .rejected = {"dma@cam.out:" + R(kKernelAllocatorOnUserConnection),
                       "default@cam.out:" + R(kKernelAllocatorOnUserConnection)}}},
        {"UserHostedUpstreamPin_SuppliesTheAllocator",
         [] {
             return link(uout("app.out", {simple(mt::kDontCare, 2, 0, kMax)}),
                         kin("render.in", {simple(mt::kKernelNonPaged, 4, 1024, 1024)}));
         },
         {.allocator = "user@app.out", .memory = "USER", .framing = {1024, 4, 0}}},
        {"UserHostedUpstreamPin_RejectsDownstreamAllocator",
         [] {
             return link(uout("app.out", {simple(mt::kDontCare, 2, 0, kMax)}),
                         with_allocator(kin("render.in", {simple(mt::kKernelNonPaged, 4, 1024, 1024)}),
                                        user_allocator("ubuf", mt::kUser)));
         },
         {.allocator = "user@app.out",
          .memory = "USER",
          .framing = {1024, 4, 0},
          .rejected = {"ubuf@render.in:" + R(kUpstreamUserPinAllocates)}}},
        {"KernelUpstreamUserDownstream_SelectsClientUserModeAllocator",
         [] { return link(cam(), with_allocator(app_in(), user_allocator("ubuf", mt::kUser))); },
         {.allocator = "ubuf@app.in",
          .memory = "USER",
          .framing = k4096x2,
          .rejected = {"default@cam.out:" + R(kKernelAllocatorOnUserConnection),
                       "user@cam.out:" + R(kVendorOverDefault)}}},
        {"KernelConnection_RejectsUserModeAllocator",
         [] { return link(with_allocator(cam(), user_allocator("ubuf", mt::kUser)), sink()); },
         {.allocator = "default@sink.in",
          .memory = kNonPaged,
          .framing = k4096x2,
          .rejected = {"ubuf@cam.out:" + R(kUserAllocatorOnKernelConnection)}}},
        {"UserModeConnection_RejectsUserAllocatorOfKernelMemory",
         [] { return link(cam(), with_allocator(app_in(), user_allocator("ubuf", mt::kKernelNonPaged))); },
         {.allocator = "user@cam.out",
          .memory = "USER",
          .framing = k4096x2,
          .rejected = {"ubuf@app.in:" + R(kCapsMemoryType),
                       "default@cam.out:" + R(kKernelAllocatorOnUserConnection)}}},

        // --- 2. memory type walk ----------------------------------------------------------------
        {"MemoryWalk_TakesFirstUpstreamTypeTheDownstreamPinLists",
         [] {
             return link(
                 cam({simple(mt::kKernelPaged, 2, 4096, 4096), simple(mt::kKernelNonPaged, 2, 4096, 4096)}),
                 sink({simple(mt::kKernelNonPaged, 2, 0, kMax)}));
         },
         {.allocator = "default@sink.in", .memory = kNonPaged, .framing = k4096x2}},
        {"MemoryWalk_UpstreamItemOrderBeatsDownstreamOrder",
         [] {
             return link(
                 cam({simple(mt::kKernelPaged, 2, 4096, 4096), simple(mt::kKernelNonPaged, 2, 4096, 4096)}),
                 sink({simple(mt::kKernelNonPaged, 2, 0, kMax), simple(mt::kKernelPaged, 2, 0, kMax)}));
         },
         {.allocator = "default@sink.in", .memory = kPaged, .framing = k4096x2}},
        {"DontCareUpstream_TakesTheDownstreamType",
         [] {
             return link(cam({simple(mt::kDontCare, 2, 0, kMax)}),
                         sink({simple(mt::kKernelPaged, 2, 4096, 4096)}));
         },
         {.allocator = "default@sink.in", .memory = kPaged, .framing = k4096x2}},
        {"AllPinsDontCare_DefaultAllocatorUsesNonPagedMemory",
         [] { return link(cam({simple(mt::kDontCare, 2, 4096, 4096)}), sink()); },
         {.allocator = "default@sink.in",
          .memory = kNonPaged,
          .framing = k4096x2,
          .notes = {R(kDontCareDefault)}}},
        {"NoCommonMemoryType_GivesTwoAllocatorsAndOneCopy",
         [] {
             return link(cam({simple(mt::kKernelPaged, 2, 4096, 4096)}),
                         sink({simple(mt::kKernelNonPaged, 2, 0, kMax)}));
         },
         {.allocator = "default@cam.out",
          .memory = kPaged,
          .framing = k4096x2,
          .notes = {R(kNoCommonMemoryType)},
          .copies = 1,
          .copy_allocator = "default@sink.in"}},
        {"ItemOnAnotherBus_IsSkipped",
         [] {
             return link(cam({on_bus(simple(mt::kKernelPaged, 2, 4096, 4096), proto::bus_type::kPci),
                              simple(mt::kKernelNonPaged, 2, 4096, 4096)}),
                         sink());
         },
         {.allocator = "default@sink.in",
          .memory = kNonPaged,
          .framing = k4096x2,
          .notes = {R(kBusMismatch)}}},
        {"ItemOnThePinsMediumBus_IsUsed",
         [] {
             PinInput up = cam({on_bus(simple(mt::kKernelPaged, 2, 4096, 4096), proto::bus_type::kPci),
                                simple(mt::kKernelNonPaged, 2, 4096, 4096)});
             up.medium = proto::bus_type::kPci;
             return link(std::move(up), sink());
         },
         {.allocator = "default@sink.in", .memory = kPaged, .framing = k4096x2}},

        // --- 3. frame size ----------------------------------------------------------------------
        {"HardRanges_IntersectAndTheLargestCommonSizeWins",
         [] {
             return link(cam({hard(mt::kKernelNonPaged, 2, 1000, 8000)}),
                         sink({hard(mt::kKernelNonPaged, 2, 4096, 16384)}));
         },
         {.allocator = "default@sink.in", .memory = kNonPaged, .framing = {8000, 2, 0}}},
        {"DisjointHardRanges_FailTheConnection",
         [] {
             return link(cam({hard(mt::kKernelNonPaged, 4, 1000, 2000)}),
                         sink({hard(mt::kKernelNonPaged, 4, 4096, 8192, 4096)}));
         },
         {.status = Status::Failed, .failure = R(kPhysicalEmpty)}},
        {"FailedConnection_ListsItsVendorAllocatorAsNotInitialized",
         [] {
             return link(with_allocator(cam({hard(mt::kKernelNonPaged, 4, 1000, 2000)}), vendor("dma")),
                         sink({hard(mt::kKernelNonPaged, 4, 4096, 8192, 4096)}));
         },
         {.status = Status::Failed,
          .rejected = {"dma@cam.out:" + R(kPhysicalEmpty)},
          .failure = R(kPhysicalEmpty)}},
        {"Steppings_IntersectToTheirCommonMultiples",
         [] {
             return link(cam({hard(mt::kKernelNonPaged, 2, 1000, 9000, 1000)}),
                         sink({hard(mt::kKernelNonPaged, 2, 1500, 9000, 1500)}));
         },
         {.allocator = "default@sink.in", .memory = kNonPaged, .framing = {9000, 2, 0}}},
        {"IncompatibleSteppings_FailTheConnection",
         [] {
             return link(cam({hard(mt::kKernelNonPaged, 2, 1000, 2000, 2)}),
                         sink({hard(mt::kKernelNonPaged, 2, 1001, 1999, 2)}));
         },
         {.status = Status::Failed, .failure = R(kPhysicalEmpty)}},
        {"DisjointOptimalRanges_FallBackToTheHardRange",
         [] {
             FramingItem up = hard(mt::kKernelNonPaged, 2, 1000, 2000);
             up.physical_range = {1000, 8000, 1};
             return link(cam({up}), sink({simple(mt::kKernelNonPaged, 2, 4000, 8000)}));
         },
         {.allocator = "default@sink.in",
          .memory = kNonPaged,
          .framing = {8000, 2, 0},
          .notes = {R(kOptimalEmptyFallback)}}},
        {"OptimalRange_NarrowsTheHardRange",
         [] { return link(cam({simple(mt::kKernelNonPaged, 2, 2048, 4096)}), sink()); },
         {.allocator = "default@sink.in", .memory = kNonPaged, .framing = k4096x2}},
        {"UnboundedRanges_UseThePageSizedDefault",
         [] { return link(cam({simple(mt::kKernelNonPaged, 2, 0, kMax)}), sink()); },
         {.allocator = "default@sink.in",
          .memory = kNonPaged,
          .framing = k4096x2,
          .notes = {R(kDefaultFrameSize)}}},
        {"MinimumAboveDefault_IsUsedAsIs",
         [] { return link(cam({simple(mt::kKernelNonPaged, 2, 65536, kMax)}), sink()); },
         {.allocator = "default@sink.in", .memory = kNonPaged, .framing = {65536, 2, 0}}},
        {"OutputCompression_AlongAnInPlaceChain_SizesFramesForTheLargestExpansion",
         [] {
             return in_place_chain(kout("src.out", {simple(mt::kKernelNonPaged, 2, 1000, 1000)}),
                                   kin("sink.in", {simple(mt::kDontCare, 2, 0, kMax)}), {in_place_dc()},
                                   {2, 1, 0});
         },
         {.allocator = "default@f.in",
          .memory = kNonPaged,
          .framing = {2000, 2, 0},
          .notes = {R(kInPlacePipe), R(kCompression)}}},

        // --- 4. frames and alignment ------------------------------------------------------------
        {"Frames_TheLargestRequirementWins",
         [] { return link(cam(), sink({simple(mt::kDontCare, 6, 0, kMax)})); },
         {.allocator = "default@sink.in", .memory = kNonPaged, .framing = {4096, 6, 0}}},
        {"Frames_NoRequirementDefaultsToTwo",
         [] {
             return link(cam({hard(mt::kKernelNonPaged, 0, 4096, 4096)}),
                         sink({hard(mt::kDontCare, 0, 0, kMax)}));
         },
         {.allocator = "default@sink.in",
          .memory = kNonPaged,
          .framing = k4096x2,
          .notes = {R(kDefaultFrames)}}},
        {"Alignment_TheStrictestMaskWins",
         [] {
             return link(cam({simple(mt::kKernelNonPaged, 2, 4096, 4096, 0x3)}),
                         sink({simple(mt::kDontCare, 2, 0, kMax, 0x3F)}));
         },
         {.allocator = "default@sink.in", .memory = kNonPaged, .framing = {4096, 2, 0x3F}}},

        // --- capability checks ------------------------------------------------------------------
        {"VendorWithTooFewFrames_IsRejected",
         [] {
             return link(with_allocator(cam(), vendor("dma", kVendorDma, 8)),
                         sink({simple(mt::kDontCare, 16, 0, kMax)}));
         },
         {.allocator = "default@sink.in",
          .memory = kNonPaged,
          .framing = {4096, 16, 0},
          .rejected = {"dma@cam.out:" + R(kCapsMaxFrames)}}},
        {"VendorWithTooSmallFrames_IsRejected",
         [] {
             return link(
                 with_allocator(cam(), tweak(vendor("dma"), [](auto& c) { c.max_frame_size = 2048; })),
                 sink());
         },
         {.allocator = "default@sink.in",
          .memory = kNonPaged,
          .framing = k4096x2,
          .rejected = {"dma@cam.out:" + R(kCapsFrameSize)}}},
        {"VendorWithTooLargeMinimumFrame_IsRejected",
         [] {
             return link(
                 with_allocator(cam(), tweak(vendor("dma"), [](auto& c) { c.min_frame_size = 8192; })),
                 sink());
         },
         {.allocator = "default@sink.in",
          .memory = kNonPaged,
          .framing = k4096x2,
          .rejected = {"dma@cam.out:" + R(kCapsFrameSize)}}},
        {"VendorWithLooserAlignment_IsRejected",
         [] {
             return link(with_allocator(cam({simple(mt::kKernelNonPaged, 2, 4096, 4096, 0xFFF)}),
                                        tweak(vendor("dma"), [](auto& c) { c.alignment_mask = 0x3F; })),
                         sink());
         },
         {.allocator = "default@sink.in",
          .memory = kNonPaged,
          .framing = {4096, 2, 0xFFF},
          .rejected = {"dma@cam.out:" + R(kCapsAlignment)}}},
        {"VendorMemoryTypeNoPinAccepts_IsRejected",
         [] {
             return link(with_allocator(cam({hard(mt::kKernelNonPaged, 2, 4096, 4096)}), vendor("dma")),
                         sink());
         },
         {.allocator = "default@sink.in",
          .memory = kNonPaged,
          .framing = k4096x2,
          .rejected = {"dma@cam.out:" + R(kCapsMemoryType)}}},
        {"VendorOfTheWalkedMemoryType_IsSelectedWithoutPreferencesOnly",
         [] {
             return link(with_allocator(cam({hard(mt::kKernelNonPaged, 2, 4096, 4096)}),
                                        vendor("dma", mt::kKernelNonPaged)),
                         sink());
         },
         {.allocator = "dma@cam.out",
          .memory = kNonPaged,
          .framing = k4096x2,
          .rejected = {"default@sink.in:" + R(kVendorOverDefault)}}},
        {"VendorWithoutContiguityOrScatterGather_IsRejected",
         [] {
             return link(with_allocator(cam(), tweak(vendor("dma"),
                                                     [](auto& c) {
                                                         c.contiguous = false;
                                                         c.scatter_gather = false;
                                                     })),
                         sink());
         },
         {.allocator = "default@sink.in",
          .memory = kNonPaged,
          .framing = k4096x2,
          .rejected = {"dma@cam.out:" + R(kCapsContiguity)}}},
        {"VendorWithTooFewScatterGatherEntries_IsRejected",
         [] {
             return link(with_allocator(cam({simple(mt::kKernelNonPaged, 2, 1u << 20, 1u << 20)}),
                                        tweak(vendor("dma"),
                                              [](auto& c) {
                                                  c.contiguous = false;
                                                  c.max_sg_entries = 8;
                                                  c.max_segment_bytes = 65536;
                                              })),
                         sink());
         },
         {.allocator = "default@sink.in",
          .memory = kNonPaged,
          .framing = {1u << 20, 2, 0},
          .rejected = {"dma@cam.out:" + R(kCapsContiguity)}}},
        {"ScatterGatherVendorWithEnoughEntries_IsSelected",
         [] {
             return link(with_allocator(cam({simple(mt::kKernelNonPaged, 2, 1u << 20, 1u << 20)}),
                                        tweak(vendor("dma"),
                                              [](auto& c) {
                                                  c.contiguous = false;
                                                  c.max_sg_entries = 16;
                                                  c.max_segment_bytes = 65536;
                                              })),
                         sink());
         },
         {.allocator = "dma@cam.out",
          .memory = "VENDOR_DMA",
          .framing = {1u << 20, 2, 0},
          .rejected = {"default@sink.in:" + R(kVendorOverDefault)}}},
        {"VendorWhoseBoundaryIsSmallerThanAFrame_IsRejected",
         [] {
             return link(with_allocator(cam(), tweak(vendor("dma"), [](auto& c) { c.boundary = 2048; })),
                         sink());
         },
         {.allocator = "default@sink.in",
          .memory = kNonPaged,
          .framing = k4096x2,
          .rejected = {"dma@cam.out:" + R(kCapsBoundary)}}},
        {"VendorWithTooSmallPhysicalWindow_IsRejected",
         [] {
             return link(
                 with_allocator(
                     cam(), tweak(vendor("dma"), [](auto& c) { c.physical_limit = c.physical_base + 8191; })),
                 sink({simple(mt::kDontCare, 3, 0, kMax)}));
         },
         {.allocator = "default@sink.in",
          .memory = kNonPaged,
          .framing = {4096, 3, 0},
          .rejected = {"dma@cam.out:" + R(kCapsPhysicalWindow)}}},
        {"VendorWithSeveralShortfalls_ReportsEveryOne",
         [] {
             return link(
                 with_allocator(cam({simple(mt::kKernelNonPaged, 2, 4096, 4096, 0x3)}),
                                tweak(vendor("dma", kVendorDma, 1), [](auto& c) { c.alignment_mask = 0; })),
                 sink());
         },
         {.allocator = "default@sink.in",
          .memory = kNonPaged,
          .framing = {4096, 2, 0x3},
          .rejected = {"dma@cam.out:" + R(kCapsMaxFrames) + "," + R(kCapsAlignment)}}},

        // --- 5. in-place pipes --------------------------------------------------------------------
        {"InPlaceChain_SharesOneAllocatorAndOneSetOfFrames",
         [] {
             return in_place_chain(kout("src.out", {simple(mt::kKernelNonPaged, 3, 614400, 614400)}),
                                   kin("sink.in", {simple(mt::kDontCare, 3, 0, kMax)}), {in_place_dc(3)});
         },
         {.allocator = "default@f.in",
          .memory = kNonPaged,
          .framing = {614400, 3, 0},
          .notes = {R(kInPlacePipe)}}},
        {"InPlaceChain_SecondConnectionCarriesTheSameDecision",
         [] {
             return in_place_chain(kout("src.out", {simple(mt::kKernelNonPaged, 3, 614400, 614400)}),
                                   kin("sink.in", {simple(mt::kDontCare, 3, 0, kMax)}), {in_place_dc(3)});
         },
         {.allocator = "default@f.in",
          .memory = kNonPaged,
          .framing = {614400, 3, 0},
          .notes = {R(kInPlacePipe)},
          .connection = 1}},
        {"InPlaceFilterFeedingAUserPin_IsNotJoinedIntoAPipe",
         [] {
             return in_place_chain(kout("src.out", {simple(mt::kKernelNonPaged, 2, 4096, 4096)}), app_in());
         },
         // f.out's own framing is open-ended and nothing upstream reaches it: a separate pipe,
         // into whose frames the filter copies (it cannot work in place across two pipes).
         {.allocator = "user@f.out",
          .memory = "USER",
          .framing = k4096x2,
          .rejected = {"default@f.out:" + R(kKernelAllocatorOnUserConnection)},
          .notes = {R(kDefaultFrameSize), R(kTransformCopy)},
          .copies = 1,
          .pipe = "pipe1",
          .connection = 1}},
        {"TwoMustAllocatePinsInAPipe_SplitThePipe",
         [] {
             return in_place_chain(kout("src.out", {must(simple(mt::kKernelNonPaged, 2, 4096, 4096))}),
                                   kin("sink.in", {must(simple(mt::kDontCare, 2, 0, kMax))}));
         },
         {.allocator = "default@src.out", .memory = kNonPaged, .framing = k4096x2, .notes = {R(kPipeSplit)}}},
        {"TwoMustAllocatePinsOnOneConnection_GetTwoAllocatorsAndACopy",
         [] {
             return link(cam({must(simple(mt::kKernelNonPaged, 2, 4096, 4096))}),
                         sink({must(simple(mt::kDontCare, 2, 0, kMax))}));
         },
         {.allocator = "default@cam.out",
          .memory = kNonPaged,
          .framing = k4096x2,
          .notes = {R(kTwoMustAllocate)},
          .copies = 1,
          .copy_allocator = "default@sink.in"}},
        {"InPlaceChainWithoutCommonMemory_SplitsAndCopies",
         [] {
             const FramingItem np = with_flags(simple(mt::kKernelNonPaged, 2, 0, kMax), RF::InPlaceModifier);
             return in_place_chain(kout("src.out", {simple(mt::kKernelPaged, 2, 4096, 4096)}),
                                   kin("sink.in", {simple(mt::kKernelNonPaged, 2, 0, kMax)}), {np});
         },
         {.allocator = "default@src.out",
          .memory = kPaged,
          .framing = k4096x2,
          .notes = {R(kPipeSplit), R(kNoCommonMemoryType)},
          .copies = 1,
          .copy_allocator = "default@f.in"}},
        {"InPlaceChainWithConflictingHardRanges_SplitsInsteadOfFailing",
         [] {
             return in_place_chain(kout("src.out", {hard(mt::kKernelNonPaged, 2, 1000, 2000)}),
                                   kin("sink.in", {hard(mt::kKernelNonPaged, 2, 4096, 8192, 4096)}));
         },
         {.allocator = "default@sink.in",
          .memory = kNonPaged,
          .framing = {8192, 2, 0},
          .notes = {R(kPipeSplit), R(kTransformCopy)},
          .copies = 1,
          .pipe = "pipe1",
          .connection = 1}},

        // --- 6. preference --------------------------------------------------------------------------
        {"MustAllocatePin_ItsOwnVendorAllocatorWins",
         [] {
             return link(with_allocator(cam(), vendor("up_dma")),
                         with_allocator(sink({must(simple(mt::kDontCare, 2, 0, kMax))}), vendor("sink_dma")));
         },
         {.allocator = "sink_dma@sink.in",
          .memory = "VENDOR_DMA",
          .framing = k4096x2,
          .rejected = {"up_dma@cam.out:" + R(kMustAllocateFirst),
                       "default@sink.in:" + R(kVendorOverDefault)}}},
        {"MustAllocatePinWithoutVendor_HostsTheDefaultAllocator",
         [] {
             return link(cam({must(simple(mt::kKernelNonPaged, 2, 4096, 4096))}),
                         with_allocator(sink(), vendor("sink_dma")));
         },
         {.allocator = "default@cam.out",
          .memory = kNonPaged,
          .framing = k4096x2,
          .rejected = {"sink_dma@sink.in:" + R(kMustAllocateFirst)}}},
        {"TwoValidVendors_TheUpstreamPinWins",
         [] {
             return in_place_chain(
                 with_allocator(kout("src.out", {simple(mt::kKernelNonPaged, 2, 4096, 4096)}),
                                vendor("src_dma")),
                 with_allocator(kin("sink.in", {simple(mt::kDontCare, 2, 0, kMax)}), vendor("sink_dma")));
         },
         {.allocator = "src_dma@src.out",
          .memory = "VENDOR_DMA",
          .framing = k4096x2,
          .rejected = {"sink_dma@sink.in:" + R(kUpstreamFirst), "default@f.in:" + R(kVendorOverDefault)},
          .notes = {R(kInPlacePipe)}}},
        {"InvalidUpstreamVendor_LetsTheDownstreamVendorWin",
         [] {
             return in_place_chain(
                 with_allocator(kout("src.out", {simple(mt::kKernelNonPaged, 2, 4096, 4096)}),
                                vendor("src_dma", kVendorDma, 1)),
                 with_allocator(kin("sink.in", {simple(mt::kDontCare, 2, 0, kMax)}), vendor("sink_dma")));
         },
         {.allocator = "sink_dma@sink.in",
          .memory = "VENDOR_DMA",
          .framing = k4096x2,
          .rejected = {"src_dma@src.out:" + R(kCapsMaxFrames), "default@f.in:" + R(kVendorOverDefault)},
          .notes = {R(kInPlacePipe)}}},

        // --- 7. legacy framing and missing framing ----------------------------------------------------
        {"LegacyFramingWithSystemMemory_IsConvertedToItsPoolType",
         [] { return link(legacy_out(0x2, proto::PoolType::Paged, 3, 4096, 0x3), sink()); },
         {.allocator = "default@sink.in",
          .memory = kPaged,
          .framing = {4096, 3, 0x3},
          .notes = {R(kLegacyConverted)}}},
        {"LegacyFramingWithoutSystemMemory_IsDeviceMemoryAndNeedsACopy",
         [] {
             return link(legacy_out(0x0, proto::PoolType::NonPaged, 2, 4096, 0),
                         sink({simple(mt::kKernelNonPaged, 2, 0, kMax)}));
         },
         // The default allocator makes pool memory only: the device type is passed over.
         {.allocator = "default@cam.out",
          .memory = kNonPaged,
          .framing = k4096x2,
          .notes = {R(kLegacyConverted), R(kNoCommonMemoryType), R(kDeviceMemoryPassedOver)},
          .copies = 1,
          .copy_allocator = "default@sink.in"}},
        {"DeviceMemoryFirstWithoutAVendorAllocator_DefaultAllocatorTakesTheNextPoolType",
         [] {
             return link(cam({hard(kVendorDma, 2, 4096, 4096), hard(mt::kKernelNonPaged, 2, 4096, 4096)}),
                         sink({hard(kVendorDma, 2, 0, kMax), hard(mt::kKernelNonPaged, 2, 0, kMax)}));
         },
         {.allocator = "default@sink.in",
          .memory = kNonPaged,
          .framing = k4096x2,
          .notes = {R(kDeviceMemoryPassedOver)}}},
        {"OnlyDeviceMemoryInCommonWithoutAVendorAllocator_IsDecidedAsNoCommonType",
         [] { return link(cam({hard(kVendorDma, 2, 4096, 4096)}), sink({hard(kVendorDma, 2, 0, kMax)})); },
         {.allocator = "default@cam.out",
          .memory = kNonPaged,
          .framing = k4096x2,
          .notes = {R(kDeviceMemoryPassedOver)},
          .copies = 1,
          .copy_allocator = "default@sink.in"}},
        {"PinWithoutFraming_IsTreatedAsDontCare",
         [] { return link(cam(), kin("sink.in", {})); },
         {.allocator = "default@sink.in", .memory = kNonPaged, .framing = k4096x2, .notes = {R(kNoFraming)}}},

        // --- framing transcribed from public driver samples (facts only) -------------------------
        {"AvshwsCaptureEditedToRgb24Qvga_FeedsAKernelSink",
         [] {
             return link(cam({hard(mt::kKernelNonPaged, 2, 230400, 230400, 1, 0,
                                   RF::SystemMemory | RF::PreferencesOnly)}),
                         sink());
         },
         {.allocator = "default@sink.in", .memory = kNonPaged, .framing = {230400, 2, 0}}},
        {"UsbAudioSampleZeroRange_UsesTheDefaultFrameSize",
         [] { return link(cam({simple(mt::kKernelNonPaged, 8, 0, 0, 0x3)}), app_in()); },
         {.allocator = "user@cam.out",
          .memory = "USER",
          .framing = {4096, 8, 0x3},
          .rejected = {"default@cam.out:" + R(kKernelAllocatorOnUserConnection)},
          .notes = {R(kDefaultFrameSize)}}},
        {"KsMidiPinOpenRange_UsesTheDefaultFrameSize",
         [] { return link(cam({simple(mt::kKernelNonPaged, 8, 1, kMax)}), app_in()); },
         {.allocator = "user@cam.out",
          .memory = "USER",
          .framing = {4096, 8, 0},
          .rejected = {"default@cam.out:" + R(kKernelAllocatorOnUserConnection)},
          .notes = {R(kDefaultFrameSize)}}},
    };
}

void PrintTo(const Case& c, std::ostream* os) {
    *os << c.name;
}

class RuleTable : public ::testing::TestWithParam<Case> {};

TEST_P(RuleTable, Decides) {
    const Case& c = GetParam();
    const Graph graph = c.graph();
    auto result = negotiate(graph);
    ASSERT_TRUE(result) << result.error().message;
    ASSERT_LT(c.expect.connection, result->connections.size());
    const ConnectionRecord& rec = result->connections[c.expect.connection];
    const Decision& d = result->decision(rec);
    const Expect& e = c.expect;

    EXPECT_EQ(d.status, e.status);
    EXPECT_EQ(rec.pipe, e.pipe);
    EXPECT_EQ(d.copies, e.copies);
    if (e.status == Status::Satisfied) {
        ASSERT_TRUE(d.allocator.has_value());
        EXPECT_EQ(who(*d.allocator), e.allocator);
        EXPECT_EQ(memory_type_label(d.allocator->memory_type, result->memory_types), e.memory);
        EXPECT_EQ(d.framing, e.framing);
        EXPECT_FALSE(d.failure.has_value());
        ASSERT_TRUE(d.create_request.has_value());
        EXPECT_EQ(d.create_request->frames, e.framing.frames);
        EXPECT_EQ(d.create_request->frame_size, e.framing.frame_size);
        EXPECT_EQ(d.create_request->file_alignment, e.framing.alignment_mask);
    } else {
        EXPECT_FALSE(d.allocator.has_value());
        ASSERT_TRUE(d.failure.has_value());
        EXPECT_EQ(d.failure->rule, e.failure);
        EXPECT_FALSE(d.failure->suggestion.empty()) << "a failed connection must suggest a fix";
    }
    EXPECT_EQ(d.copy_allocator ? who(*d.copy_allocator) : "", e.copy_allocator);

    std::vector<std::string> rejected, notes;
    std::size_t selected = 0;
    for (const auto& cand : d.candidates) {
        if (cand.selected) {
            ++selected;
            EXPECT_TRUE(cand.reasons.empty());
            continue;
        }
        std::string rules;
        for (const auto& r : cand.reasons) (rules += rules.empty() ? "" : ",") += r.rule;
        rejected.push_back(who(cand.allocator) + ":" + rules);
        for (const auto& r : cand.reasons) EXPECT_FALSE(r.message.empty()) << r.rule;
    }
    for (const auto& n : d.notes) notes.emplace_back(n.rule);
    EXPECT_EQ(rejected, e.rejected);
    EXPECT_EQ(notes, e.notes);
    // Exactly one allocator per side is initialized (two when the pipe copies between its own two
    // allocators; a copy made by a transform into this pipe adds none); a failed connection none.
    EXPECT_EQ(selected, e.status == Status::Failed ? 0u : (e.copy_allocator.empty() ? 1u : 2u));
}

INSTANTIATE_TEST_SUITE_P(Negotiation, RuleTable, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(NegotiationTransformCopy, OutputPipeWithSmallerFrames_CountsTheCopyAndFlagsTheTruncation) {
    // 614,400-byte frames into the in-place filter; its output faces a user pin and gets a pipe of
    // its own whose open-ended framing defaults to 4,096 bytes: the filter's copy cannot fit.
    const Graph g =
        in_place_chain(kout("src.out", {simple(mt::kKernelNonPaged, 2, 614400, 614400)}), app_in());
    auto r = negotiate(g);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    ASSERT_EQ(r->pipes.size(), 2u);
    EXPECT_EQ(r->pipes[0].decision.copies, 0u);
    const Decision& d = r->pipes[1].decision;
    EXPECT_EQ(d.copies, 1u);
    const auto note = std::find_if(d.notes.begin(), d.notes.end(),
                                   [](const Finding& f) { return f.rule == rule::kTransformCopy; });
    ASSERT_NE(note, d.notes.end());
    EXPECT_NE(std::string_view(note->message).find("truncated"), std::string_view::npos) << note->message;
    std::vector<std::string> names;
    for (const auto& v : note->values) names.emplace_back(v.name);
    EXPECT_EQ(names,
              (std::vector<std::string>{"from_pipe", "to_pipe", "input_frame_size", "output_frame_size"}));
}

TEST(NegotiationTable, CoversAtLeastFortyCasesAndEveryRejectionRule) {
    const auto all = cases();
    EXPECT_GE(all.size(), 40u);
    std::set<std::string> seen;
    for (const auto& c : all) {
        for (const auto& r : c.expect.rejected) {
            const std::string rules = r.substr(r.find(':') + 1);
            for (std::size_t start = 0; start < rules.size();) {
                const std::size_t end = std::min(rules.find(',', start), rules.size());
                seen.insert(rules.substr(start, end - start));
                start = end + 1;
            }
        }
        for (const auto& n : c.expect.notes) seen.insert(n);
        if (!c.expect.failure.empty()) seen.insert(c.expect.failure);
    }
    for (std::string_view id : rule::all())
        EXPECT_TRUE(seen.contains(std::string(id))) << id << " has no table case";
}

}  // namespace
}  // namespace ksim::negotiation::test
