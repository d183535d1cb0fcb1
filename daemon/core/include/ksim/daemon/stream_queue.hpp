// StreamQueue: the frame queue of one kernel pin and its stream pointers, following AVStream
// (reference/ks-semantics.md §5): a leading edge, an optional distinct trailing edge, clones kept
// in creation order, lock/unlock/advance/advance-offsets, status codes and timeouts in 100 ns
// units. A frame completes when it is behind the edge(s) and no clone references it; the
// completion callback then receives it (a source pin sends it on, a sink returns it).
// Not thread-safe: the owning pin serialises calls (the Kernel's lock). Pointers handed out stay
// valid until deleted (clones) or the queue is destroyed (edges).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "ksim/daemon/clock.hpp"
#include "ksim/daemon/sg_mapping.hpp"
#include "ksim/proto/error.hpp"
#include "ksim/proto/stream_header.hpp"
#include "ksim/proto/topology.hpp"

namespace ksim::daemon {

// The NTSTATUS values stream-pointer calls return or frames complete with.
enum class NtStatus : std::uint32_t {
    Success = 0,
    Pending = 0x103,
    Unsuccessful = 0xC0000001u,
    DeviceNotReady = 0xC00000A3u,  // STATUS_DEVICE_NOT_READY: ran off the queue end / not locked
    Cancelled = 0xC0000120u,
};

// A frame as it sits in a pin's queue. `token` names it for the owner (pool + index).
struct QueuedFrame {
    std::uint64_t token = 0;
    std::uint32_t cookie = 0;  // a second word for the owner (ksim: the frame handle's generation)
    std::span<std::byte> data;
    // The frame's scatter/gather list (GENERATE_MAPPINGS). A view: the owner keeps the list alive
    // while the frame is queued (the kernel builds each frame's list once, with its pool).
    std::span<const SgMapping> mappings;
    proto::StreamHeader header{};
};

// KSSTREAM_POINTER_OFFSET: Count and Remaining in bytes, or in mappings with GENERATE_MAPPINGS.
struct StreamOffset {
    std::uint32_t count = 0;
    std::uint32_t remaining = 0;
};

enum class PointerLock { Unlocked, Locked };

class StreamQueue;

// Queue bookkeeping for one frame (private to StreamQueue; here because StreamPointer names it).
struct FrameSlot {
    QueuedFrame frame;
    int clone_refs = 0;
    bool passed_leading = false;
    bool passed_trailing = false;
    std::uint32_t bytes_used = 0;  // by AdvanceOffsets on the data-flow offset (unmapped queues)
    NtStatus status = NtStatus::Success;
};

// KSSTREAM_POINTER: an edge or a clone. Only StreamQueue moves it.
class StreamPointer {
public:
    [[nodiscard]] bool has_frame() const { return has_frame_; }
    [[nodiscard]] PointerLock lock_state() const { return lock_; }
    [[nodiscard]] bool is_clone() const { return clone_; }
    // The frame under the pointer; nullptr when it points past the queue end.
    [[nodiscard]] QueuedFrame* frame() const;
    [[nodiscard]] const StreamOffset& offset_in() const { return in_; }
    [[nodiscard]] const StreamOffset& offset_out() const { return out_; }
    // Offset by data flow (KSSTREAM_POINTER.Offset): OffsetIn on input pins, OffsetOut on output pins.
    [[nodiscard]] const StreamOffset& offset() const { return flow_in_ ? in_ : out_; }
    // Private per-clone context (ContextSize bytes at clone time), zero-initialised.
    [[nodiscard]] std::span<std::byte> context() { return context_; }
    [[nodiscard]] std::uint64_t id() const { return id_; }

private:
    friend class StreamQueue;
    std::list<FrameSlot>::iterator pos_{};
    bool has_frame_ = false;
    PointerLock lock_ = PointerLock::Unlocked;
    bool clone_ = false;
    bool flow_in_ = false;
    StreamOffset in_{};
    StreamOffset out_{};
    std::vector<std::byte> context_;
    std::uint64_t id_ = 0;
    std::optional<Ticks> deadline_;
    std::function<void(StreamPointer&)> on_timeout_;
};

class StreamQueue {
public:
    struct Options {
        proto::PinDirection direction = proto::PinDirection::Out;
        bool distinct_trailing_edge = false;  // KSPIN_FLAG_DISTINCT_TRAILING_EDGE
        bool generate_mappings = false;       // KSPIN_FLAG_GENERATE_MAPPINGS: offsets count mappings
    };
    // Receives each completed frame (header.status = its status code).
    using Completion = std::function<void(QueuedFrame&&)>;
    using TimeoutCallback = std::function<void(StreamPointer&)>;

    StreamQueue(Options options, const Clock& clock, Completion on_complete);
    StreamQueue(const StreamQueue&) = delete;
    StreamQueue& operator=(const StreamQueue&) = delete;

    // A frame arrives. An edge past the queue end (or on an empty queue) now points at it.
    void add_frame(QueuedFrame frame);

    // KsPinGetLeadingEdgeStreamPointer: Locked returns nullptr when there is no frame.
    StreamPointer* leading_edge(PointerLock state);
    // KsPinGetTrailingEdgeStreamPointer: nullptr without DISTINCT_TRAILING_EDGE, or Locked with no frame.
    StreamPointer* trailing_edge(PointerLock state);

    // DeviceNotReady when the pointer has no frame.
    NtStatus lock(StreamPointer& sp);
    // KsStreamPointerUnlock; Eject also advances to the next frame (left unlocked).
    void unlock(StreamPointer& sp, bool eject);
    // KsStreamPointerAdvance: a locked pointer is unlocked, moved, relocked; DeviceNotReady when
    // it runs off the queue end. An unlocked pointer always moves (Success).
    NtStatus advance(StreamPointer& sp);
    // KsStreamPointerAdvanceOffsets: the pointer must be locked (else DeviceNotReady). Reduces
    // Remaining; at 0 or with eject it moves to the next frame, relocked (DeviceNotReady at the end).
    NtStatus advance_offsets(StreamPointer& sp, std::uint32_t in_used, std::uint32_t out_used, bool eject);

    // KsStreamPointerClone: the clone references the same frame, has `context_size` private
    // bytes and the source's lock state. InvalidState when the source has no frame.
    Result<StreamPointer*> clone(StreamPointer& source, std::size_t context_size);
    // Clones in creation order (KsPinGetFirstCloneStreamPointer / KsStreamPointerGetNextClone).
    StreamPointer* first_clone();
    StreamPointer* next_clone(const StreamPointer& clone);
    // KsStreamPointerDelete: drops the clone's reference (may complete its frame). Edges can't be deleted.
    void delete_clone(StreamPointer& clone);

    // KsStreamPointerSetStatusCode: what the frame completes with.
    void set_status_code(StreamPointer& sp, NtStatus status);

    // KsStreamPointerScheduleTimeout: relative interval in 100 ns; rescheduling replaces.
    void schedule_timeout(StreamPointer& sp, TimeoutCallback callback, Ticks interval);
    void cancel_timeout(StreamPointer& sp);
    // Fires every timeout whose deadline <= clock.now(), clones in creation order after the
    // edges; returns how many fired. Callbacks may delete the clone they get.
    std::size_t fire_timeouts();
    // Timeouts scheduled and neither fired nor cancelled (deleting or flushing a clone cancels
    // its own).
    [[nodiscard]] std::size_t armed_timeouts() const { return armed_timeouts_; }

    // Reset on STOP: deletes every clone, completes every frame with DataUsed = 0 and
    // status Cancelled, leaves the edges past the (now empty) queue end.
    void flush();

    [[nodiscard]] std::size_t frame_count() const { return frames_.size(); }
    // Frames at or after the leading edge (what Process has not yet looked at).
    [[nodiscard]] std::size_t frames_from_leading_edge() const;
    [[nodiscard]] std::size_t clone_count() const { return clones_.size(); }
    [[nodiscard]] const Options& options() const { return options_; }

private:
    using Iter = std::list<FrameSlot>::iterator;
    void place(StreamPointer& sp, Iter pos);  // moves a pointer onto pos (or end), fixing refs
    void reset_offsets(StreamPointer& sp);
    NtStatus move_next(StreamPointer& sp);  // pointer-kind aware; returns DeviceNotReady at end
    void try_complete(Iter it);
    StreamPointer* find_clone(std::uint64_t id);
    // Cancels sp's timeout, keeping armed_timeouts_ exact.
    void disarm(StreamPointer& sp);

    Options options_;
    const Clock& clock_;
    Completion on_complete_;
    std::list<FrameSlot> frames_;
    StreamPointer leading_;
    StreamPointer trailing_;
    std::list<StreamPointer> clones_;
    // Nodes of completed frames and deleted clones, spliced back into frames_/clones_ when the
    // next one arrives: a queue cycling frames in steady state allocates nothing (splice moves
    // list nodes without allocating, and keeps every other iterator valid).
    std::list<FrameSlot> spare_frames_;
    std::list<StreamPointer> spare_clones_;
    std::uint64_t next_id_ = 3;  // 1 = leading, 2 = trailing
    // Pointers with a deadline: at 0, fire_timeouts returns at once.
    std::size_t armed_timeouts_ = 0;
};

}  // namespace ksim::daemon
