// Decision records: the engine's output, one per connection and one per pipe. They say what was
// chosen and, for every candidate allocator, "selected" or the rules that rejected it, with the
// values compared. Rule ids are stable strings (rules.hpp, docs/negotiation.md).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ksim/negotiation/record_storage.hpp"
#include "ksim/proto/framing.hpp"
#include "ksim/proto/topology.hpp"

namespace ksim::negotiation {

// Kernel mode only when both pins of every connection in the pipe are kernel-hosted.
enum class ConnectionMode { Kernel, User };

using proto::AllocatorKind;

enum class Status { Satisfied, Failed };

// One value a rule compared, e.g. {"required_frames", 4}.
struct ComparedValue {
    RecordString name;
    std::variant<std::uint64_t, RecordString> value;

    ComparedValue() = default;
    ComparedValue(std::string_view n, std::uint64_t number) : name(n), value(number) {}
    ComparedValue(std::string_view n, std::string_view text) : name(n), value(RecordString(text)) {}
    friend bool operator==(const ComparedValue&, const ComparedValue&) = default;
};

// A rule that fired: a rejection, a failure or a note.
struct Finding {
    // Stable id, e.g. "caps.max-frames": always one of rule::all() (static storage), so a
    // finding never allocates for it and stays valid after the graph and the engine are gone.
    std::string_view rule;
    RecordString message;  // plain language, with the values
    RecordVector<ComparedValue> values;
    RecordString suggestion;  // the smallest change that would avoid it; may be empty
    friend bool operator==(const Finding&, const Finding&) = default;
};

// Fields ordered so that the small ones share padding: every pipe keeps several choices.
struct AllocatorChoice {
    AllocatorKind kind = AllocatorKind::Default;
    proto::AllocatorMode mode = proto::AllocatorMode::Kernel;
    proto::Guid memory_type{};
    RecordString name;  // vendor name, or "default" / "user"
    RecordString pin;   // the pin that provides (allocates) it
    friend bool operator==(const AllocatorChoice&, const AllocatorChoice&) = default;
};

// An allocator that could serve the pipe. Not selected means never initialized.
struct Candidate {
    AllocatorChoice allocator;
    bool selected = false;
    RecordVector<Finding> reasons;  // why not selected, first = the deciding rule; empty if selected
    friend bool operator==(const Candidate&, const Candidate&) = default;
};

struct ResultFraming {
    std::uint32_t frame_size = 0;      // bytes per frame (largest expansion along the pipe)
    std::uint32_t frames = 0;          // frames in the pool
    std::uint32_t alignment_mask = 0;  // FILE_*_ALIGNMENT mask
    friend bool operator==(const ResultFraming&, const ResultFraming&) = default;
};

// The small fields first, so that they pack (one decision per pipe is kept).
struct Decision {
    ConnectionMode mode = ConnectionMode::Kernel;
    Status status = Status::Satisfied;
    ResultFraming framing;
    std::uint32_t copies = 0;  // copies a frame needs on this path
    // What InitializeAllocator receives (KSALLOCATOR_FRAMING built as KsCreateAllocatorAndGetHandle does).
    std::optional<proto::AllocatorFraming> create_request;
    std::optional<AllocatorChoice> allocator;       // absent when failed
    std::optional<AllocatorChoice> copy_allocator;  // downstream side when the pins need two allocators
    RecordVector<Candidate> candidates;             // vendor allocators in pipe pin order, then the fallbacks
    RecordVector<Finding> notes;     // decisions worth knowing (fallbacks, splits, conversions)
    std::optional<Finding> failure;  // why the connection fails
    friend bool operator==(const Decision&, const Decision&) = default;
};

// A connection's decision is its pipe's decision (NegotiationResult::decision): a connection
// always belongs to exactly one pipe, so the decision is stored once.
struct ConnectionRecord {
    RecordString id;  // "from->to"
    RecordString from;
    RecordString to;
    RecordString pipe;           // id of the pipe it belongs to
    std::size_t pipe_index = 0;  // index into NegotiationResult::pipes
    friend bool operator==(const ConnectionRecord&, const ConnectionRecord&) = default;
};

// A chain of pins sharing one allocator and one set of frames.
struct PipeRecord {
    RecordString id;                         // "pipe0", "pipe1", ... in connection order
    RecordVector<RecordString> pins;         // upstream to downstream
    RecordVector<RecordString> connections;  // connection ids
    Decision decision;
    friend bool operator==(const PipeRecord&, const PipeRecord&) = default;
};

// The records' strings and vectors live in `storage` (record_storage.hpp has the lifetime rules).
struct NegotiationResult {
    // Owns the arena the records were built in (null for a result built on the heap). Declared
    // first so that it is destroyed last, after the records that live in it.
    std::shared_ptr<RecordArena> storage;
    std::string topology;
    RecordVector<ConnectionRecord> connections;  // in input order
    RecordVector<PipeRecord> pipes;
    // Names of custom memory types, so the records print "VENDOR_DMA" rather than a GUID.
    std::vector<proto::CustomMemoryType> memory_types;

    NegotiationResult() = default;
    NegotiationResult(const NegotiationResult& other);  // copies the records to the heap
    NegotiationResult(NegotiationResult&&) noexcept = default;
    // Copy-and-swap: the records and the arena they live in always change owner together.
    NegotiationResult& operator=(NegotiationResult other) noexcept;
    ~NegotiationResult() = default;

    [[nodiscard]] bool all_satisfied() const;
    [[nodiscard]] const Decision& decision(const ConnectionRecord& c) const {
        return pipes.at(c.pipe_index).decision;
    }
    friend bool operator==(const NegotiationResult& a, const NegotiationResult& b);
};

std::string_view to_string(ConnectionMode m);
std::string_view to_string(Status s);
// The display name of a memory type: well-known name, a custom name, else the GUID.
std::string memory_type_label(const proto::Guid& g, const std::vector<proto::CustomMemoryType>& custom);

}  // namespace ksim::negotiation
