// Internal stages of the engine, in the order negotiate() runs them: prepare the graph, plan
// pipes, walk memory types, combine framing, select an allocator. Each stage is a pure function.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ksim/negotiation/graph.hpp"
#include "ksim/negotiation/record.hpp"
#include "ksim/proto/error.hpp"
#include "range_math.hpp"

namespace ksim::negotiation::detail {

// A pin with its framing resolved (Ex as answered, legacy converted, or none = don't care).
// Small (no framing copy) because the engine keeps one per pin of a graph of any size.
struct PreparedPin {
    const PinInput* input = nullptr;
    const proto::AllocatorFramingEx* resolved = nullptr;  // *input->framing, or PreparedGraph::converted
    proto::FramingProp prop = proto::FramingProp::Ex;
    bool must_allocate = false;  // some item says REQUIREMENTF_MUST_ALLOCATE

    [[nodiscard]] const proto::AllocatorFramingEx& framing() const { return *resolved; }
    [[nodiscard]] const std::string& id() const { return input->id; }
    [[nodiscard]] bool kernel() const { return input->hosting == proto::PinHosting::Kernel; }
};

struct ConnectionState {
    std::size_t from = 0;  // pin indices
    std::size_t to = 0;
    ConnectionMode mode = ConnectionMode::Kernel;
};

struct PreparedGraph {
    const Graph* graph = nullptr;
    std::vector<PreparedPin> pins;
    // The framing of pins without ALLOCATORFRAMING_EX (legacy converted, or don't-care). Reserved
    // before it is filled, so the PreparedPin pointers into it stay valid.
    std::vector<proto::AllocatorFramingEx> converted;
    std::vector<ConnectionState> connections;
    std::vector<std::optional<std::size_t>> in_place_output;  // per input pin: its in-place output pin
};

// Checks that the input is a graph (see negotiate()) and resolves every pin's framing.
Result<PreparedGraph> prepare(const Graph& graph);

// Pins that share (or try to share) one allocator, upstream to downstream.
struct PipePlan {
    std::vector<std::size_t> connections;
    std::vector<std::size_t> pins;
    std::vector<Scale> scales;  // frame size at each pin relative to the first pin
    ConnectionMode mode = ConnectionMode::Kernel;
};

// Kernel connections chained through in-place filters become one plan; every other connection
// is a plan of its own. Plans come out in the order of their first connection, one at a time
// into a caller's PipePlan, so a graph of any size plans without an allocation per pipe.
class PipePlanner {
public:
    explicit PipePlanner(const PreparedGraph& g);
    // Fills `plan` (reusing its buffers) with the next pipe; false once every connection is planned.
    bool next(PipePlan& plan);

private:
    [[nodiscard]] std::optional<std::size_t> next_in_pipe(std::size_t c) const;
    [[nodiscard]] std::optional<std::size_t> previous_in_pipe(std::size_t c) const;

    const PreparedGraph& g_;
    std::vector<std::optional<std::size_t>> incoming_;        // per pin: connection ending at it
    std::vector<std::optional<std::size_t>> outgoing_;        // per pin: connection starting at it
    std::vector<std::optional<std::size_t>> in_place_input_;  // per output pin: its in-place input
    std::vector<bool> assigned_;
    std::size_t cursor_ = 0;
};
PipePlan single_connection_plan(const PreparedGraph& g, std::size_t connection);

// Whether a framing item may be used on a pin: its bus is don't-care or the pin's medium.
// Inline: the memory walk asks it for every item of every pin of every pipe.
inline bool bus_compatible(const proto::FramingItem& item, const PinInput& pin) {
    return item.bus_type.is_null() || item.bus_type == pin.medium;
}

struct MemoryChoice {
    std::optional<proto::Guid> common;  // nullopt: no memory type every pin lists
    std::vector<std::size_t> items;     // per plan pin: the framing item that applies
};
// Kernel plans: the first memory type, in the first pin's item order, that every pin lists
// (don't-care matches anything). User plans: USER memory. Fills `choice`, reusing its buffer.
void choose_memory(const PreparedGraph& g, const PipePlan& plan, RecordVector<Finding>& notes,
                   MemoryChoice& choice);
// The item of `pin` that applies to memory type `type`: the first usable one listing it, else a
// don't-care one, else the pin's first usable item.
std::size_t item_for_memory(const PreparedPin& pin, const proto::Guid& type);
// Memory the ks.sys default allocator can make: pool memory (paged / non-paged, SYSTEM) or
// don't-care; never USER (the user-mode allocator's) nor a device-specific type (a vendor's).
bool default_allocator_makes(const proto::Guid& type);
// The kernel walk again, skipping types the default allocator cannot make: for a pipe whose
// first common type is device memory and that no vendor allocator serves. False when none is left.
bool choose_pool_memory(const PreparedGraph& g, const PipePlan& plan, MemoryChoice& choice);
// Each pin's own first usable item, for pins that get separate allocators (into `items`).
void own_items(const PreparedGraph& g, const PipePlan& plan, std::vector<std::size_t>& items);

// Frame size, frames and alignment for the plan, or the failure (an empty hard range).
struct Combined {
    ResultFraming framing;
    std::optional<Finding> failure;
};
Combined combine_framing(const PreparedGraph& g, const PipePlan& plan, std::span<const std::size_t> items,
                         RecordVector<Finding>& notes);

// One allocator for some pins of a plan (all of them, or one side of a copy).
struct SideRequest {
    std::span<const std::size_t> plan_positions;  // positions into plan.pins, upstream first
    std::span<const std::size_t> items;           // per plan pin (whole plan)
    proto::Guid memory_type;                      // the walk's result for the default allocator
    std::size_t default_provider = 0;             // plan position hosting the default allocator
};
struct SideResult {
    AllocatorChoice chosen;
    RecordVector<Candidate> candidates;
};
SideResult select_allocator(const PreparedGraph& g, const PipePlan& plan, const SideRequest& request,
                            const ResultFraming& framing);

// Text helpers shared by the stages. Record text is formatted straight into record storage
// (through fmt's stack buffer): no heap string per message.
std::string describe_range(const proto::FramingRange& r);
std::string memory_label(const PreparedGraph& g, const proto::Guid& memory_type);
RecordString vformat_record(fmt::string_view format, fmt::format_args args);
template <class... Args>
RecordString format_record(fmt::format_string<Args...> format, Args&&... args) {
    return vformat_record(format, fmt::make_format_args(args...));
}
Finding make_finding(std::string_view rule, RecordString message, RecordVector<ComparedValue> values = {},
                     RecordString suggestion = {});

}  // namespace ksim::negotiation::detail
