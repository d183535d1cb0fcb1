// Stage 1: check that the input is a graph and resolve each pin's framing property.
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <functional>
#include <string_view>

#include "engine.hpp"

namespace ksim::negotiation::detail {
namespace {

using proto::PinDirection;

bool declares_must_allocate(const proto::AllocatorFramingEx& f) {
    for (const auto& item : f.items)
        if (has_all(item.memory_flags, proto::RequirementFlags::MustAllocate) ||
            has_all(item.requirement_flags, proto::RequirementFlags::MustAllocate))
            return true;
    return false;
}

// A pin without framing behaves as one don't-care item with the full ranges.
proto::AllocatorFramingEx dont_care_framing() {
    proto::AllocatorFramingEx f;
    f.items.emplace_back();
    return f;
}

// Pin id -> pin index, open addressing in one flat array: a node-based map would cost an
// allocation per pin on every negotiation. Each slot keeps 32 bits of the id's hash, so a probe
// reads a pin (a cache miss in a large graph) only when the hash matches.
class PinIndex {
public:
    // At most kMaxPins pins (prepare() checks).
    static constexpr std::size_t kMaxPins = UINT32_MAX - 1;

    explicit PinIndex(const std::vector<PinInput>& pins)
        : pins_(pins), slots_(std::bit_ceil(pins.size() * 2 + 1)), mask_(slots_.size() - 1) {}

    // Adds pin `i`; false if its id is already there.
    bool insert(std::size_t i) {
        const std::size_t hash = std::hash<std::string_view>{}(pins_[i].id);
        Slot& slot = slots_[slot_of(pins_[i].id, hash)];
        if (slot.pin_plus_one != 0) return false;
        slot = {static_cast<std::uint32_t>(hash), static_cast<std::uint32_t>(i + 1)};
        return true;
    }
    [[nodiscard]] std::optional<std::size_t> find(std::string_view id) const {
        const Slot& slot = slots_[slot_of(id, std::hash<std::string_view>{}(id))];
        if (slot.pin_plus_one == 0) return std::nullopt;
        return slot.pin_plus_one - 1;
    }

private:
    struct Slot {
        std::uint32_t hash = 0;
        std::uint32_t pin_plus_one = 0;  // 0: empty
    };
    // The slot holding `id`, or the empty slot where it would go.
    [[nodiscard]] std::size_t slot_of(std::string_view id, std::size_t hash) const {
        const auto tag = static_cast<std::uint32_t>(hash);
        std::size_t s = hash & mask_;
        while (slots_[s].pin_plus_one != 0 &&
               (slots_[s].hash != tag || pins_[slots_[s].pin_plus_one - 1].id != id))
            s = (s + 1) & mask_;
        return s;
    }
    const std::vector<PinInput>& pins_;
    std::vector<Slot> slots_;
    std::size_t mask_;
};

// The engine assumes min <= max (the config validator enforces it; protocol input may not).
Result<void> check_ranges(const PinInput& pin, const proto::AllocatorFramingEx& f) {
    for (std::size_t i = 0; i < f.items.size(); ++i) {
        const auto& item = f.items[i];
        for (const auto& [name, r] : {std::pair{"PhysicalRange", &item.physical_range},
                                      std::pair{"FramingRange", &item.framing_range.range}})
            if (r->min_frame_size > r->max_frame_size)
                return fail(Errc::InvalidArgument,
                            fmt::format("pin {} item {}: {} min {} > max {}", pin.id, i, name,
                                        r->min_frame_size, r->max_frame_size));
    }
    return {};
}

// `converted` has room reserved for every pin without ALLOCATORFRAMING_EX.
Result<PreparedPin> resolve_pin(const PinInput& pin, std::vector<proto::AllocatorFramingEx>& converted) {
    PreparedPin state;
    state.input = &pin;
    if (pin.framing) {
        if (pin.framing->items.empty())
            return fail(Errc::InvalidArgument,
                        fmt::format("pin {}: ALLOCATORFRAMING_EX has no framing items", pin.id));
        state.prop = proto::FramingProp::Ex;
        state.resolved = &*pin.framing;
    } else if (pin.legacy_framing) {
        state.prop = proto::FramingProp::Old;
        state.resolved = &converted.emplace_back(proto::to_framing_ex(*pin.legacy_framing));
    } else {
        state.prop = proto::FramingProp::None;
        state.resolved = &converted.emplace_back(dont_care_framing());
    }
    if (auto ok = check_ranges(pin, state.framing()); !ok) return std::unexpected(ok.error());
    state.must_allocate = declares_must_allocate(state.framing());
    return state;
}

}  // namespace

Result<PreparedGraph> prepare(const Graph& graph) {
    PreparedGraph g;
    g.graph = &graph;
    if (graph.pins.size() > PinIndex::kMaxPins)
        return fail(Errc::InvalidArgument,
                    fmt::format("{} pins; at most {}", graph.pins.size(), PinIndex::kMaxPins));
    g.pins.reserve(graph.pins.size());
    g.converted.reserve(static_cast<std::size_t>(
        std::count_if(graph.pins.begin(), graph.pins.end(), [](const PinInput& p) { return !p.framing; })));
    PinIndex index(graph.pins);
    for (const auto& pin : graph.pins) {
        if (!index.insert(g.pins.size()))
            return fail(Errc::InvalidArgument, fmt::format("duplicate pin id \"{}\"", pin.id));
        auto state = resolve_pin(pin, g.converted);
        if (!state) return std::unexpected(state.error());
        g.pins.push_back(*state);
    }
    auto find = [&](const std::string& id, std::string_view role, std::size_t i) -> Result<std::size_t> {
        auto found = index.find(id);
        if (!found) return fail(Errc::InvalidArgument, fmt::format("{} {}: unknown pin \"{}\"", role, i, id));
        return *found;
    };

    std::vector<bool> used(g.pins.size(), false);
    g.connections.reserve(graph.connections.size());
    for (std::size_t i = 0; i < graph.connections.size(); ++i) {
        const auto& c = graph.connections[i];
        auto from = find(c.from, "connection", i);
        if (!from) return std::unexpected(from.error());
        auto to = find(c.to, "connection", i);
        if (!to) return std::unexpected(to.error());
        if (graph.pins[*from].direction != PinDirection::Out || graph.pins[*to].direction != PinDirection::In)
            return fail(Errc::InvalidArgument,
                        fmt::format("connection {} ({} -> {}) must run from an output pin to an input pin", i,
                                    c.from, c.to));
        for (std::size_t p : {*from, *to}) {
            if (used[p])
                return fail(Errc::InvalidArgument,
                            fmt::format("connection {}: pin {} is already in another connection", i,
                                        graph.pins[p].id));
            used[p] = true;
        }
        const bool kernel = g.pins[*from].kernel() && g.pins[*to].kernel();
        g.connections.push_back({*from, *to, kernel ? ConnectionMode::Kernel : ConnectionMode::User});
    }

    g.in_place_output.assign(g.pins.size(), std::nullopt);
    for (std::size_t i = 0; i < graph.in_place.size(); ++i) {
        auto in = find(graph.in_place[i].input, "in-place pair", i);
        if (!in) return std::unexpected(in.error());
        auto out = find(graph.in_place[i].output, "in-place pair", i);
        if (!out) return std::unexpected(out.error());
        if (graph.pins[*in].direction != PinDirection::In ||
            graph.pins[*out].direction != PinDirection::Out || g.in_place_output[*in])
            return fail(
                Errc::InvalidArgument,
                fmt::format("in-place pair {}: needs one input pin and one output pin, each in one pair", i));
        g.in_place_output[*in] = *out;
    }
    return g;
}

}  // namespace ksim::negotiation::detail
