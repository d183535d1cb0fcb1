#include "framing_config.hpp"

#include <fmt/format.h>

#include "ksim/proto/memory_types.hpp"

namespace ksim::proto::detail {
namespace {

// min <= max, and a stepping that walks from min to max exactly.
bool check_span(ConfigReader& r, const std::string& ptr, std::uint64_t min, std::uint64_t max,
                std::optional<std::uint32_t> stepping, std::string_view min_key, std::string_view max_key) {
    if (min > max) {
        r.report(child(ptr, min_key), "range.min-gt-max",
                 fmt::format("{} {} is greater than {} {}", min_key, min, max_key, max),
                 fmt::format("{} <= {}", min_key, max_key));
        return false;
    }
    if (!stepping || min == max) return true;
    std::uint64_t span = max - min;
    std::string sp = child(ptr, "stepping");
    if (*stepping == 0) {
        r.report(sp, "range.stepping", fmt::format("stepping 0 cannot walk the span {}..{}", min, max),
                 "a stepping >= 1 that divides max - min");
        return false;
    }
    if (*stepping > span || span % *stepping != 0) {
        r.report(sp, "range.stepping",
                 fmt::format("stepping {} {} the span {} (= {} - {})", *stepping,
                             *stepping > span ? "is larger than" : "does not divide", span, max, min),
                 "a stepping that divides max - min, e.g. 1");
        return false;
    }
    return true;
}

bool check_frames(ConfigReader& r, const std::string& ptr, std::uint32_t frames, bool zero_allowed) {
    if (frames == 0 && !zero_allowed) {
        r.report(ptr, "frames.zero", "frame count 0 leaves the pin no frame to stream",
                 "at least 1 frame (2 or more to keep a queue)");
        return false;
    }
    if (frames > kMaxSaneFrames) {
        r.report(ptr, "frames.absurd", fmt::format("frame count {} is absurd", frames),
                 fmt::format("at most {} frames", kMaxSaneFrames));
        return false;
    }
    return true;
}

}  // namespace

std::optional<FramingRange> read_range(ConfigReader& r, const json& v, const std::string& ptr) {
    std::size_t before = r.error_count();
    if (!r.object(v, ptr, {"min", "max", "stepping"})) return std::nullopt;
    FramingRange out;
    if (auto x = r.u32(v, ptr, "min")) out.min_frame_size = *x;
    if (auto x = r.u32(v, ptr, "max")) out.max_frame_size = *x;
    auto step = r.u32(v, ptr, "stepping");
    if (step) out.stepping = *step;
    if (r.error_count() != before) return std::nullopt;
    if (!check_span(r, ptr, out.min_frame_size, out.max_frame_size, step, "min", "max")) return std::nullopt;
    return out;
}

std::optional<FramingRangeWeighted> read_weighted_range(ConfigReader& r, const json& v,
                                                        const std::string& ptr) {
    std::size_t before = r.error_count();
    if (!r.object(v, ptr, {"min", "max", "stepping", "in_place_weight", "not_in_place_weight"}))
        return std::nullopt;
    json plain = json::object();
    for (auto key : {"min", "max", "stepping"})
        if (v.contains(key)) plain[key] = v[key];
    FramingRangeWeighted out;
    auto range = read_range(r, plain, ptr);
    if (range) out.range = *range;
    if (auto x = r.u32(v, ptr, "in_place_weight")) out.in_place_weight = *x;
    if (auto x = r.u32(v, ptr, "not_in_place_weight")) out.not_in_place_weight = *x;
    if (r.error_count() != before) return std::nullopt;
    return out;
}

std::optional<Compression> read_compression(ConfigReader& r, const json& v, const std::string& ptr) {
    std::size_t before = r.error_count();
    if (!r.object(v, ptr, {"numerator", "denominator", "constant_margin"})) return std::nullopt;
    Compression out;
    if (auto x = r.u32(v, ptr, "numerator")) out.ratio_numerator = *x;
    if (auto x = r.u32(v, ptr, "denominator")) out.ratio_denominator = *x;
    if (auto x = r.u32(v, ptr, "constant_margin")) out.ratio_constant_margin = *x;
    if (r.error_count() != before) return std::nullopt;
    if (out.ratio_denominator == 0) {
        r.report(child(ptr, "denominator"), "compression.denominator-zero", "compression denominator is 0",
                 "a denominator >= 1 ({\"numerator\": 1, \"denominator\": 1} = no compression)");
        return std::nullopt;
    }
    return out;
}

std::optional<FramingItem> read_framing_item(ConfigReader& r, const json& v, const std::string& ptr) {
    std::size_t before = r.error_count();
    if (!r.object(v, ptr,
                  {"memory_type", "bus_type", "memory_flags", "bus_flags", "flags", "frames", "alignment",
                   "memory_type_weight", "physical_range", "framing_range"}))
        return std::nullopt;
    FramingItem item;
    if (v.contains("memory_type"))
        if (auto g = r.memory_type(v["memory_type"], child(ptr, "memory_type"))) item.memory_type = *g;
    if (v.contains("bus_type"))
        if (auto g = r.bus_type(v["bus_type"], child(ptr, "bus_type"))) item.bus_type = *g;
    if (v.contains("memory_flags"))
        if (auto f = r.item_flags(v["memory_flags"], child(ptr, "memory_flags")))
            item.memory_flags = RequirementFlags{*f};
    if (auto x = r.u32(v, ptr, "bus_flags")) item.bus_flags = *x;
    if (v.contains("flags"))
        if (auto f = r.item_flags(v["flags"], child(ptr, "flags")))
            FramingItem::split_raw_flags(*f, item.requirement_flags, item.pipe_flags);
    if (auto x = r.u32(v, ptr, "frames"))
        if (check_frames(r, child(ptr, "frames"), *x, true)) item.frames = *x;
    if (v.contains("alignment"))
        if (auto a = r.alignment(v["alignment"], child(ptr, "alignment"))) item.file_alignment = *a;
    if (auto x = r.u32(v, ptr, "memory_type_weight")) item.memory_type_weight = *x;
    if (v.contains("physical_range"))
        if (auto x = read_range(r, v["physical_range"], child(ptr, "physical_range")))
            item.physical_range = *x;
    if (v.contains("framing_range"))
        if (auto x = read_weighted_range(r, v["framing_range"], child(ptr, "framing_range")))
            item.framing_range = *x;
    if (r.error_count() != before) return std::nullopt;
    return item;
}

std::optional<AllocatorFramingEx> read_framing(ConfigReader& r, const json& v, const std::string& ptr) {
    std::size_t before = r.error_count();
    if (!r.object(v, ptr, {"simple", "items", "output_compression", "pin_flags", "pin_weight"}))
        return std::nullopt;
    if (v.contains("simple") == v.contains("items")) {
        r.report(ptr, "framing.shape", "framing needs exactly one of \"simple\" or \"items\"",
                 "{\"simple\": {...}} for one item, or {\"items\": [...]}");
        return std::nullopt;
    }
    AllocatorFramingEx out;
    if (v.contains("simple")) {
        const json& s = v["simple"];
        std::string sp = child(ptr, "simple");
        if (!r.object(s, sp,
                      {"memory_type", "flags", "frames", "alignment", "min_frame_size", "max_frame_size"},
                      {"memory_type", "frames"}))
            return std::nullopt;
        Guid memory{};
        std::uint32_t flags = 0, frames = 0, alignment = 0, min = 0, max = 0;
        if (s.contains("memory_type"))
            if (auto g = r.memory_type(s["memory_type"], child(sp, "memory_type"))) memory = *g;
        if (s.contains("flags"))
            if (auto f = r.item_flags(s["flags"], child(sp, "flags"))) flags = *f;
        if (auto x = r.u32(s, sp, "frames")) {
            frames = *x;
            check_frames(r, child(sp, "frames"), frames, false);
        }
        if (s.contains("alignment"))
            if (auto a = r.alignment(s["alignment"], child(sp, "alignment"))) alignment = *a;
        auto min_read = r.u32(s, sp, "min_frame_size");
        auto max_read = r.u32(s, sp, "max_frame_size");
        if (min_read) min = *min_read;
        if (max_read) max = *max_read;
        if ((min_read || !s.contains("min_frame_size")) && (max_read || !s.contains("max_frame_size")))
            check_span(r, sp, min, max, std::nullopt, "min_frame_size", "max_frame_size");
        if (r.error_count() != before) return std::nullopt;
        out = make_simple_framing(memory, RequirementFlags{flags & 0x8000000Fu}, frames, alignment, min, max);
        FramingItem::split_raw_flags(flags, out.items[0].requirement_flags, out.items[0].pipe_flags);
    } else {
        std::string ip = child(ptr, "items");
        if (!r.array(v["items"], ip)) return std::nullopt;
        if (v["items"].empty())
            r.report(ip, "framing.no-items", "framing has no items", "at least one framing item");
        for (std::size_t i = 0; i < v["items"].size(); ++i)
            if (auto item = read_framing_item(r, v["items"][i], child(ip, i))) out.items.push_back(*item);
        if (v.contains("output_compression"))
            if (auto c = read_compression(r, v["output_compression"], child(ptr, "output_compression")))
                out.output_compression = *c;
    }
    if (auto x = r.u32(v, ptr, "pin_flags")) out.pin_flags = *x;
    if (auto x = r.u32(v, ptr, "pin_weight")) out.pin_weight = *x;
    if (r.error_count() != before) return std::nullopt;
    return out;
}

std::optional<AllocatorFraming> read_legacy_framing(ConfigReader& r, const json& v, const std::string& ptr) {
    std::size_t before = r.error_count();
    if (!r.object(v, ptr, {"flags", "pool_type", "frames", "frame_size", "alignment"})) return std::nullopt;
    AllocatorFraming out;
    if (v.contains("flags"))
        if (auto f = r.legacy_flags(v["flags"], child(ptr, "flags"))) out.flags = *f;
    if (auto pool = r.string(v, ptr, "pool_type")) {
        if (*pool == "NonPagedPool")
            out.pool_type = PoolType::NonPaged;
        else if (*pool == "PagedPool")
            out.pool_type = PoolType::Paged;
        else
            r.report(child(ptr, "pool_type"), "value.unknown-name",
                     fmt::format("unknown pool type \"{}\"", *pool), "\"NonPagedPool\" or \"PagedPool\"");
    }
    if (auto x = r.u32(v, ptr, "frames"))
        if (check_frames(r, child(ptr, "frames"), *x, true)) out.frames = *x;
    if (auto x = r.u32(v, ptr, "frame_size")) out.frame_size = *x;
    if (v.contains("alignment"))
        if (auto a = r.alignment(v["alignment"], child(ptr, "alignment"))) out.file_alignment = *a;
    if (r.error_count() != before) return std::nullopt;
    return out;
}

std::optional<VendorAllocatorCaps> read_allocator(ConfigReader& r, const json& v, const std::string& ptr) {
    std::size_t before = r.error_count();
    if (!r.object(v, ptr,
                  {"name", "mode", "memory_type", "min_frame_size", "max_frame_size", "max_frames",
                   "alignment", "contiguous", "scatter_gather", "max_sg_entries", "max_segment_bytes",
                   "physical_window", "boundary"},
                  {"name", "max_frames"}))
        return std::nullopt;
    VendorAllocatorCaps a;
    if (auto x = r.string(v, ptr, "name")) a.name = *x;
    if (auto mode = r.string(v, ptr, "mode")) {
        if (*mode == "kernel")
            a.mode = AllocatorMode::Kernel;
        else if (*mode == "user")
            a.mode = AllocatorMode::User;
        else
            r.report(child(ptr, "mode"), "value.unknown-name",
                     fmt::format("unknown allocator mode \"{}\"", *mode), "\"kernel\" or \"user\"");
    }
    if (v.contains("memory_type"))
        if (auto g = r.memory_type(v["memory_type"], child(ptr, "memory_type"))) a.memory_type = *g;
    auto min_read = r.u32(v, ptr, "min_frame_size");
    auto max_read = r.u32(v, ptr, "max_frame_size");
    if (min_read) a.min_frame_size = *min_read;
    if (max_read) a.max_frame_size = *max_read;
    if (auto x = r.u32(v, ptr, "max_frames"))
        if (check_frames(r, child(ptr, "max_frames"), *x, false)) a.max_frames = *x;
    if (v.contains("alignment"))
        if (auto x = r.alignment(v["alignment"], child(ptr, "alignment"))) a.alignment_mask = *x;
    if (auto x = r.boolean(v, ptr, "contiguous")) a.contiguous = *x;
    if (auto x = r.boolean(v, ptr, "scatter_gather")) a.scatter_gather = *x;
    if (auto x = r.u32(v, ptr, "max_sg_entries")) a.max_sg_entries = *x;
    if (auto x = r.u32(v, ptr, "max_segment_bytes")) a.max_segment_bytes = *x;
    if (auto x = r.u32(v, ptr, "boundary")) {
        a.boundary = *x;
        if ((*x & (*x - 1)) != 0)
            r.report(child(ptr, "boundary"), "allocator.boundary",
                     fmt::format("boundary {} is not a power of two", *x),
                     "0 (none) or a power of two such as 65536");
    }
    if (v.contains("physical_window")) {
        std::string wp = child(ptr, "physical_window");
        const json& w = v["physical_window"];
        if (!w.is_array() || w.size() != 2) {
            r.report(wp, "type.mismatch", "physical_window must be [low, high]",
                     "e.g. [\"0x100000000\", \"0x1FFFFFFFF\"]");
        } else {
            json pair = {{"low", w[0]}, {"high", w[1]}};
            // Report element errors at the element pointers, not at synthetic keys.
            Diagnostics scratch;
            PositionIndex none("");
            ConfigReader inner("", none, scratch);
            auto lo = inner.u64(pair, "", "low");
            auto hi = inner.u64(pair, "", "high");
            if (!lo)
                r.report(child(wp, 0), "type.mismatch", "window low address is not an address",
                         "e.g. \"0x100000000\"");
            if (!hi)
                r.report(child(wp, 1), "type.mismatch", "window high address is not an address",
                         "e.g. \"0x1FFFFFFFF\"");
            if (lo && hi) {
                if (*lo > *hi)
                    r.report(child(wp, 0), "range.min-gt-max",
                             fmt::format("physical window low {:#x} is above high {:#x}", *lo, *hi),
                             "low <= high");
                a.physical_base = *lo;
                a.physical_limit = *hi;
            }
        }
    }
    if ((min_read || !v.contains("min_frame_size")) && (max_read || !v.contains("max_frame_size")))
        check_span(r, ptr, a.min_frame_size, a.max_frame_size, std::nullopt, "min_frame_size",
                   "max_frame_size");
    if (a.scatter_gather && a.max_sg_entries == 0)
        r.report(child(ptr, "max_sg_entries"), "allocator.sg-entries-zero",
                 "a scatter-gather allocator with 0 entries cannot describe any frame",
                 "max_sg_entries >= 1");
    if (r.error_count() != before) return std::nullopt;
    return a;
}

}  // namespace ksim::proto::detail
