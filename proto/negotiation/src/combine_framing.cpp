// Stage 4: the combined framing of a pipe. Hard (physical) ranges intersect or the connection
// fails; optimal (framing) ranges narrow the result unless that leaves nothing, in which case
// the hard range is used and a note says so. Frames = the largest requirement, alignment = the
// strictest mask. Sizes are compared in the first pin's terms (KS_COMPRESSION along the pipe).
#include <fmt/format.h>

#include <algorithm>

#include "engine.hpp"
#include "ksim/negotiation/rules.hpp"

namespace ksim::negotiation::detail {
namespace {

constexpr std::uint64_t kUnbounded = 0xFFFFFFFFu;
constexpr std::uint64_t kDefaultFrameSize = proto::kPageSize;  // KsProxy-like default when nobody asks
constexpr std::uint32_t kDefaultFrames = 2;                    // double buffering when nobody asks

std::string describe(const SizeSet& s) {
    if (s.min == s.max) return std::to_string(s.min);
    return fmt::format("{}..{} (stepping {})", s.min, s.max, s.step);
}

// The accumulated intersection and which pins set its bounds, for messages and suggestions.
struct Accumulated {
    SizeSet set;
    std::size_t min_owner = 0;  // plan position whose minimum binds
    std::size_t max_owner = 0;
};

Finding physical_failure(const PreparedGraph& g, const PipePlan& plan, const Accumulated& acc,
                         std::size_t pos, const SizeSet& range) {
    const std::string& pin = g.pins[plan.pins[pos]].id();
    const std::string& low_pin = g.pins[plan.pins[acc.max_owner]].id();
    const std::string& high_pin = g.pins[plan.pins[acc.min_owner]].id();
    RecordString message = format_record(
        "no frame size is inside every hard PhysicalRange: {} allows {}, but {} allows {}", pin,
        describe(range), plan.pins.size() == 2 ? g.pins[plan.pins[1 - pos]].id() : "the rest of the pipe",
        describe(acc.set));
    RecordVector<ComparedValue> values{{"pin", pin},
                                       {"pin_min", range.min},
                                       {"pin_max", range.max},
                                       {"pin_stepping", range.step},
                                       {"other_min", acc.set.min},
                                       {"other_max", acc.set.max},
                                       {"other_stepping", acc.set.step}};
    RecordString suggestion;
    if (range.min > acc.set.max)  // this pin is above everything else
        suggestion = format_record(
            "raise PhysicalRange.MaxFrameSize of {} to >= {} (or lower PhysicalRange.MinFrameSize of {} to "
            "<= {})",
            low_pin, range.min, pin, acc.set.max);
    else if (range.max < acc.set.min)
        suggestion = format_record(
            "raise PhysicalRange.MaxFrameSize of {} to >= {} (or lower PhysicalRange.MinFrameSize of {} to "
            "<= {})",
            pin, acc.set.min, high_pin, range.max);
    else
        suggestion =
            format_record("set PhysicalRange.Stepping of {} to 1 (the steppings leave no common size)", pin);
    return make_finding(rule::kPhysicalEmpty, std::move(message), std::move(values), std::move(suggestion));
}

// The frame size picked from the final range: the largest size when the range is bounded (the
// biggest frame some pin may produce must fit), else the page-sized default or the minimum.
std::uint64_t pick_size(const SizeSet& s, bool& defaulted) {
    defaulted = false;
    if (s.max < kUnbounded) return last_member(s);
    if (s.min >= kDefaultFrameSize) return s.min;
    defaulted = true;
    return first_at_least(s, kDefaultFrameSize).value_or(last_member(s));
}

}  // namespace

Combined combine_framing(const PreparedGraph& g, const PipePlan& plan, std::span<const std::size_t> items,
                         RecordVector<Finding>& notes) {
    Combined out;
    Accumulated hard{{0, kUnbounded, 1}, 0, 0};
    std::uint32_t frames = 0, alignment = 0;
    for (std::size_t pos = 0; pos < plan.pins.size(); ++pos) {
        const auto& item = g.pins[plan.pins[pos]].framing().items[items[pos]];
        frames = std::max(frames, item.frames);
        alignment |= item.file_alignment;
        const SizeSet own = to_size_set(item.physical_range);
        auto range = unscale(own, plan.scales[pos]);
        auto next = range ? intersect(hard.set, *range) : std::nullopt;
        if (!next) {
            out.failure = physical_failure(g, plan, hard, pos, range.value_or(own));
            return out;
        }
        if (next->min != hard.set.min) hard.min_owner = pos;
        if (next->max != hard.set.max) hard.max_owner = pos;
        hard.set = *next;
    }

    SizeSet chosen = hard.set;
    for (std::size_t pos = 0; pos < plan.pins.size(); ++pos) {
        const auto& item = g.pins[plan.pins[pos]].framing().items[items[pos]];
        auto range = unscale(to_size_set(item.framing_range.range), plan.scales[pos]);
        auto next = range ? intersect(chosen, *range) : std::nullopt;
        if (!next) {
            notes.push_back(make_finding(
                rule::kOptimalEmptyFallback,
                format_record(
                    "the optimal FramingRange of {} ({}) leaves no size inside {}; using the hard range",
                    g.pins[plan.pins[pos]].id(), describe_range(item.framing_range.range), describe(chosen)),
                {{"pin", g.pins[plan.pins[pos]].id()},
                 {"hard_min", hard.set.min},
                 {"hard_max", hard.set.max}}));
            chosen = hard.set;
            break;
        }
        chosen = *next;
    }

    bool defaulted = false;
    const std::uint64_t first_size = pick_size(chosen, defaulted);
    if (defaulted)
        notes.push_back(make_finding(
            rule::kDefaultFrameSize,
            format_record("no pin bounds the frame size ({}); using {} bytes", describe(chosen), first_size),
            {{"range_min", chosen.min}, {"range_max", chosen.max}, {"frame_size", first_size}}));
    std::uint64_t largest = first_size;
    for (const Scale& s : plan.scales) largest = std::max(largest, s.apply(first_size));
    if (largest != first_size)
        notes.push_back(
            make_finding(rule::kCompression,
                         format_record("OutputCompression along the pipe: {} bytes at {} need {}-byte frames",
                                       first_size, g.pins[plan.pins.front()].id(), largest),
                         {{"first_pin_size", first_size}, {"frame_size", largest}}));
    if (frames == 0) {
        frames = kDefaultFrames;
        notes.push_back(make_finding(rule::kDefaultFrames,
                                     format_record("no pin asks for a frame count; using {}", kDefaultFrames),
                                     {{"frames", std::uint64_t{kDefaultFrames}}}));
    }
    out.framing = {static_cast<std::uint32_t>(std::min(largest, kUnbounded)), frames, alignment};
    return out;
}

}  // namespace ksim::negotiation::detail
