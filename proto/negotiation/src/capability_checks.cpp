#include "capability_checks.hpp"

#include <fmt/format.h>

#include "ksim/negotiation/rules.hpp"
#include "ksim/proto/align.hpp"
#include "ksim/proto/memory_types.hpp"

namespace ksim::negotiation::detail {
namespace {

using proto::AllocatorMode;
using proto::MemoryClass;

std::string label(const CheckContext& ctx, std::size_t pos, const proto::VendorAllocatorCaps& caps) {
    return fmt::format("{} of {}", caps.name, ctx.g.pins[ctx.plan.pins[pos]].id());
}

// A pin takes memory type `type` when one of its usable items lists it or don't-care, or when
// the item that applies says PREFERENCES_ONLY (its memory type is a preference, not a demand).
bool pin_accepts(const CheckContext& ctx, std::size_t pos, const proto::Guid& type) {
    const PreparedPin& pin = ctx.g.pins[ctx.plan.pins[pos]];
    const auto& items = pin.framing().items;
    if (has_all(items[ctx.request.items[pos]].requirement_flags, proto::RequirementFlags::PreferencesOnly))
        return true;
    for (const auto& item : items)
        if (bus_compatible(item, *pin.input) && (item.memory_type.is_null() || item.memory_type == type))
            return true;
    return false;
}

std::optional<Finding> check_memory_type(const CheckContext& ctx, std::size_t pos,
                                         const proto::VendorAllocatorCaps& caps) {
    if (ctx.plan.mode == ConnectionMode::User) {
        const MemoryClass cls = proto::classify_memory_type(caps.memory_type);
        if (cls == MemoryClass::User || cls == MemoryClass::System || cls == MemoryClass::DontCare)
            return std::nullopt;
        const std::string type = memory_label(ctx.g, caps.memory_type);
        return make_finding(rule::kCapsMemoryType,
                            format_record("{} allocates {} memory, which a client process may not map on a "
                                          "user-mode connection",
                                          label(ctx, pos, caps), type),
                            {{"allocator_memory_type", type}, {"required", std::string("USER")}},
                            format_record("declare memory_type USER for {}", caps.name));
    }
    for (std::size_t p : ctx.request.plan_positions) {
        if (pin_accepts(ctx, p, caps.memory_type)) continue;
        const std::string type = memory_label(ctx.g, caps.memory_type);
        const PreparedPin& pin = ctx.g.pins[ctx.plan.pins[p]];
        std::string listed;
        for (const auto& item : pin.framing().items)
            listed += (listed.empty() ? "" : ", ") + memory_label(ctx.g, item.memory_type);
        return make_finding(
            rule::kCapsMemoryType,
            format_record("{} allocates {} memory, but {} lists only {} and does not say PREFERENCES_ONLY",
                          label(ctx, pos, caps), type, pin.id(), listed),
            {{"allocator_memory_type", type}, {"pin", pin.id()}, {"pin_memory_types", listed}},
            format_record("add a {} framing item to {} or set PREFERENCES_ONLY on it", type, pin.id()));
    }
    return std::nullopt;
}

}  // namespace

std::optional<Finding> check_mode(const CheckContext& ctx, std::size_t provider_pos,
                                  const proto::VendorAllocatorCaps& caps) {
    if (ctx.plan.mode == ConnectionMode::User && caps.mode == AllocatorMode::Kernel) {
        std::string user_pins;
        for (std::size_t p : ctx.plan.pins)
            if (!ctx.g.pins[p].kernel()) {
                if (!user_pins.empty()) user_pins += ", ";
                user_pins += ctx.g.pins[p].id();
            }
        RecordString message = format_record(
            "{} of {} is a kernel-mode allocator and the connection is user mode ({} is hosted in user "
            "mode); "
            "kernel memory never reaches a user-mode pin, so InitializeAllocator is not called",
            caps.name, ctx.g.pins[ctx.plan.pins[provider_pos]].id(), user_pins);
        RecordString suggestion =
            format_record("host {} in kernel mode to allow the vendor allocator {}", user_pins, caps.name);
        // Built by moves: an initializer list would copy every string.
        RecordVector<ComparedValue> values;
        values.reserve(3);
        values.push_back({"connection_mode", std::string("user")});
        values.push_back({"allocator_mode", std::string("kernel")});
        values.push_back({"user_hosted_pins", std::move(user_pins)});
        return make_finding(rule::kKernelAllocatorOnUserConnection, std::move(message), std::move(values),
                            std::move(suggestion));
    }
    // Formatted only when a rule fires: most allocators pass.
    auto who = [&] { return label(ctx, provider_pos, caps); };
    if (ctx.plan.mode == ConnectionMode::Kernel && caps.mode == AllocatorMode::User)
        return make_finding(
            rule::kUserAllocatorOnKernelConnection,
            format_record("{} is a user-mode allocator and every pin of the pipe is kernel-hosted; "
                          "a kernel pipe is served by a kernel-mode allocator",
                          who()),
            {{"connection_mode", std::string("kernel")}, {"allocator_mode", std::string("user")}},
            format_record("declare {} with mode kernel", caps.name));
    const PreparedPin& upstream = ctx.g.pins[ctx.plan.pins.front()];
    if (ctx.plan.mode == ConnectionMode::User && !upstream.kernel() && provider_pos != 0)
        return make_finding(
            rule::kUpstreamUserPinAllocates,
            format_record("{} belongs to a downstream pin, but the upstream pin {} is user-hosted and "
                          "supplies the allocator unconditionally (KsProxy input pins return "
                          "VFW_E_NO_ALLOCATOR)",
                          who(), upstream.id()),
            {{"upstream_pin", upstream.id()}, {"upstream_hosting", std::string("user")}},
            format_record("offer {} on {} instead", caps.name, upstream.id()));
    return std::nullopt;
}

RecordVector<Finding> check_capabilities(const CheckContext& ctx, std::size_t pos,
                                         const proto::VendorAllocatorCaps& caps) {
    RecordVector<Finding> out;
    auto who = [&] { return label(ctx, pos, caps); };  // formatted only when a rule fires
    const ResultFraming& f = ctx.framing;
    if (auto memory = check_memory_type(ctx, pos, caps)) out.push_back(std::move(*memory));
    if (caps.max_frames != 0 && f.frames > caps.max_frames)
        out.push_back(make_finding(
            rule::kCapsMaxFrames,
            format_record("the pipe needs {} frames and {} can provide at most {}", f.frames, who(),
                          caps.max_frames),
            {{"required_frames", std::uint64_t{f.frames}}, {"max_frames", std::uint64_t{caps.max_frames}}},
            format_record("raise max_frames of {} to >= {}", caps.name, f.frames)));
    if (f.frame_size < caps.min_frame_size || f.frame_size > caps.max_frame_size)
        out.push_back(make_finding(
            rule::kCapsFrameSize,
            format_record("the pipe needs {}-byte frames and {} allocates {}..{} bytes", f.frame_size, who(),
                          caps.min_frame_size, caps.max_frame_size),
            {{"frame_size", std::uint64_t{f.frame_size}},
             {"allocator_min", std::uint64_t{caps.min_frame_size}},
             {"allocator_max", std::uint64_t{caps.max_frame_size}}},
            f.frame_size > caps.max_frame_size
                ? format_record("raise max_frame_size of {} to >= {}", caps.name, f.frame_size)
                : format_record("lower min_frame_size of {} to <= {}", caps.name, f.frame_size)));
    if ((f.alignment_mask & ~caps.alignment_mask) != 0)
        out.push_back(make_finding(
            rule::kCapsAlignment,
            format_record(
                "the pipe needs {}-byte alignment (mask 0x{:X}) and {} aligns to {} bytes (mask 0x{:X})",
                std::uint64_t{f.alignment_mask} + 1, f.alignment_mask, who(),
                std::uint64_t{caps.alignment_mask} + 1, caps.alignment_mask),
            {{"required_alignment_mask", std::uint64_t{f.alignment_mask}},
             {"allocator_alignment_mask", std::uint64_t{caps.alignment_mask}}},
            format_record("raise the alignment of {} to mask >= 0x{:X}", caps.name, f.alignment_mask)));
    if (!caps.contiguous) {
        const std::uint64_t segment = caps.max_segment_bytes == 0 ? proto::kPageSize : caps.max_segment_bytes;
        const std::uint64_t needed = (std::uint64_t{f.frame_size} + segment - 1) / segment;
        if (!caps.scatter_gather)
            out.push_back(make_finding(
                rule::kCapsContiguity,
                format_record("{} gives neither physically contiguous frames nor scatter/gather lists",
                              who()),
                {{"contiguous", std::string("false")}, {"scatter_gather", std::string("false")}},
                format_record("make {} contiguous or scatter_gather", caps.name)));
        else if (needed > caps.max_sg_entries)
            out.push_back(make_finding(
                rule::kCapsContiguity,
                format_record("a {}-byte frame needs {} scatter/gather entries of <= {} bytes; {} allows {}",
                              f.frame_size, needed, segment, who(), caps.max_sg_entries),
                {{"frame_size", std::uint64_t{f.frame_size}},
                 {"sg_entries_needed", needed},
                 {"max_sg_entries", std::uint64_t{caps.max_sg_entries}},
                 {"max_segment_bytes", segment}},
                format_record("raise max_sg_entries of {} to >= {}", caps.name, needed)));
    }
    if (caps.boundary != 0 && f.frame_size > caps.boundary)
        out.push_back(make_finding(
            rule::kCapsBoundary,
            format_record("a {}-byte frame cannot avoid crossing the {}-byte boundary of {}", f.frame_size,
                          caps.boundary, who()),
            {{"frame_size", std::uint64_t{f.frame_size}}, {"boundary", std::uint64_t{caps.boundary}}},
            format_record("raise boundary of {} to >= {} (or 0)", caps.name, f.frame_size)));
    const std::uint64_t span = caps.physical_limit - caps.physical_base;
    const std::uint64_t window = caps.physical_limit < caps.physical_base ? 0
                                 : span == UINT64_MAX                     ? UINT64_MAX
                                                                          : span + 1;
    const std::uint64_t needed_bytes =
        std::uint64_t{f.frames} * proto::round_up_to(f.frame_size, std::uint64_t{caps.alignment_mask} + 1);
    if (needed_bytes > window)
        out.push_back(make_finding(
            rule::kCapsPhysicalWindow,
            format_record("{} frames of {} bytes need {} bytes and the physical window of {} holds {}",
                          f.frames, f.frame_size, needed_bytes, who(), window),
            {{"needed_bytes", needed_bytes}, {"window_bytes", window}},
            format_record("widen the physical_window of {} to >= {} bytes", caps.name, needed_bytes)));
    return out;
}

}  // namespace ksim::negotiation::detail
