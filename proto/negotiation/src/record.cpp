// Small helpers on records and the text helpers shared by the engine's stages.
#include "ksim/negotiation/record.hpp"

#include <fmt/format.h>

#include <array>

#include "engine.hpp"
#include "ksim/negotiation/rules.hpp"
#include "ksim/proto/memory_types.hpp"

namespace ksim::negotiation {

NegotiationResult::NegotiationResult(const NegotiationResult& other)
    : topology(other.topology),
      connections(other.connections),
      pipes(other.pipes),
      memory_types(other.memory_types) {}

NegotiationResult& NegotiationResult::operator=(NegotiationResult other) noexcept {
    // The allocators propagate on swap, so each vector moves together with its storage; the old
    // records are destroyed with `other`, before the arena they live in (declared first).
    storage.swap(other.storage);
    topology.swap(other.topology);
    connections.swap(other.connections);
    pipes.swap(other.pipes);
    memory_types.swap(other.memory_types);
    return *this;
}

bool NegotiationResult::all_satisfied() const {
    for (const auto& p : pipes)
        if (p.decision.status != Status::Satisfied) return false;
    return true;
}

bool operator==(const NegotiationResult& a, const NegotiationResult& b) {
    if (a.topology != b.topology || a.connections != b.connections || a.pipes != b.pipes) return false;
    if (a.memory_types.size() != b.memory_types.size()) return false;
    for (std::size_t i = 0; i < a.memory_types.size(); ++i)
        if (a.memory_types[i].name != b.memory_types[i].name ||
            a.memory_types[i].guid != b.memory_types[i].guid)
            return false;
    return true;
}

std::string_view to_string(ConnectionMode m) {
    return m == ConnectionMode::Kernel ? "kernel" : "user";
}

std::string_view to_string(Status s) {
    return s == Status::Satisfied ? "satisfied" : "failed";
}

std::string memory_type_label(const proto::Guid& g, const std::vector<proto::CustomMemoryType>& custom) {
    if (auto name = proto::memory_type_name(g)) return std::string(*name);
    for (const auto& c : custom)
        if (c.guid == g) return c.name;
    return g.to_string();
}

namespace rule {
namespace {
constexpr std::array kAll{
    kKernelAllocatorOnUserConnection,
    kUserAllocatorOnKernelConnection,
    kUpstreamUserPinAllocates,
    kNoCommonMemoryType,
    kBusMismatch,
    kDontCareDefault,
    kDeviceMemoryPassedOver,
    kPhysicalEmpty,
    kOptimalEmptyFallback,
    kDefaultFrameSize,
    kCompression,
    kDefaultFrames,
    kCapsMemoryType,
    kCapsMaxFrames,
    kCapsFrameSize,
    kCapsAlignment,
    kCapsContiguity,
    kCapsBoundary,
    kCapsPhysicalWindow,
    kInPlacePipe,
    kTwoMustAllocate,
    kPipeSplit,
    kTransformCopy,
    kMustAllocateFirst,
    kUpstreamFirst,
    kVendorOverDefault,
    kLegacyConverted,
    kNoFraming,
};
constexpr std::array kCommit{
    kCommitUnknownConnection,
    kCommitPartialPipe,
    kCommitSpansPipes,
    kCommitMalformed,
    kCommitProviderOutsidePipe,
    kCommitNoVendorAllocator,
    kCommitFrameSizeOutsideRange,
    kCommitTooFewFrames,
    kCommitAlignmentTooWeak,
    kCommitKernelMemoryOnUserPipe,
    kCommitDefaultAllocatorPoolOnly,
};
}  // namespace
std::span<const std::string_view> all() {
    return kAll;
}
std::span<const std::string_view> commit_rules() {
    return kCommit;
}
}  // namespace rule

namespace detail {

std::string describe_range(const proto::FramingRange& r) {
    if (r.min_frame_size == r.max_frame_size) return std::to_string(r.min_frame_size);
    return fmt::format("{}..{} (stepping {})", r.min_frame_size, r.max_frame_size, r.stepping);
}

std::string memory_label(const PreparedGraph& g, const proto::Guid& memory_type) {
    return memory_type_label(memory_type, g.graph->memory_types);
}

RecordString vformat_record(fmt::string_view format, fmt::format_args args) {
    fmt::memory_buffer buffer;
    fmt::vformat_to(std::back_inserter(buffer), format, args);
    return RecordString(buffer.data(), buffer.size());
}

Finding make_finding(std::string_view rule, RecordString message, RecordVector<ComparedValue> values,
                     RecordString suggestion) {
    return Finding{rule, std::move(message), std::move(values), std::move(suggestion)};
}

}  // namespace detail
}  // namespace ksim::negotiation
