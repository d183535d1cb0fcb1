#include "ksim/proto/framing_json.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "config_reader.hpp"
#include "framing_config.hpp"
#include "ksim/proto/memory_types.hpp"
#include "ksim/proto/topology_loader.hpp"

namespace ksim::proto {
namespace {

// Runs a diagnosing reader on `j` and turns the first diagnostic into an exception.
template <typename T, typename ReadFn>
T strict(const nlohmann::json& j, ReadFn read) {
    Diagnostics diags;
    detail::PositionIndex none("");
    detail::ConfigReader reader("json", none, diags);
    std::optional<T> value = read(reader, j, std::string());
    if (!diags.empty()) {
        const Diagnostic& d = diags.front();
        throw std::invalid_argument(
            fmt::format("{}: {} [{}]; {}", d.pointer.empty() ? "/" : d.pointer, d.message, d.rule, d.hint));
    }
    if (!value) throw std::invalid_argument("invalid value");
    return *value;
}

template <typename E>
void append_names(nlohmann::json& out, std::uint32_t& bits, std::span<const FlagName<E>> names) {
    for (const auto& n : names) {
        auto v = static_cast<std::uint32_t>(n.value);
        if (v != 0 && (bits & v) == v) {
            out.push_back(std::string(n.name));
            bits &= ~v;
        }
    }
}

nlohmann::json memory_type_to_json(const Guid& g) {
    if (auto n = memory_type_name(g)) return std::string(*n);
    return g.to_string();
}

}  // namespace

void to_json(nlohmann::json& j, const Guid& g) {
    j = g.to_string();
}
void from_json(const nlohmann::json& j, Guid& g) {
    auto parsed = j.is_string() ? Guid::parse(j.get<std::string>()) : std::nullopt;
    if (!parsed) throw std::invalid_argument(fmt::format("{} is not a GUID string", json_preview(j)));
    g = *parsed;
}

nlohmann::json requirement_flags_to_json(RequirementFlags f) {
    nlohmann::json out = nlohmann::json::array();
    std::uint32_t bits = to_underlying(f);
    append_names(out, bits, requirement_flag_names());
    if (bits) out.push_back(bits);
    return out;
}

nlohmann::json item_flags_to_json(std::uint32_t raw) {
    nlohmann::json out = nlohmann::json::array();
    std::uint32_t req = raw & 0x8000000Fu, pipe = raw & 0x0000FFF0u, rest = raw & ~0x8000FFFFu;
    append_names(out, req, requirement_flag_names());
    append_names(out, pipe, pipe_flag_names());
    if (req | pipe | rest) out.push_back(req | pipe | rest);
    return out;
}

nlohmann::json legacy_flags_to_json(std::uint32_t flags) {
    return requirement_flags_to_json(RequirementFlags{flags});
}

nlohmann::json alignment_to_json(std::uint32_t mask) {
    for (const auto& a : file_alignment_names())
        if (a.value == mask) return std::string(a.name);
    return mask;
}

void to_json(nlohmann::json& j, const FramingRange& r) {
    j = {{"min", r.min_frame_size}, {"max", r.max_frame_size}, {"stepping", r.stepping}};
}
void from_json(const nlohmann::json& j, FramingRange& r) {
    r = strict<FramingRange>(j, detail::read_range);
}

void to_json(nlohmann::json& j, const FramingRangeWeighted& r) {
    to_json(j, r.range);
    j["in_place_weight"] = r.in_place_weight;
    j["not_in_place_weight"] = r.not_in_place_weight;
}
void from_json(const nlohmann::json& j, FramingRangeWeighted& r) {
    r = strict<FramingRangeWeighted>(j, detail::read_weighted_range);
}

void to_json(nlohmann::json& j, const Compression& c) {
    j = {{"numerator", c.ratio_numerator},
         {"denominator", c.ratio_denominator},
         {"constant_margin", c.ratio_constant_margin}};
}
void from_json(const nlohmann::json& j, Compression& c) {
    c = strict<Compression>(j, detail::read_compression);
}

void to_json(nlohmann::json& j, const FramingItem& item) {
    nlohmann::json bus = bus_type_name(item.bus_type)
                             ? nlohmann::json(std::string(*bus_type_name(item.bus_type)))
                             : nlohmann::json(item.bus_type.to_string());
    j = {{"memory_type", memory_type_to_json(item.memory_type)},
         {"bus_type", bus},
         {"memory_flags", item_flags_to_json(to_underlying(item.memory_flags))},
         {"bus_flags", item.bus_flags},
         {"flags", item_flags_to_json(item.raw_flags())},
         {"frames", item.frames},
         {"alignment", alignment_to_json(item.file_alignment)},
         {"memory_type_weight", item.memory_type_weight},
         {"physical_range", item.physical_range},
         {"framing_range", item.framing_range}};
}
void from_json(const nlohmann::json& j, FramingItem& item) {
    item = strict<FramingItem>(j, detail::read_framing_item);
}

void to_json(nlohmann::json& j, const AllocatorFramingEx& f) {
    j = {{"pin_flags", f.pin_flags},
         {"output_compression", f.output_compression},
         {"pin_weight", f.pin_weight},
         {"items", f.items}};
}
void from_json(const nlohmann::json& j, AllocatorFramingEx& f) {
    f = strict<AllocatorFramingEx>(j, detail::read_framing);
}

void to_json(nlohmann::json& j, const AllocatorFraming& f) {
    j = {{"flags", legacy_flags_to_json(f.flags)},
         {"pool_type", f.pool_type == PoolType::Paged ? "PagedPool" : "NonPagedPool"},
         {"frames", f.frames},
         {"frame_size", f.frame_size},
         {"alignment", alignment_to_json(f.file_alignment)}};
}
void from_json(const nlohmann::json& j, AllocatorFraming& f) {
    f = strict<AllocatorFraming>(j, detail::read_legacy_framing);
}

void to_json(nlohmann::json& j, const VendorAllocatorCaps& a) {
    j = {{"name", a.name},
         {"mode", a.mode == AllocatorMode::Kernel ? "kernel" : "user"},
         {"memory_type", memory_type_to_json(a.memory_type)},
         {"min_frame_size", a.min_frame_size},
         {"max_frame_size", a.max_frame_size},
         {"max_frames", a.max_frames},
         {"alignment", alignment_to_json(a.alignment_mask)},
         {"contiguous", a.contiguous},
         {"scatter_gather", a.scatter_gather},
         {"max_sg_entries", a.max_sg_entries},
         {"max_segment_bytes", a.max_segment_bytes},
         {"physical_window", {fmt::format("{:#x}", a.physical_base), fmt::format("{:#x}", a.physical_limit)}},
         {"boundary", a.boundary}};
}
void from_json(const nlohmann::json& j, VendorAllocatorCaps& a) {
    a = strict<VendorAllocatorCaps>(j, detail::read_allocator);
}

}  // namespace ksim::proto
