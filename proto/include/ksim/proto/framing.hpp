// The KS allocator framing model: KSALLOCATOR_FRAMING_EX, KS_FRAMING_ITEM, the legacy
// KSALLOCATOR_FRAMING and the flag sets, with the real numeric values from ks.h.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "ksim/proto/bitmask.hpp"
#include "ksim/proto/guid.hpp"

namespace ksim::proto {

// KSALLOCATOR_REQUIREMENTF_* (framing query; also KS_FRAMING_ITEM.MemoryFlags).
enum class RequirementFlags : std::uint32_t {
    None = 0,
    InPlaceModifier = 0x1,
    SystemMemory = 0x2,
    FrameIntegrity = 0x4,
    MustAllocate = 0x8,
    SystemMemoryCustomAllocation = 0x10,
    PreferencesOnly = 0x80000000u,
};
template <>
struct EnableBitmask<RequirementFlags> : std::true_type {};

// KSALLOCATOR_OPTIONF_* (allocator create request). Any other bit is STATUS_INVALID_PARAMETER.
enum class OptionFlags : std::uint32_t {
    None = 0,
    Compatible = 0x1,
    SystemMemory = 0x2,
    Valid = 0x3,
};
template <>
struct EnableBitmask<OptionFlags> : std::true_type {};

// KSALLOCATOR_FLAG_* (KS_FRAMING_ITEM.Flags, pipe flags).
enum class PipeFlags : std::uint32_t {
    None = 0,
    PartialReadSupport = 0x10,
    DeviceSpecific = 0x20,
    CanAllocate = 0x40,
    InsistOnFramesizeRatio = 0x80,
    NoFrameIntegrity = 0x100,
    MultipleOutput = 0x200,
    Cycle = 0x400,
    AllocatorExists = 0x800,
    IndependentRanges = 0x1000,
    AttentionStepping = 0x2000,
    EnableCachedMdl = 0x4000,
    Buffer2dRequired = 0x8000,  // KSALLOCATOR_FLAG_2D_BUFFER_REQUIRED
};
template <>
struct EnableBitmask<PipeFlags> : std::true_type {};

// FILE_*_ALIGNMENT: alignment is a mask (bytes - 1).
namespace file_alignment {
inline constexpr std::uint32_t kByte = 0x0;
inline constexpr std::uint32_t kWord = 0x1;
inline constexpr std::uint32_t kLong = 0x3;
inline constexpr std::uint32_t kQuad = 0x7;
inline constexpr std::uint32_t kOcta = 0xF;
inline constexpr std::uint32_t k32Byte = 0x1F;
inline constexpr std::uint32_t k64Byte = 0x3F;
inline constexpr std::uint32_t k128Byte = 0x7F;
inline constexpr std::uint32_t k256Byte = 0xFF;
inline constexpr std::uint32_t k512Byte = 0x1FF;
inline constexpr std::uint32_t kPage = 0xFFF;  // PAGE_SIZE - 1 on x86/x64
}  // namespace file_alignment

inline constexpr std::uint32_t kPageSize = 4096;

// A mask is valid when it is of the form 2^n - 1.
constexpr bool is_alignment_mask(std::uint32_t mask) {
    return (mask & (mask + 1)) == 0;
}

// Flag and constant names, shared by JSON mapping, explanations and the CLI.
template <typename E>
struct FlagName {
    std::string_view name;  // short name, e.g. "INPLACE_MODIFIER"
    E value;
};
std::span<const FlagName<RequirementFlags>> requirement_flag_names();  // KSALLOCATOR_REQUIREMENTF_
std::span<const FlagName<OptionFlags>> option_flag_names();            // KSALLOCATOR_OPTIONF_
std::span<const FlagName<PipeFlags>> pipe_flag_names();                // KSALLOCATOR_FLAG_
std::span<const FlagName<std::uint32_t>> file_alignment_names();       // FILE_..._ALIGNMENT

// KS_FRAMING_RANGE. Stepping larger than Max - Min is undefined in KS; ksim rejects it.
struct FramingRange {
    std::uint32_t min_frame_size = 0;
    std::uint32_t max_frame_size = 0xFFFFFFFFu;
    std::uint32_t stepping = 1;
    friend constexpr bool operator==(const FramingRange&, const FramingRange&) = default;
};

// KS_FRAMING_RANGE_WEIGHTED. KS documents both weights as unsupported (set 0).
struct FramingRangeWeighted {
    FramingRange range{};
    std::uint32_t in_place_weight = 0;
    std::uint32_t not_in_place_weight = 0;
    friend constexpr bool operator==(const FramingRangeWeighted&, const FramingRangeWeighted&) = default;
};

// KS_COMPRESSION: output size = input * numerator / denominator + constant margin.
struct Compression {
    std::uint32_t ratio_numerator = 1;
    std::uint32_t ratio_denominator = 1;
    std::uint32_t ratio_constant_margin = 0;
    friend constexpr bool operator==(const Compression&, const Compression&) = default;
};

// KS_FRAMING_ITEM. The single KS `Flags` field carries REQUIREMENTF_* and FLAG_* bits; ksim
// keeps them apart (bit 0x10 is both REQUIREMENTF_SYSTEM_MEMORY_CUSTOM_ALLOCATION and
// FLAG_PARTIAL_READ_SUPPORT in ks.h; in an item it is read as PARTIAL_READ_SUPPORT).
struct FramingItem {
    Guid memory_type{};                                      // KSMEMORY_TYPE_*; GUID_NULL = don't care
    Guid bus_type{};                                         // GUID_BUS_TYPE_*; GUID_NULL = don't care
    RequirementFlags memory_flags = RequirementFlags::None;  // MUST_ALLOCATE = "this point allocates"
    std::uint32_t bus_flags = 0;                             // unused by KS
    RequirementFlags requirement_flags = RequirementFlags::None;
    PipeFlags pipe_flags = PipeFlags::None;
    std::uint32_t frames = 0;          // maximum outstanding frames; 0 = no requirement
    std::uint32_t file_alignment = 0;  // mask (FILE_*_ALIGNMENT)
    std::uint32_t memory_type_weight = 0;
    FramingRange physical_range{};         // hard limits
    FramingRangeWeighted framing_range{};  // optimal range

    // The raw KS_FRAMING_ITEM.Flags value.
    [[nodiscard]] constexpr std::uint32_t raw_flags() const {
        return to_underlying(requirement_flags) | to_underlying(pipe_flags);
    }
    // Splits a raw KS Flags value: REQUIREMENTF bits 0x1..0x8 and 0x80000000, FLAG bits 0x10..0x8000.
    static constexpr void split_raw_flags(std::uint32_t raw, RequirementFlags& req, PipeFlags& pipe) {
        req = static_cast<RequirementFlags>(raw & 0x8000000Fu);
        pipe = static_cast<PipeFlags>(raw & 0x0000FFF0u);
    }
    friend constexpr bool operator==(const FramingItem&, const FramingItem&) = default;
};

// KSALLOCATOR_FRAMING_EX.
struct AllocatorFramingEx {
    std::uint32_t pin_flags = 0;  // reserved, 0
    Compression output_compression{};
    std::uint32_t pin_weight = 0;  // reserved, 0
    std::vector<FramingItem> items;

    // Size of the KS structure with these items: 24 + 88 * N bytes.
    [[nodiscard]] std::size_t ks_size() const { return 24 + 88 * items.size(); }
    friend bool operator==(const AllocatorFramingEx&, const AllocatorFramingEx&) = default;
};

// A pin whose framing has an item declaring INPLACE_MODIFIER modifies frames where they are: one
// input and one output pin of a filter that both declare it are an in-place pair (one pipe).
inline bool declares_in_place(const std::optional<AllocatorFramingEx>& framing) {
    if (!framing) return false;
    for (const FramingItem& item : framing->items)
        if (has_all(item.requirement_flags, RequirementFlags::InPlaceModifier)) return true;
    return false;
}

// POOL_TYPE values KS uses in the legacy structure.
enum class PoolType : std::uint32_t { NonPaged = 0, Paged = 1 };

// KSALLOCATOR_FRAMING (legacy, stream class). The first field is a union of OptionsFlags
// (create request) and RequirementsFlags (framing query); which one is meant depends on use.
struct AllocatorFraming {
    std::uint32_t flags = 0;  // OptionsFlags | RequirementsFlags
    PoolType pool_type = PoolType::NonPaged;
    std::uint32_t frames = 0;          // 0 = no requirement
    std::uint32_t frame_size = 0;      // includes prefix/suffix; 0 = no requirement
    std::uint32_t file_alignment = 0;  // mask
    std::uint32_t reserved = 0;

    [[nodiscard]] constexpr RequirementFlags requirements() const { return RequirementFlags{flags}; }
    [[nodiscard]] constexpr OptionFlags options() const { return OptionFlags{flags}; }
    friend constexpr bool operator==(const AllocatorFraming&, const AllocatorFraming&) = default;
};

// DECLARE_SIMPLE_FRAMING_EX: one item, don't-care bus, full physical range, stepping 1,
// compression {1,1,0}, weights 0.
AllocatorFramingEx make_simple_framing(const Guid& memory_type, RequirementFlags flags, std::uint32_t frames,
                                       std::uint32_t alignment_mask, std::uint32_t min_frame_size,
                                       std::uint32_t max_frame_size);

// The conversion KsProxy applies to a pin that only answers the legacy ALLOCATORFRAMING
// property (FramingProp_Old): one item whose memory type follows PoolType and SYSTEM_MEMORY,
// with FrameSize as a fixed range. Documented in docs/framing.md.
AllocatorFramingEx to_framing_ex(const AllocatorFraming& legacy);

// The create request KsProxy builds from negotiated pipe properties
// (KsCreateAllocatorAndGetHandle): what InitializeAllocator receives.
AllocatorFraming make_create_request(std::uint32_t frames, std::uint32_t frame_size,
                                     std::uint32_t alignment_mask, const Guid& memory_type);

}  // namespace ksim::proto
