// Kernel::Impl: the runtime objects behind the facade. Private to daemon/core.
// One mutex (mu) guards everything here; events and user-pin hand-offs produced under it are
// queued in an Outbox and delivered after the lock is released (Impl::flush), so EventSink and
// UserPinPort implementations may call back into the Kernel.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "builtin_pin_link.hpp"
#include "driver_allocator.hpp"
#include "driver_filter.hpp"
#include "driver_pin.hpp"
#include "ksim/daemon/kernel.hpp"
#include "ksim/daemon/pin_state_machine.hpp"
#include "ksim/daemon/stream_queue.hpp"
#include "ksim/shm/default_allocator.hpp"
#include "ksim/shm/dma_allocator.hpp"
#include "ksim/shm/ledger.hpp"
#include "ksim/shm/mapping.hpp"
#include "pin_holders.hpp"
#include "wakeup.hpp"

namespace ksim::daemon {

struct Pin;
struct FilterRuntime;

// What a pin does with frames, from its hosting and direction (role_for). A driver's
// output pin is a DriverOut pin (the requestor fills its queue; its Process is the driver's); its
// input pin is a DriverIn pin (frames from upstream enter its queue; the driver consumes them),
// whether the driver is a loaded module or built in (daemon/drivers/).
enum class PinRole { DriverOut, DriverIn, UserSource, UserSink };

// Who holds one frame of a pool, and when it left its source (hand-off latency): the per-frame
// view of the ledger (shm::Ledger answers per pool and owner).
struct HeldFrame {
    bool held = false;
    shm::FrameHandle handle{};
    std::uint64_t owner = 0;
    Ticks sent_at = 0;
};

// One committed allocator decision and, between ACQUIRE and STOP, its allocator instance.
struct Pipe {
    std::string name;  // "camera.capture->checker.input[,...]"
    AllocatorCommit commit;
    std::vector<Pin*> pins;
    std::shared_ptr<shm::FrameAllocator> allocator;  // null while every pin is in STOP
    shm::DmaAllocator* dma = nullptr;                // == allocator.get() for declared vendor pipes
    DriverAllocator* driver = nullptr;               // == allocator.get() for a driver's own allocator
    std::optional<shm::WritableMapping> mapping;     // the daemon's view (DMA writes, transforms)
    // Per frame index, built with the allocator and dropped with it. A pool's size is fixed for
    // its lifetime, so taking, passing and returning a frame only writes a slot: no allocation
    // per frame (a map keyed by frame would allocate a node per frame taken).
    std::vector<HeldFrame> held;
    std::vector<std::vector<SgMapping>> sg_lists;  // each frame's S/G list (QueuedFrame::mappings views it)
    // The most frames out of the pool at once: the committed count, or fewer when a pin of the
    // pipe carries a pool_exhaustion fault (set at activate). Every allocation asks first.
    std::uint32_t frame_limit = 0;
    const proto::Fault* exhaustion = nullptr;  // that fault, for the error it causes
    // The last activation's InitializeAllocator failure; reset when an activation succeeds.
    std::optional<AllocatorFailure> failure;

    [[nodiscard]] bool active() const { return allocator != nullptr; }
    [[nodiscard]] bool has_free_frame() const { return allocator->status().outstanding < frame_limit; }
    [[nodiscard]] std::string allocator_label() const;
};

// A frame and the pipe whose pool it belongs to, as it travels through a pin's queue or a hand-off.
struct PipeFrame {
    shm::FrameHandle handle{};
    Pipe* pipe = nullptr;
};

// A frame the input pin of an in-place pair split into two pipes completed, waiting for the
// output pipe to free a frame for the class driver's copy (Kernel::Impl::copy_to_output). A copy
// transform's input frames wait in its driver's queue instead (daemon/drivers/copy/).
struct PendingCopy {
    PipeFrame ref;
    proto::StreamHeader header;
    Ticks sent_at = 0;
};

// What a streaming thread shares with the kernel. Shared: the thread keeps its own reference,
// because stop_streaming drops the pin's StreamingThread before the thread has seen the flag.
struct StreamingControl {
    std::atomic<bool> stop{false};
    Wakeup wake;  // ends the thread's sleep between ticks early (stop)
};

// The client sinks the calling streaming thread has delivered to (null in other threads): it
// calls their DeliveryTarget::after_delivery after each of its ticks, so a sink's releases are
// taken on the tick it already runs (docs/memory.md, "Lazy release").
using TickingTargets = std::vector<std::shared_ptr<DeliveryTarget>>;
inline thread_local TickingTargets* t_ticking_targets = nullptr;

struct StreamingThread {
    std::shared_ptr<StreamingControl> control = std::make_shared<StreamingControl>();
    std::thread thread;
};

// A sink pin's stall_releases fault at run time (kernel_faults.cpp): a consumer stopped as with
// SIGSTOP and continued `length` later. The frames the pin gives back meanwhile stay held by the
// pin (its ledger id), in the order given back, and return to the pool together when it ends.
struct ReleaseStall {
    proto::Fault fault;
    Ticks length = 0;
    bool armed = false;          // the pin entered RUN: the next frame it gives back starts a stall
    std::optional<Ticks> until;  // set while a stall lasts
    std::vector<PipeFrame> held;
    std::optional<StreamingThread> timer;  // ends the stall on time (streaming threads only)
    [[nodiscard]] bool stalled() const { return until.has_value(); }
};

// A user pin's disconnect_client fault at run time (kernel_faults.cpp): counts the frames that
// cross the pin for its current host, and fires once.
struct DisconnectCountdown {
    proto::Fault fault;
    ClientId host = kDaemon;  // the client whose frames are being counted
    std::uint64_t crossed = 0;
    bool fired = false;
};

struct Pin final : TransitionHandler {
    Kernel::Impl& kernel;
    FilterRuntime& filter;
    proto::PinDescriptor desc;
    PinRef key;
    std::string name;  // "filter/pin" for logs
    PinRole role = PinRole::DriverIn;
    std::uint64_t ledger_id = 0;  // owner id of frames held by this pin (never a ClientId)
    ClientId owner = kDaemon;     // user pins: the hosting client
    PinHolders holders;           // plain clients holding it out of STOP, with their claims
    bool dynamic = false;         // created by create_user_pin
    std::optional<proto::AllocatorFramingEx> framing;
    std::unique_ptr<PinStateMachine> sm;
    Pin* peer = nullptr;   // the connected pin
    Pipe* pipe = nullptr;  // committed decision covering this pin
    // The other pin of its filter's in-place pair (negotiation's rule: one input, one output, both
    // INPLACE_MODIFIER), set at create. In one pipe the pair is one pipe section (Kernel::Impl::
    // send_on); the output pin of a pair never takes frames from its pool.
    Pin* in_place = nullptr;
    std::unique_ptr<StreamQueue> queue;  // driver pins: the frames the driver is given
    std::optional<StreamingThread> streaming;
    std::shared_ptr<shm::DmaAllocator> vendor;          // the pin's KSALLOCATOR_DISPATCH (if declared)
    std::unique_ptr<Verifier> verifier;                 // driver pins: their misuse of the driver API
    std::unique_ptr<DriverPin> driver;                  // driver pins: the minidriver's pin, hosted
    std::shared_ptr<DriverAllocator> driver_allocator;  // its KSALLOCATOR_DISPATCH (if it has one)
    BuiltinPinLink builtin;                             // built-in driver pins: what their driver shares
    std::shared_ptr<DeliveryTarget> delivery;           // user pins: the owner's rings (attach_delivery)
    shm::DmaCallCounts vendor_calls_retired{};          // calls of vendor instances already deleted
    std::vector<proto::Fault> faults;                   // injected from the topology's /faults
    std::optional<ReleaseStall> stall;                  // sink pins with a stall_releases fault
    std::optional<DisconnectCountdown> disconnect;      // user pins with a disconnect_client fault

    [[nodiscard]] const proto::Fault* fault(proto::FaultKind kind) const {
        for (const auto& f : faults)
            if (f.kind == kind) return &f;
        return nullptr;
    }

    // Statistics.
    std::uint64_t completed = 0;
    std::uint64_t dropped = 0;
    std::uint64_t latency_samples = 0;
    double latency_sum_us = 0;
    double latency_max_us = 0;
    std::uint64_t hold_samples = 0;
    double hold_sum_us = 0;
    double hold_max_us = 0;
    std::uint64_t skipped_seen = 0;          // BuiltinPinLink::frames_skipped already added to `dropped`
    bool accepting = false;                  // driver pins: the queue takes frames (PAUSE/RUN)
    bool running = false;                    // driver pins: RUN (the driver's timers run)
    std::deque<PendingCopy> pending_copies;  // in-place inputs: frames waiting for an output frame

    Pin(Kernel::Impl& k, FilterRuntime& f, proto::PinDescriptor d);
    Result<void> on_transition(proto::PinState from, proto::PinState to) override;
    [[nodiscard]] proto::PinState state() const { return sm->state(); }
    [[nodiscard]] bool kernel_hosted() const { return desc.hosting == proto::PinHosting::Kernel; }
    [[nodiscard]] bool in_place_output() const {
        return in_place != nullptr && desc.direction == proto::PinDirection::Out;
    }
};

struct FilterRuntime {
    proto::FilterDescriptor desc;
    std::vector<std::unique_ptr<Pin>> pins;
    ClientId creator = kDaemon;  // filters created by create_user_pin
    // A minidriver filter with a filter-centric Process (after `pins`: it goes first).
    std::unique_ptr<DriverFilter> driver;
};

struct Delivery {
    ClientId owner;
    PinRef pin;
    shm::FrameHandle frame;
    proto::StreamHeader header;
};

struct Outbox {
    std::vector<KernelEvent> events;
    std::vector<Delivery> deliveries;
    std::vector<std::thread> joins;  // streaming threads to join once unlocked
    // Targets delivered to (DeliveryTarget::after_delivery once unlocked), each once.
    std::vector<std::shared_ptr<DeliveryTarget>> delivered;
    [[nodiscard]] bool empty() const {
        return events.empty() && deliveries.empty() && joins.empty() && delivered.empty();
    }
};

struct Kernel::Impl {
    Impl(KernelOptions o, EventSink& e, UserPinPort& p);

    KernelOptions options;
    std::shared_ptr<Clock> clock;
    EventSink& events;
    UserPinPort& port;

    mutable std::mutex mu;
    // The instances of the built-in drivers' filters and pins (daemon/drivers/): this kernel's
    // own, so they live exactly as long as its pins (declared before `filters`: outlives them).
    std::unique_ptr<ddk_host::DriverHost> builtins;
    std::vector<std::unique_ptr<FilterRuntime>> filters;
    std::vector<std::pair<Pin*, Pin*>> connections;
    std::vector<std::unique_ptr<Pipe>> pipes;
    std::map<shm::RegionId, Pipe*> pipe_by_region;
    shm::Ledger ledger;  // who holds which frame; Pipe::held mirrors it per frame
    Outbox outbox;
    std::uint64_t next_pin_ledger_id = (1ull << 62);
    bool shut_down = false;

    // --- lookup (mu held) ---
    Pin* find_pin(const PinRef& key) const;
    Result<Pin*> pin_or_error(const PinRef& key) const;
    FilterRuntime* find_filter(std::string_view id) const;
    Pin* add_pin(FilterRuntime& filter, proto::PinDescriptor desc);

    // --- commit (kernel_commit.cpp) ---
    Result<void> commit(const AllocatorCommit& c);
    void drop_pipe(Pipe& pipe);
    // Pairs the in-place pins of `filter` (Pin::in_place) by negotiation's rule.
    void pair_in_place(FilterRuntime& filter);
    // Tells `pin`'s driver whether its in-place pair is one pipe section now (KSPROCESSPIN.
    // InPlaceCounterpart); after every change of pipes.
    void sync_in_place(Pin& pin);

    // --- states and allocators (kernel_state.cpp) ---
    Result<void> set_state(Pin& pin, proto::PinState target, const StateRequester& requester);
    // PermissionDenied unless `requester` may change `pin`'s state (StateRequester's rule).
    Result<void> check_may_change(const Pin& pin, proto::PinState target,
                                  const StateRequester& requester) const;
    // Creates the pipe's allocator for `asking`'s STOP->ACQUIRE (no-op when it exists).
    Result<void> activate(Pipe& pipe, const Pin& asking);
    // A vendor allocator's InitializeAllocator failed activating `pipe`: records it on the pipe,
    // announces it (AllocatorFailed) and returns the state change's error.
    Error allocator_failed(Pipe& pipe, const Pin& provider, const Pin& asking,
                           const proto::VendorAllocatorCaps& caps, const proto::AllocatorFraming& given,
                           std::uint32_t status, const proto::Fault* fault, Error error);
    void deactivate_if_idle(Pipe& pipe);
    // One step of a driver pin (kernel_driver.cpp): its SetDeviceState, queue and streaming.
    Result<void> driver_transition(Pin& pin, proto::PinState from, proto::PinState to);
    // Fails a pin that has no committed decision and so cannot leave STOP.
    Result<void> require_commit(const Pin& pin) const;
    void start_streaming(Pin& pin);
    void stop_streaming(Pin& pin);
    // The body of a driver pin's streaming thread (the thread its timers run on: the frame
    // clock of its hardware): sleeps until the next deadline, runs what is due, delivers what it
    // produced; returns once `stop` is set.
    void streaming_loop(Pin& pin, std::shared_ptr<StreamingControl> control);
    void emit(KernelEvent e) { outbox.events.push_back(std::move(e)); }

    // --- session end (kernel_session.cpp) ---
    // Takes `client` off every pin's holders and hosts; returns the pins whose state it alone
    // held: each with the state it goes down to (the highest claim left, STOP when none).
    struct PinRelease {
        Pin* pin;
        proto::PinState to;
    };
    std::vector<PinRelease> release_pins_of(ClientId client);
    // Removes a filter created by a client: its pins (and every pin of their pipes) to STOP,
    // their connections and pipes dropped, a FramingChanged event per removed pin.
    void remove_filter(FilterRuntime& filter, ClientId client);

    // --- data flow (kernel_flow.cpp) ---
    // The requestor: allocates frames from the pipe into a driver output pin's queue.
    void refill(Pin& out);
    // A frame of a driver's output pin completes: downstream, or home when cancelled.
    void on_output_complete(Pin& out, QueuedFrame&& frame);
    // A frame arrives at a driver's input pin: into its queue (in PAUSE and RUN), then the
    // driver's processing rules run.
    void queue_input(Pin& in, PipeFrame frame, const proto::StreamHeader& header);
    // A frame of a driver's input pin completes (consumed, or cancelled by the flush): it goes
    // back to its pool, or on through the output pin of an in-place pair (send_on).
    void on_input_complete(Pin& in, QueuedFrame&& frame);
    // The input pin of an in-place pair completed a frame: in one pipe section the same frame
    // goes to the output pin's peer; across two pipes it is copied into the output pipe.
    void send_on(Pin& in, Pin& out, PipeFrame frame, const proto::StreamHeader& header);
    void deliver(Pin& from, Pin& to, PipeFrame frame, proto::StreamHeader header, Ticks sent_at);
    // Records that `target` took a frame, for its after_delivery (see t_ticking_targets).
    void note_delivered(const std::shared_ptr<DeliveryTarget>& target);
    // An in-place pair's input frame into a fresh frame of the output pin's pipe (the pair split
    // into two pipes), then delivered downstream; the input frame goes back to its pool.
    void copy_to_output(Pin& in, Pin& out, PipeFrame frame, const proto::StreamHeader& header, Ticks sent_at);
    // One copy into a fresh output frame; false (nothing done) when the output pool is exhausted.
    bool try_copy(Pin& in, Pin& out, const PendingCopy& job);
    // Runs the copies waiting for `pipe`'s frames (called when a frame returns to its pool).
    void resume_copies(Pipe& pipe);
    // Gives every waiting input frame of `in` back (STOP, or the output side went away).
    void drop_pending_copies(Pin& in, std::string_view why);
    void give_back(PipeFrame frame, std::uint64_t holder);  // ledger release + return_to_pool
    void return_to_pool(PipeFrame frame);  // allocator free (frame no longer in the ledger), refills
    void refill_sources(Pipe& pipe);
    // User source pins with a free-frame ring (kernel_user.cpp): fill it from the pipe's pool
    // (nothing in STOP), or take back and free what the client has not popped.
    void post_free_frames(Pin& source);
    void retract_free_frames(Pin& source);
    void run_due_ticks();
    void run_ticks(Pin& pin);  // a driver pin's timers due now, timeouts, stall check, drops
    [[nodiscard]] std::optional<Ticks> next_tick(const Pin& pin) const;  // its timers' or stall check's
    // The periods a built-in capture driver's hardware skipped since the last look: drops.
    void sync_drops(Pin& pin);
    std::span<std::byte> frame_bytes(const PipeFrame& f);
    std::vector<SgMapping> frame_mappings(const PipeFrame& f);  // built once per frame at activate
    Pipe* pipe_of(const shm::FrameHandle& h) const;
    void note_latency(Pin& pin, Ticks sent_at);
    // A client's release: hand-off latency and hold time from `times` (ReleaseTimes).
    void note_release(Pin& pin, Ticks sent_at, const ReleaseTimes& times);
    Result<void> hold(const shm::FrameHandle& h, std::uint64_t owner);                   // ledger.record
    Result<void> pass(const shm::FrameHandle& h, std::uint64_t from, std::uint64_t to);  // ledger.transfer
    Result<void> unhold(const shm::FrameHandle& h, std::uint64_t owner);                 // ledger.release
    HeldFrame* held_frame(const shm::FrameHandle& h) const;  // its slot, or null (no such pool/index)
    Pin* holder_pin(std::uint64_t ledger_id) const;

    // --- stall_releases and disconnect_client (kernel_faults.cpp) ---
    // Whether a frame `pin` gives back now stays with the pin: its stall is running, or armed
    // (then the frame starts it). Never in STOP.
    [[nodiscard]] bool holds_back(const Pin& pin) const;
    // Keeps `ref` (already held by the pin's ledger id) until the stall ends; starts it if armed.
    void hold_back(Pin& pin, PipeFrame ref);
    // Every held frame back to the pool at once. From the timer thread itself: `own_timer`.
    void end_stall(Pin& pin, std::string_view why, bool own_timer = false);
    void end_due_stalls();  // advance_time: stalls whose time is up
    // The pin's stall: armed on entering RUN, ended (frames home, timer stopped) on STOP.
    void stall_on_transition(Pin& pin, proto::PinState from, proto::PinState to);
    // The body of a stall's timer thread: sleeps until the stall's end, ends it, returns.
    void stall_timer_loop(Pin& pin, std::shared_ptr<StreamingControl> control);
    // A frame crossed the user pin (delivered to or submitted by its host): counts toward its
    // disconnect_client fault, which emits ClientDisconnectDue once.
    void count_crossing(Pin& pin);

    // Delivers the outbox after the lock is gone (events, user hand-offs, thread joins).
    void flush(std::unique_lock<std::mutex>& lock);
};

PinRole role_for(const proto::FilterDescriptor& filter, const proto::PinDescriptor& pin);
Ticks frame_period(const proto::FilterDescriptor& filter);
// `from` was connected to `to`: `to`'s built-in driver may read what its upstream's link says
// (BuiltinPinLink::upstream, e.g. the test pattern a video capture pin draws).
void link_upstream(const Pin& from, Pin& to);
// The format of the data crossing topology pin `pin` of `filter`, by Kernel::data_format's rule
// (kernel_format.cpp) but from the topology alone: what a built-in driver's pin is created with.
std::optional<proto::DataFormat> topology_format(const proto::Topology& topology,
                                                 const proto::FilterDescriptor& filter,
                                                 const proto::PinDescriptor& pin);

}  // namespace ksim::daemon
