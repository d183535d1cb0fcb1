// DriverPin: a minidriver's pin hosted by ksimd — the class-driver side of its queue. It is the
// pin instance's StreamingHost: the stream-pointer routines the driver calls act on the pin's
// StreamQueue (edges, clones, offsets, timeouts), and each KSSTREAM_POINTER the driver sees is
// a wrapper kept current from the queue's pointer after every call. It also runs the pin's
// dispatch by AVStream's rules: SetDeviceState one step at a time, pin-centric Process on
// arrival (unless DO_NOT_INITIATE_PROCESSING; every arrival with
// INITIATE_PROCESSING_ON_EVERY_ARRIVAL; only in RUN with PROCESS_IN_RUN_STATE_ONLY), STATUS_PENDING
// until KsPinAttemptProcessing, Reset before the queue is flushed, and the driver's timers.
// Every misuse of these routines is reported to the pin's Verifier at the point it happens,
// and the call fails without touching the queue.
// Called under the kernel lock only.
#pragma once

#include <boost/circular_buffer.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "ksim/daemon/clock.hpp"
#include "ksim/daemon/stream_queue.hpp"
#include "ksim/ddk_host/objects.hpp"
#include "ksim/ddk_host/streaming_host.hpp"
#include "ksim/proto/stream_header.hpp"
#include "verifier.hpp"

namespace ksim::daemon {

class DriverFilter;

class DriverPin final : public ddk_host::StreamingHost {
public:
    // `frame_period`: the pin's format's, for the stall rule.
    DriverPin(ddk_host::PinInstance& instance, StreamQueue& queue, const Clock& clock, Verifier& verifier,
              Ticks frame_period);
    // A pend stall is reported after this many frame periods with frames waiting.
    static constexpr Ticks kStallPeriods = 8;
    // Deleted clones' wrappers are reused only after this many more were deleted, so a driver
    // that uses a deleted clone is caught (not silently given someone else's clone).
    static constexpr std::size_t kQuarantine = 64;
    ~DriverPin() override;
    DriverPin(const DriverPin&) = delete;
    DriverPin& operator=(const DriverPin&) = delete;

    [[nodiscard]] ddk_host::PinInstance& instance() const { return instance_; }
    [[nodiscard]] ULONG flags() const { return instance_.ks.Descriptor->Flags; }

    // SetDeviceState(to, from) for one step; the pin's DeviceState follows on success.
    NTSTATUS set_device_state(proto::PinState to, proto::PinState from);
    // The queue is about to be flushed (STOP): Reset, then every clone wrapper is retired.
    void reset();
    // Connect: the topology connected the pin (ksimd calls it once, after the kernel wired its
    // connections); Disconnect follows when ksimd takes the pin down.
    void connect();
    // Right before the flush: reports locked edges and clones the driver still holds.
    void check_before_flush(std::string_view step);
    // A pend stall: Process pended and frames have waited kStallPeriods periods (reported once
    // per stall; KsPinAttemptProcessing ends it).
    void check_stall(Ticks now);
    void flushed();
    // Frames were added to the queue; `was_empty`: none was under the leading edge before.
    void frames_arrived(bool was_empty, bool running);
    // RUN began: runs the Process held off by PROCESS_IN_RUN_STATE_ONLY.
    void run_started();
    // A frame entered the queue: its KSSTREAM_HEADER and mappings, as the driver will see them
    // (an input pin's header carries what the upstream pin completed the frame with).
    void frame_queued(const QueuedFrame& frame);
    // A frame completes: the driver's header fields into ksim's (DataUsed clamped to the frame).
    void frame_completing(QueuedFrame& frame);

    // Filter-centric processing (driver_filter.hpp): the pin's processing triggers go to the
    // filter's Process instead of the pin's.
    void set_filter_processing(DriverFilter* filter) { filter_ = filter; }
    // The other pin of its in-place pair while the two are one pipe section (else null): the
    // filter's KSPROCESSPIN.InPlaceCounterpart.
    void set_in_place_counterpart(DriverPin* other) { in_place_ = other; }
    [[nodiscard]] DriverPin* in_place_counterpart() const { return in_place_; }
    [[nodiscard]] bool running() const { return running_; }
    [[nodiscard]] bool has_frame_at_leading_edge() const { return queue_.frames_from_leading_edge() > 0; }
    // Before the filter's Process: `pp` describes the pin, with its leading edge locked when it
    // has a frame (returned; null otherwise).
    PKSSTREAM_POINTER prepare_process_pin(KSPROCESSPIN& pp);
    // After it: BytesUsed advances `edge`'s offset (an output frame's DataUsed grows by it),
    // Terminate ejects the frame; the edge ends unlocked. Returns whether the driver used anything.
    bool finish_process_pin(const KSPROCESSPIN& pp, PKSSTREAM_POINTER edge);

    [[nodiscard]] std::optional<Ticks> next_timer_deadline() const;
    void fire_timers(Ticks now);

    // StreamingHost: the routines of ksim/ddk/avstream.h.
    PKSSTREAM_POINTER leading_edge(KSSTREAM_POINTER_STATE state) override;
    PKSSTREAM_POINTER trailing_edge(KSSTREAM_POINTER_STATE state) override;
    NTSTATUS lock(PKSSTREAM_POINTER sp) override;
    void unlock(PKSSTREAM_POINTER sp, bool eject) override;
    NTSTATUS advance(PKSSTREAM_POINTER sp) override;
    NTSTATUS advance_offsets(PKSSTREAM_POINTER sp, ULONG in_used, ULONG out_used, bool eject,
                             bool unlock) override;
    NTSTATUS clone(PKSSTREAM_POINTER sp, ULONG context_size, PKSSTREAM_POINTER* out) override;
    PKSSTREAM_POINTER first_clone() override;
    PKSSTREAM_POINTER next_clone(PKSSTREAM_POINTER sp) override;
    void delete_clone(PKSSTREAM_POINTER sp) override;
    void set_status_code(PKSSTREAM_POINTER sp, NTSTATUS status) override;
    void schedule_timeout(PKSSTREAM_POINTER sp, PFNKSSTREAMPOINTER callback, ULONGLONG interval) override;
    void cancel_timeout(PKSSTREAM_POINTER sp) override;
    void attempt_processing(bool asynchronous) override;
    NTSTATUS available_bytes(LONG* input_data, LONG* output_buffer) override;
    LONGLONG now() override { return clock_.now(); }

private:
    struct Wrapper {
        KSSTREAM_POINTER ks{};
        StreamPointer* sp = nullptr;  // null once retired (deleted clone)
        PFNKSSTREAMPOINTER timeout = nullptr;
    };
    struct FrameExtras {
        KSSTREAM_HEADER header{};
        KSIM_FRAME_INFO info{};
        std::vector<KSMAPPING> mappings;
    };
    void process();
    Wrapper* wrapper_of(StreamPointer* sp);                    // finds or makes the wrapper of a live pointer
    Wrapper* live(PKSSTREAM_POINTER sp, const char* routine);  // null (reported) for a retired one
    // True (reported) when `routine` is called while the pin is in STOP (Reset excepted).
    bool stopped(const char* routine);
    [[nodiscard]] std::optional<Ticks> stall_deadline() const;
    PKSSTREAM_POINTER expose(StreamPointer* sp);  // refreshed wrapper, or null
    void refresh(Wrapper& w);
    void retire(Wrapper& w);
    FrameExtras& extras_of(const QueuedFrame& frame);
    void note(unsigned level, const std::string& text) const;

    ddk_host::PinInstance& instance_;
    StreamQueue& queue_;
    const Clock& clock_;
    // The wrapper of each live queue pointer (edges and clones: a handful). A flat vector and a
    // ring, not a hash map and a deque: a clone per frame must not allocate once they have grown.
    std::vector<std::pair<const StreamPointer*, Wrapper*>> by_pointer_;
    std::deque<Wrapper> wrappers_;                               // stable addresses; retired ones are reused
    boost::circular_buffer<Wrapper*> retired_{2 * kQuarantine};  // oldest first (kQuarantine)
    std::vector<FrameExtras> extras_;                            // by frame index in the pipe's pool
    bool in_process_ = false;
    bool in_reset_ = false;
    bool rerun_ = false;
    bool pending_ = false;   // Process returned STATUS_PENDING: not again until KsPinAttemptProcessing
    bool deferred_ = false;  // held off until RUN (PROCESS_IN_RUN_STATE_ONLY)
    bool running_ = false;
    bool connected_ = false;          // Connect was called: Disconnect is owed
    DriverFilter* filter_ = nullptr;  // the filter's, when it processes filter-centric
    DriverPin* in_place_ = nullptr;   // set_in_place_counterpart
    Verifier& verifier_;
    Ticks frame_period_;
    const char* routine_ = "";            // the routine being served (names a completion's cause)
    std::optional<Ticks> waiting_since_;  // pending_ with frames at the leading edge, since
    bool stall_reported_ = false;
};

}  // namespace ksim::daemon
