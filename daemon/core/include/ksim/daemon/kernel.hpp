// The daemon's "kernel": one thread-safe facade over the simulated filters, kernel-hosted pins,
// allocators, pools and hardware. No socket I/O; daemon/server translates protocol messages into
// calls on this class (docs/daemon.md). Every call may come from any thread; streaming threads
// (one per running source pin) call back into EventSink and UserPinPort without holding locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ksim/daemon/clock.hpp"
#include "ksim/negotiation/record.hpp"
#include "ksim/proto/client_id.hpp"
#include "ksim/proto/error.hpp"
#include "ksim/proto/framing.hpp"
#include "ksim/proto/stream_header.hpp"
#include "ksim/proto/topology.hpp"
#include "ksim/shm/dma_allocator.hpp"
#include "ksim/shm/frame.hpp"
#include "ksim/shm/region.hpp"

namespace ksim::ddk_host {
class DriverHost;
}

namespace ksim::daemon {

using proto::ClientId;
using proto::kDaemon;  // the daemon itself

// The kernel keys its pins by the topology's "filter.pin" reference (proto/topology.hpp).
using proto::PinRef;

// What the graph manager commits for one pipe (one or more connections sharing frames).
struct AllocatorCommit {
    // Default: the kernel pool sized from the framing; Vendor: the provider pin's
    // KSALLOCATOR_DISPATCH allocator; User: a user-mode pool of client-mappable memory.
    using Kind = proto::AllocatorKind;
    std::vector<std::pair<PinRef, PinRef>> connections;  // the pipe's connections (from -> to)
    Kind kind = Kind::Default;
    PinRef provider;  // pin that provides the allocator
    proto::Guid memory_type{};
    std::uint32_t frame_size = 0;
    std::uint32_t frames = 0;
    std::uint32_t alignment_mask = 0;
};

// Why a pipe's vendor allocator is not running: its InitializeAllocator (a minidriver's own
// routine, or a declared allocator's under a vendor_initialize_fails fault) failed the pipe's
// first STOP->ACQUIRE, as in AVStream, and the asking pin stayed in STOP (docs/minidriver.md,
// "When it fails"). Kept with the pipe's decision until an activation of the pipe succeeds.
struct AllocatorFailure {
    std::string routine = "InitializeAllocator";
    std::uint32_t status = 0;          // the NTSTATUS it returned
    std::string status_name;           // proto::ntstatus_name(status): "STATUS_... (0x...)"
    proto::AllocatorFraming framing;   // the KSALLOCATOR_FRAMING it was given
    proto::VendorAllocatorCaps caps;   // what its declared capabilities promised negotiation
    PinRef provider;                   // the pin whose allocator it is
    PinRef asked_by;                   // the pin whose STOP->ACQUIRE ran it
    Ticks at = 0;                      // kernel clock
    std::optional<std::string> fault;  // JSON pointer of the fault that injected it, if one did
    std::string message;               // the error the state change returned
};

// One misuse of the driver API the verifier caught on a driver pin (docs/minidriver.md, "Verifier").
struct VerifierViolation {
    std::string rule;     // stable id, "verifier.unlock-unlocked"
    std::string routine;  // the routine the driver called (or ksim's step that found it)
    std::string message;
    Ticks at = 0;           // ksim's clock
    std::uint64_t nth = 0;  // the how-manieth violation of this rule on this pin
};

// Asynchronous events for subscribers.
struct KernelEvent {
    enum class Type {
        StateChanged,
        FrameDropped,
        AllocatorCommitted,
        ClientGone,
        FramingChanged,
        // A disconnect_client fault fired on `pin`: whoever owns the sessions closes `client`'s
        // as if the client had died (the kernel has no sessions; `detail` is the reason to log).
        ClientDisconnectDue,
        // A vendor allocator's InitializeAllocator failed a state change (`failure` says how).
        AllocatorFailed,
        // The verifier caught a driver pin misusing the driver API (first time per rule per
        // pin): `violation` and `driver` say which, `detail` is "<rule id>: <routine>: <message>"
        // (Kernel::verifier_report has all).
        VerifierViolation,
    };
    Type type = Type::StateChanged;
    PinRef pin;
    std::string detail;
    proto::PinState state{};    // StateChanged: the state just entered
    ClientId client = kDaemon;  // ClientGone, ClientDisconnectDue: the client; otherwise the requester if any
    std::optional<AllocatorFailure> failure = std::nullopt;     // AllocatorFailed
    std::optional<VerifierViolation> violation = std::nullopt;  // VerifierViolation
    std::string driver = {};                                    // VerifierViolation: the module's path
};
std::string_view to_string(KernelEvent::Type t);

class EventSink {
public:
    virtual ~EventSink() = default;
    virtual void on_event(const KernelEvent&) = 0;
};

// Where a kernel pin delivers a completed frame whose connected pin is hosted by a client.
// Implemented by the server (it owns the client rings); called from the daemon's streaming
// threads with no kernel lock held. Returning false means "could not hand off" (ring full, client
// gone): the kernel counts a drop and returns the frame to its pool.
class UserPinPort {
public:
    virtual ~UserPinPort() = default;
    virtual bool deliver(ClientId owner, const PinRef& user_pin, const shm::FrameDescriptor&,
                         const proto::StreamHeader&) = 0;
};

// A client's data path for one user pin (its descriptor rings), resolved once when the client
// opens the pin's stream and attached with Kernel::attach_delivery, so a hand-off does no lookup
// and no allocation. Called with the kernel's lock held: must not block, must not call back into
// the Kernel.
class DeliveryTarget {
public:
    virtual ~DeliveryTarget() = default;
    // A completed frame for the client's sink pin; false = it cannot take it now (a drop).
    virtual bool try_deliver(const shm::FrameDescriptor&, const proto::StreamHeader&) = 0;
    // A frame went back to the pool of the client's source pin (wakes acquire_frame waiters).
    virtual void frame_freed() = 0;

    // Where a sink client's quiet releases are taken where ksimd already runs (docs/memory.md,
    // "Lazy release"). Unlike the calls above, these run WITHOUT the kernel lock, in the thread
    // that delivered, and may call the Kernel (release_frame):
    //   - after_delivery: after every try_deliver that succeeded, once the lock is released;
    //     and on every tick of a streaming thread that has delivered here, between
    //     ticks_started() and ticks_ended();
    //   - ticks_started (with the lock held: must not block): a streaming thread delivered here
    //     for the first time and will call after_delivery on each of its ticks;
    //   - ticks_ended: that streaming thread stops, its ticks no longer take the releases.
    virtual void after_delivery() {}
    virtual void ticks_started() {}
    virtual void ticks_ended() {}

    // Source pins whose client asked for a free-frame ring: the kernel keeps up to a bounded
    // number of free frames of the pin's pool posted there, each recorded in the ledger as held
    // by the client (as acquire_frame does). All three are called with the kernel lock held.
    // How many more free frames the ring takes now (0: full, or no free-frame ring).
    virtual std::uint32_t free_frame_room() { return 0; }
    // Posts one free frame; false if it could not be posted (the kernel takes it back).
    virtual bool post_free_frame(const shm::FrameDescriptor&) { return false; }
    // Takes back the posted frames the client has not popped yet (STOP, re-open).
    virtual std::vector<shm::FrameDescriptor> retract_free_frames() { return {}; }
};

// Who asks for a state change, and with what authority (docs/daemon.md, "Pin holders"). A plain
// client may change only a pin in STOP, a pin it hosts, or a pin it holds (moved out of STOP, or
// joined by asking for the state it is in); it holds the pin at the state it asked for, and
// lowering a pin others hold lowers only that claim. A privileged requester (the graph manager,
// an operator, the daemon itself) may change any pin and never becomes a holder.
struct StateRequester {
    ClientId client = kDaemon;
    std::string name;         // the client's hello name, for messages ("" = none given)
    bool privileged = false;  // graph manager / operator role; kDaemon always is
    // "client 3 (viewer)", "client 3", or "the daemon".
    [[nodiscard]] std::string describe() const;
};

struct KernelOptions {
    std::string shm_prefix = "ksim";  // names regions "<prefix>-<pipe>"
    std::shared_ptr<Clock> clock;     // null = SteadyClock; tests inject a FakeClock
    bool streaming_threads = true;    // false: tests drive time with Kernel::advance_time
    // The time slice each streaming thread asks the scheduler for (EEVDF's per-task slice, Linux
    // 6.12+; 0: the kernel's default, 0.7-3 ms). Longer than the default, so that a thread it
    // wakes (the viewer of a frame it published) has the shorter slice and, by EEVDF's rule,
    // preempts it at once instead of waiting until it sleeps (docs/performance.md, "Capture
    // under CPU load").
    std::chrono::microseconds streaming_slice{20'000};
    // The driver host the topology was loaded through: it holds the pin instances of the
    // topology's driver filters (docs/minidriver.md). Required when the topology has any.
    std::shared_ptr<ddk_host::DriverHost> drivers;
};

// One pin as the kernel sees it now (Kernel::filters); the server answers list with it.
struct PinSnapshot {
    PinRef key;
    proto::PinDirection direction = proto::PinDirection::Out;
    proto::PinHosting hosting = proto::PinHosting::Kernel;
    proto::PinState state = proto::PinState::Stop;
    ClientId owner = kDaemon;       // client hosting a user pin; 0 for kernel pins
    std::vector<ClientId> holders;  // plain clients holding it out of STOP (empty in STOP)
    ClientId creator = kDaemon;     // the client whose create_pin made it (removed with it)
    // Current (format-edited) framing as the engine and commit validation use it; for a pin
    // that declares only the legacy property this is KsProxy's conversion of it.
    std::optional<proto::AllocatorFramingEx> framing;
    // Set when the pin answers only KSPROPERTY_CONNECTION_ALLOCATORFRAMING (FramingProp Old): it
    // declared no _EX and no format edit applies to it. Such a pin does not answer _EX.
    std::optional<proto::AllocatorFraming> legacy_framing;
    proto::Guid medium = proto::medium::kStandard;          // KSPROPERTY_PIN_MEDIUMS: Medium.Set (the bus)
    std::optional<std::string> vendor_allocator;            // name of the pin's KSALLOCATOR_DISPATCH
    std::optional<proto::VendorAllocatorCaps> vendor_caps;  // its capabilities
    bool committed = false;                                 // an allocator decision covers this pin
    std::string allocator;  // "" or "default"/"vendor:<name>"/"user" once committed
};

// One filter and its pins now (Kernel::filters).
struct FilterSnapshot {
    std::string id;
    proto::FilterKind kind = proto::FilterKind::VideoCapture;
    std::vector<PinSnapshot> pins;
    std::optional<proto::VideoParams> video;  // the data format its topology declares, if any
    std::optional<proto::AudioParams> audio;
};

// KSSTREAMALLOCATOR_STATUS: the framing in use and the frames currently allocated.
struct StreamAllocatorStatus {
    proto::AllocatorFraming framing;
    std::uint32_t allocated_frames = 0;
    bool active = false;  // an allocator instance exists (pin's pipe is at ACQUIRE or above)
};

// When a released frame was published to the client, taken by it and released, on the kernel's
// clock (ksimd's is steady_clock, the clock ring entries are stamped with); 0 = not known.
// Without `taken` the whole time since the frame left its source counts as hand-off latency.
struct ReleaseTimes {
    Ticks published = 0;  // 0: when it left its source
    Ticks taken = 0;
    Ticks released = 0;  // 0: now
};

struct PinStats {
    std::uint64_t completed = 0;  // frames this pin completed (source) or consumed (sink)
    std::uint64_t dropped = 0;    // frame periods with no buffer, or hand-offs refused
    std::uint64_t in_flight = 0;  // frames of this pin's pipe currently outstanding
    std::string allocator;        // "" when none
    std::uint64_t latency_samples = 0;
    double latency_avg_us = 0;  // hand-off latency: completion at the source -> delivery
    double latency_max_us = 0;
    std::uint64_t hold_samples = 0;  // client pins: taken -> released (ReleaseTimes)
    double hold_avg_us = 0;
    double hold_max_us = 0;
    std::uint64_t check_failures = 0;  // kernel sinks: frames whose checks failed (order, size)
    // Pins declaring a vendor allocator: how often each KSALLOCATOR_DISPATCH callback ran
    // (initialize stays 0 unless the allocator was selected and the pipe reached ACQUIRE).
    std::optional<shm::DmaCallCounts> vendor_calls;
    std::string vendor_name;          // the vendor allocator's name (when vendor_calls is set)
    bool vendor_initialized = false;  // an instance of it exists now (its pipe is active)
    // Why it is not running: the failure its pipe recorded, when this pin provides the pipe's
    // allocator and its last activation failed in InitializeAllocator.
    std::optional<AllocatorFailure> vendor_failure = std::nullopt;
    std::uint64_t verifier_violations = 0;  // driver pins: misuses the verifier caught (all rules)
};

// The verifier's record of a driver pin (docs/minidriver.md, "Verifier"): bounded whatever the
// driver does — a count per rule and the last few violations.
struct VerifierRuleCount {
    std::string rule;
    std::uint64_t count = 0;
    std::string hint;  // what a correct driver does
};
struct VerifierReport {
    std::string driver;  // the module's path
    PinRef pin;
    std::uint64_t total = 0;
    std::vector<VerifierRuleCount> counts;  // rules violated at least once, in rule-table order
    std::vector<VerifierViolation> recent;  // oldest first
};

// One connection now, with the pipe decision covering it (Kernel::connections).
struct ConnectionSnapshot {
    PinRef from;
    PinRef to;
    bool kernel_mode = true;                  // both ends kernel-hosted
    std::optional<AllocatorCommit> decision;  // committed pipe decision covering it
    std::optional<AllocatorFailure> allocator_failure =
        std::nullopt;  // its pipe's, if the last activation failed
};

// What a client needs to map a pin's frames: the regions (fds via shm::Region::share) and the
// access it gets. Producers get ReadWrite, consumers ReadOnly.
struct RegionGrant {
    std::uint64_t region_id = 0;
    std::size_t size = 0;
    shm::Access access = shm::Access::ReadOnly;
    // Byte offset of every frame in the region, by frame index: the client needs the exact
    // layout (alignment padding, DMA boundary gaps) to find a frame from its descriptor.
    std::vector<std::uint64_t> frame_offsets;
    std::shared_ptr<const shm::Region> region;  // keeps the region alive while the grant is sent
};
struct StreamGrant {
    PinRef pin;
    std::vector<RegionGrant> regions;
    std::uint32_t frame_size = 0;
    std::uint32_t frames = 0;
};

// One frame not in its pool and who holds it: a line of Kernel::ledger.
struct LedgerRecord {
    shm::FrameDescriptor frame{};
    ClientId owner = kDaemon;  // 0 = held inside the daemon (a pin's queue)
    PinRef holder;             // pin holding it (queue or client pin)
    std::string pipe;          // pipe (allocator instance) name
};

class Kernel {
public:
    static Result<std::unique_ptr<Kernel>> create(const proto::Topology&, KernelOptions, EventSink&,
                                                  UserPinPort&);
    ~Kernel();
    Kernel(const Kernel&) = delete;
    Kernel& operator=(const Kernel&) = delete;

    std::vector<FilterSnapshot> filters() const;
    // One pin as filters() lists it, without copying the others. NotFound names the pin, with
    // the config loader's wording and hint.
    Result<PinSnapshot> pin(const PinRef&) const;
    // KSPROPERTY_CONNECTION_ALLOCATORFRAMING_EX: the current framing. Unsupported for a pin that
    // answers only the legacy property (PinSnapshot::legacy_framing) or no framing at all.
    Result<proto::AllocatorFramingEx> allocator_framing_ex(const PinRef&) const;
    // KSPROPERTY_CONNECTION_ALLOCATORFRAMING (legacy): answered only by legacy-only pins.
    Result<proto::AllocatorFraming> allocator_framing(const PinRef&) const;
    Result<StreamAllocatorStatus> allocator_status(const PinRef&) const;
    // KSPROPERTY_CONNECTION_DATAFORMAT: the format of the data crossing the pin (kernel_format.cpp
    // has the rule). NotFound for an unknown pin or one whose data has no known format.
    Result<proto::DataFormat> data_format(const PinRef&) const;
    Result<PinStats> stats(const PinRef&) const;
    // Zeroes the counters `ksimctl stats --reset` resets (wire::ResetStatisticsRequest says which)
    // of `pin`, or of every pin when absent; returns how many pins. NotFound for an unknown pin.
    Result<std::uint64_t> reset_stats(const std::optional<PinRef>& pin);
    // Driver pins: what the verifier caught. NotFound for an unknown pin, InvalidParameter for a
    // pin that is not a driver's.
    Result<VerifierReport> verifier_report(const PinRef&) const;
    std::vector<ConnectionSnapshot> connections() const;
    Result<void> commit(const AllocatorCommit&);  // re-validated; never trusted blindly
    // Walks each intermediate state (one StateChanged event per step). Stops at the first step
    // that fails and returns its error; the pin stays in the last state reached. PermissionDenied
    // (naming the holders or the host) when a plain client changes a pin that is not its own.
    Result<void> set_state(const PinRef&, proto::PinState target, const StateRequester& requester);
    // The same for a client without a name; kDaemon is privileged, any other id a plain client.
    Result<void> set_state(const PinRef& key, proto::PinState target, ClientId requester) {
        return set_state(key, target, StateRequester{requester, {}, requester == kDaemon});
    }
    Result<PinRef> create_user_pin(ClientId, const proto::PinDescriptor&, std::string filter_id);
    Result<void> connect(ClientId, const PinRef& from, const PinRef& to);
    Result<StreamGrant> open_stream(ClientId, const PinRef&);
    // Routes the pin's hand-offs to `target` (null detaches: back to UserPinPort) until the
    // client goes. Errors: NotFound, PermissionDenied (the pin is not hosted by `client`).
    Result<void> attach_delivery(ClientId, const PinRef&, std::shared_ptr<DeliveryTarget> target);
    // A consumer returns a frame. `times` (when the client says) split its time out of the pool
    // into the hand-off latency (published -> taken) and the hold time (taken -> released).
    Result<void> release_frame(ClientId, const shm::FrameDescriptor&, const ReleaseTimes& times = {});
    Result<shm::FrameDescriptor> acquire_frame(ClientId, const PinRef&);  // user source: writable frame
    Result<void> submit_frame(ClientId, const PinRef&, const shm::FrameDescriptor&,
                              const proto::StreamHeader&);
    // The client's session ended (like closing a process's handles): its frames go back to their
    // pools (exactly once); every pin it held or hosted that no other client holds returns to
    // STOP; the pins it created (create_user_pin) are removed, with their connections and pipes.
    void client_gone(ClientId);
    std::vector<LedgerRecord> ledger() const;
    void shutdown();  // STOP every pin, free everything; idempotent

    // The driver description the kernel was created from (fixed for its lifetime).
    [[nodiscard]] const std::string& topology_name() const { return topology_name_; }
    [[nodiscard]] const std::vector<proto::CustomMemoryType>& memory_types() const { return memory_types_; }

    // Deterministic time for tests (KernelOptions::streaming_threads = false): runs every
    // hardware tick whose deadline is <= the clock's now().
    void advance_time();

    struct Impl;

private:
    explicit Kernel(std::unique_ptr<Impl>);
    std::unique_ptr<Impl> impl_;
    std::string topology_name_;
    std::vector<proto::CustomMemoryType> memory_types_;
};

}  // namespace ksim::daemon
