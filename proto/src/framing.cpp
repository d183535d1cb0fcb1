#include "ksim/proto/framing.hpp"

#include <array>

#include "ksim/proto/memory_types.hpp"

namespace ksim::proto {
namespace {

using R = RequirementFlags;
constexpr std::array kRequirementNames{
    FlagName<R>{"INPLACE_MODIFIER", R::InPlaceModifier},
    FlagName<R>{"SYSTEM_MEMORY", R::SystemMemory},
    FlagName<R>{"FRAME_INTEGRITY", R::FrameIntegrity},
    FlagName<R>{"MUST_ALLOCATE", R::MustAllocate},
    FlagName<R>{"SYSTEM_MEMORY_CUSTOM_ALLOCATION", R::SystemMemoryCustomAllocation},
    FlagName<R>{"PREFERENCES_ONLY", R::PreferencesOnly},
};

using O = OptionFlags;
constexpr std::array kOptionNames{
    FlagName<O>{"COMPATIBLE", O::Compatible},
    FlagName<O>{"SYSTEM_MEMORY", O::SystemMemory},
};

using P = PipeFlags;
constexpr std::array kPipeNames{
    FlagName<P>{"PARTIAL_READ_SUPPORT", P::PartialReadSupport},
    FlagName<P>{"DEVICE_SPECIFIC", P::DeviceSpecific},
    FlagName<P>{"CAN_ALLOCATE", P::CanAllocate},
    FlagName<P>{"INSIST_ON_FRAMESIZE_RATIO", P::InsistOnFramesizeRatio},
    FlagName<P>{"NO_FRAME_INTEGRITY", P::NoFrameIntegrity},
    FlagName<P>{"MULTIPLE_OUTPUT", P::MultipleOutput},
    FlagName<P>{"CYCLE", P::Cycle},
    FlagName<P>{"ALLOCATOR_EXISTS", P::AllocatorExists},
    FlagName<P>{"INDEPENDENT_RANGES", P::IndependentRanges},
    FlagName<P>{"ATTENTION_STEPPING", P::AttentionStepping},
    FlagName<P>{"ENABLE_CACHED_MDL", P::EnableCachedMdl},
    FlagName<P>{"2D_BUFFER_REQUIRED", P::Buffer2dRequired},
};

namespace fa = file_alignment;
constexpr std::array kAlignmentNames{
    FlagName<std::uint32_t>{"FILE_BYTE_ALIGNMENT", fa::kByte},
    FlagName<std::uint32_t>{"FILE_WORD_ALIGNMENT", fa::kWord},
    FlagName<std::uint32_t>{"FILE_LONG_ALIGNMENT", fa::kLong},
    FlagName<std::uint32_t>{"FILE_QUAD_ALIGNMENT", fa::kQuad},
    FlagName<std::uint32_t>{"FILE_OCTA_ALIGNMENT", fa::kOcta},
    FlagName<std::uint32_t>{"FILE_32_BYTE_ALIGNMENT", fa::k32Byte},
    FlagName<std::uint32_t>{"FILE_64_BYTE_ALIGNMENT", fa::k64Byte},
    FlagName<std::uint32_t>{"FILE_128_BYTE_ALIGNMENT", fa::k128Byte},
    FlagName<std::uint32_t>{"FILE_256_BYTE_ALIGNMENT", fa::k256Byte},
    FlagName<std::uint32_t>{"FILE_512_BYTE_ALIGNMENT", fa::k512Byte},
    FlagName<std::uint32_t>{"PAGE_ALIGNMENT", fa::kPage},
};

}  // namespace

std::span<const FlagName<RequirementFlags>> requirement_flag_names() {
    return kRequirementNames;
}
std::span<const FlagName<OptionFlags>> option_flag_names() {
    return kOptionNames;
}
std::span<const FlagName<PipeFlags>> pipe_flag_names() {
    return kPipeNames;
}
std::span<const FlagName<std::uint32_t>> file_alignment_names() {
    return kAlignmentNames;
}

AllocatorFramingEx make_simple_framing(const Guid& memory_type, RequirementFlags flags, std::uint32_t frames,
                                       std::uint32_t alignment_mask, std::uint32_t min_frame_size,
                                       std::uint32_t max_frame_size) {
    FramingItem item;
    item.memory_type = memory_type;
    item.requirement_flags = flags;
    item.frames = frames;
    item.file_alignment = alignment_mask;
    item.framing_range.range = {min_frame_size, max_frame_size, 1};
    AllocatorFramingEx ex;
    ex.items.push_back(item);
    return ex;
}

AllocatorFramingEx to_framing_ex(const AllocatorFraming& legacy) {
    const RequirementFlags req = legacy.requirements();
    // SYSTEM_MEMORY says the pool type is meaningful; without it the pin maps device memory
    // and ksim records the memory type KS uses for "did not specify".
    Guid memory = memory_type::kDeviceUnknown;
    if (has_all(req, RequirementFlags::SystemMemory))
        memory =
            legacy.pool_type == PoolType::Paged ? memory_type::kKernelPaged : memory_type::kKernelNonPaged;
    FramingItem item;
    item.memory_type = memory;
    item.requirement_flags = req;
    item.frames = legacy.frames;
    item.file_alignment = legacy.file_alignment;
    if (legacy.frame_size != 0) {
        item.physical_range = {legacy.frame_size, legacy.frame_size, 1};
        item.framing_range.range = {legacy.frame_size, legacy.frame_size, 1};
    }
    AllocatorFramingEx ex;
    ex.items.push_back(item);
    return ex;
}

AllocatorFraming make_create_request(std::uint32_t frames, std::uint32_t frame_size,
                                     std::uint32_t alignment_mask, const Guid& memory_type) {
    AllocatorFraming f;
    f.flags = to_underlying(OptionFlags::SystemMemory);
    f.pool_type = memory_type == memory_type::kKernelPaged ? PoolType::Paged : PoolType::NonPaged;
    f.frames = frames;
    f.frame_size = frame_size;
    f.file_alignment = alignment_mask;
    return f;
}

}  // namespace ksim::proto
