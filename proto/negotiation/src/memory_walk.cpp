// Stage 3: the memory type (KsProxy FindCommonMemoryTypesBasedOnBuses, ks-semantics.md §4):
// walk the first pin's framing items in array order, keep those whose bus is the pin's bus, and
// take the first memory type every other pin lists on its own bus. Don't-care matches anything.
#include <fmt/format.h>

#include "engine.hpp"
#include "ksim/negotiation/rules.hpp"
#include "ksim/proto/memory_types.hpp"

namespace ksim::negotiation::detail {
namespace {

using proto::Guid;

std::string bus_label(const Guid& g) {
    if (auto name = proto::bus_type_name(g)) return std::string(*name);
    return g.to_string();
}

// The first usable item of `pin` whose memory type is `type` or don't-care (exact match first).
std::optional<std::size_t> item_for(const PreparedPin& pin, const Guid& type) {
    const auto& items = pin.framing().items;
    std::optional<std::size_t> dont_care;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (!bus_compatible(items[i], *pin.input)) continue;
        if (items[i].memory_type == type) return i;
        if (!dont_care && items[i].memory_type.is_null()) dont_care = i;
    }
    return dont_care;
}

bool every_pin_lists(const PreparedGraph& g, const PipePlan& plan, const Guid& type) {
    for (std::size_t p : plan.pins)
        if (!item_for(g.pins[p], type)) return false;
    return true;
}

void note_bus_mismatches(const PreparedGraph& g, const PipePlan& plan, RecordVector<Finding>& notes) {
    for (std::size_t p : plan.pins) {
        const PreparedPin& pin = g.pins[p];
        std::string skipped;
        const auto& items = pin.framing().items;
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (bus_compatible(items[i], *pin.input)) continue;
            skipped += fmt::format("{}item {} (bus {})", skipped.empty() ? "" : ", ", i,
                                   bus_label(items[i].bus_type));
        }
        if (skipped.empty()) continue;
        const std::string medium = bus_label(pin.input->medium);
        notes.push_back(make_finding(
            rule::kBusMismatch,
            format_record("{}: {} not used: the pin's bus (Medium.Set) is {}", pin.id(), skipped, medium),
            {{"pin", pin.id()}, {"medium", medium}}));
    }
}

std::size_t first_usable_item(const PreparedPin& pin) {
    const auto& items = pin.framing().items;
    for (std::size_t i = 0; i < items.size(); ++i)
        if (bus_compatible(items[i], *pin.input)) return i;
    return 0;
}

}  // namespace

std::size_t item_for_memory(const PreparedPin& pin, const Guid& type) {
    return item_for(pin, type).value_or(first_usable_item(pin));
}

void own_items(const PreparedGraph& g, const PipePlan& plan, std::vector<std::size_t>& items) {
    items.clear();
    for (std::size_t p : plan.pins) items.push_back(first_usable_item(g.pins[p]));
}

namespace {

// The kernel walk: the first memory type `usable` accepts, in the first pin's item order, that
// every pin lists (a don't-care item takes the other pins' types, in pipe order then item order).
template <class Usable>
bool walk_kernel(const PreparedGraph& g, const PipePlan& plan, MemoryChoice& choice, Usable usable) {
    auto select_items = [&](const Guid& type) {
        choice.common = type;
        choice.items.clear();
        for (std::size_t p : plan.pins) choice.items.push_back(item_for(g.pins[p], type).value_or(0));
        return true;
    };
    const PreparedPin& first = g.pins[plan.pins.front()];
    for (const auto& item : first.framing().items) {
        if (!bus_compatible(item, *first.input)) continue;
        if (!item.memory_type.is_null()) {
            if (usable(item.memory_type) && every_pin_lists(g, plan, item.memory_type))
                return select_items(item.memory_type);
            continue;
        }
        for (std::size_t k = 1; k < plan.pins.size(); ++k) {
            const PreparedPin& other = g.pins[plan.pins[k]];
            for (const auto& their : other.framing().items) {
                if (!bus_compatible(their, *other.input) || their.memory_type.is_null()) continue;
                if (usable(their.memory_type) && every_pin_lists(g, plan, their.memory_type))
                    return select_items(their.memory_type);
            }
        }
        if (every_pin_lists(g, plan, Guid{})) return select_items(Guid{});
    }
    return false;
}

}  // namespace

bool default_allocator_makes(const Guid& type) {
    switch (proto::classify_memory_type(type)) {
        case proto::MemoryClass::DontCare:
        case proto::MemoryClass::Kernel:
        case proto::MemoryClass::System:
            return true;
        case proto::MemoryClass::User:
        case proto::MemoryClass::DeviceSpecific:
            return false;
    }
    return false;
}

void choose_memory(const PreparedGraph& g, const PipePlan& plan, RecordVector<Finding>& notes,
                   MemoryChoice& choice) {
    choice.common.reset();
    choice.items.clear();
    note_bus_mismatches(g, plan, notes);
    if (plan.mode == ConnectionMode::User) {
        // The pipe ends at a user-mode pin: frames are user memory the client maps. KsProxy's
        // "kernel pin must support USER memory" check is disabled, so pins never veto it.
        choice.common = proto::memory_type::kUser;
        for (std::size_t p : plan.pins)
            choice.items.push_back(item_for_memory(g.pins[p], proto::memory_type::kUser));
        return;
    }
    if (!walk_kernel(g, plan, choice, [](const Guid&) { return true; })) own_items(g, plan, choice.items);
}

bool choose_pool_memory(const PreparedGraph& g, const PipePlan& plan, MemoryChoice& choice) {
    choice.common.reset();
    choice.items.clear();
    return walk_kernel(g, plan, choice, default_allocator_makes);
}

}  // namespace ksim::negotiation::detail
