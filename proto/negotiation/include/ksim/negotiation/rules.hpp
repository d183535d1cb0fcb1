// Stable rule ids used in decision records (documented with examples in docs/negotiation.md).
// Never rename one: tests, goldens and users' CI scripts match on them.
#pragma once

#include <span>
#include <string_view>

namespace ksim::negotiation::rule {

// Connection mode (who may allocate).
inline constexpr std::string_view kKernelAllocatorOnUserConnection =
    "mode.kernel-allocator-on-user-connection";
inline constexpr std::string_view kUserAllocatorOnKernelConnection =
    "mode.user-allocator-on-kernel-connection";
inline constexpr std::string_view kUpstreamUserPinAllocates = "mode.upstream-user-pin-allocates";
// Memory type walk.
inline constexpr std::string_view kNoCommonMemoryType = "memory.no-common-type";
inline constexpr std::string_view kBusMismatch = "memory.bus-mismatch";
inline constexpr std::string_view kDontCareDefault = "memory.dont-care-default";
inline constexpr std::string_view kDeviceMemoryPassedOver = "memory.device-type-passed-over";
// Frame size.
inline constexpr std::string_view kPhysicalEmpty = "range.physical-empty";
inline constexpr std::string_view kOptimalEmptyFallback = "range.optimal-empty-fallback";
inline constexpr std::string_view kDefaultFrameSize = "range.default-frame-size";
inline constexpr std::string_view kCompression = "range.compression";
inline constexpr std::string_view kDefaultFrames = "frames.default";
// Capabilities of a candidate allocator.
inline constexpr std::string_view kCapsMemoryType = "caps.memory-type";
inline constexpr std::string_view kCapsMaxFrames = "caps.max-frames";
inline constexpr std::string_view kCapsFrameSize = "caps.frame-size";
inline constexpr std::string_view kCapsAlignment = "caps.alignment";
inline constexpr std::string_view kCapsContiguity = "caps.contiguity";
inline constexpr std::string_view kCapsBoundary = "caps.boundary";
inline constexpr std::string_view kCapsPhysicalWindow = "caps.physical-window";
// Pipes.
inline constexpr std::string_view kInPlacePipe = "pipe.in-place";
inline constexpr std::string_view kTwoMustAllocate = "pipe.two-must-allocate";
inline constexpr std::string_view kPipeSplit = "pipe.split";
inline constexpr std::string_view kTransformCopy = "pipe.transform-copy";
// Preference among valid candidates.
inline constexpr std::string_view kMustAllocateFirst = "preference.must-allocate-first";
inline constexpr std::string_view kUpstreamFirst = "preference.upstream-first";
inline constexpr std::string_view kVendorOverDefault = "preference.vendor-over-default";
// Framing property of a pin.
inline constexpr std::string_view kLegacyConverted = "framing.legacy-converted";
inline constexpr std::string_view kNoFraming = "framing.none";

// Every id above, for documentation checks.
std::span<const std::string_view> all();

// What only a commit can get wrong (check_commit, commit_check.hpp). A forged or stale commit is
// also refused by the negotiation rules above where one applies (mode.*, caps.*).
inline constexpr std::string_view kCommitUnknownConnection = "commit.unknown-connection";
inline constexpr std::string_view kCommitPartialPipe = "commit.partial-pipe";
inline constexpr std::string_view kCommitSpansPipes = "commit.spans-pipes";
inline constexpr std::string_view kCommitMalformed = "commit.malformed";
inline constexpr std::string_view kCommitProviderOutsidePipe = "commit.provider-outside-pipe";
inline constexpr std::string_view kCommitNoVendorAllocator = "commit.no-vendor-allocator";
inline constexpr std::string_view kCommitFrameSizeOutsideRange = "commit.frame-size-outside-range";
inline constexpr std::string_view kCommitTooFewFrames = "commit.too-few-frames";
inline constexpr std::string_view kCommitAlignmentTooWeak = "commit.alignment-too-weak";
inline constexpr std::string_view kCommitKernelMemoryOnUserPipe = "commit.kernel-memory-on-user-pipe";
inline constexpr std::string_view kCommitDefaultAllocatorPoolOnly = "commit.default-allocator-pool-only";

// Every commit.* id above, for documentation and coverage checks.
std::span<const std::string_view> commit_rules();

}  // namespace ksim::negotiation::rule
