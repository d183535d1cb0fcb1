// Typed bodies of every control-protocol message (see message_table.hpp for the names and
// docs/protocol.md for examples). Each struct names the MessageType it travels as (`kType`);
// reply structs carry the type of the request they answer. Bodies are flat JSON objects with
// named fields next to the envelope fields ("type", "id", "ok", "error"), never positional.
// from_json throws std::invalid_argument naming the field; use decode_body (envelope.hpp) to get
// a Result instead. Unknown fields are ignored so that newer peers can add optional fields.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ksim/proto/client_id.hpp"
#include "ksim/proto/framing.hpp"
#include "ksim/proto/stream_header.hpp"
#include "ksim/proto/topology.hpp"
#include "ksim/shm/frame.hpp"
#include "ksim/shm/region.hpp"
#include "ksim/wire/message_table.hpp"

namespace ksim::wire {

using proto::ClientId;  // proto::kDaemon (0) = ksimd itself

// A frame on the wire: (region, index, generation). The daemon validates every one it receives.
struct FrameRef {
    std::uint32_t region = 0;  // shm::RegionId; 0 is never valid
    std::uint32_t index = 0;
    std::uint32_t generation = 0;
    friend bool operator==(const FrameRef&, const FrameRef&) = default;
};
// The one conversion between the wire's frame and the rings' and allocators' descriptor.
[[nodiscard]] FrameRef to_frame_ref(const shm::FrameDescriptor& frame);
[[nodiscard]] shm::FrameDescriptor to_descriptor(const FrameRef& ref);

// ---- handshake --------------------------------------------------------------------------
// The longest `client_name` (bytes): ksimd keeps the name for the session's lifetime and with
// every pin the client holds, and repeats it in messages, so it is bounded like pin ids.
inline constexpr std::size_t kMaxClientNameBytes = 128;
struct Hello {
    static constexpr MessageType kType = MessageType::Hello;
    std::uint32_t protocol_version = kProtocolVersion;
    Role role = Role::Client;
    std::string client_name;
};
struct Welcome {
    static constexpr MessageType kType = MessageType::Hello;
    ClientId client_id = 0;
    std::uint32_t protocol_version = kProtocolVersion;
    std::string daemon_version;
};

// ---- inspection -------------------------------------------------------------------------
// `list` pages (docs/protocol.md): a request names the index of the first filter it wants
// (`offset`, default 0) and how many filters at most (`max_filters`, default
// kListDefaultMaxFilters, at most kListMaxFilters); ksimd also ends a page early so that the
// reply fits in kMaxMessageBytes. A reply that is not the last page carries `next_offset` and
// `more`; Client::list follows the pages.
inline constexpr std::uint32_t kListDefaultMaxFilters = 64;
inline constexpr std::uint32_t kListMaxFilters = 1024;
struct ListRequest {
    static constexpr MessageType kType = MessageType::List;
    std::optional<std::string> filter;         // only this filter; all when absent
    std::optional<std::uint32_t> offset;       // index of the first filter of the page; absent = 0
    std::optional<std::uint32_t> max_filters;  // 1..kListMaxFilters; absent = kListDefaultMaxFilters
};
struct PinInfo {
    std::string id;
    proto::PinDirection direction = proto::PinDirection::Out;
    proto::PinHosting hosting = proto::PinHosting::Kernel;
    proto::PinState state = proto::PinState::Stop;
    ClientId owner = 0;  // client hosting the pin; 0 = ksimd
    proto::FramingProp framing_prop = proto::FramingProp::None;
    std::optional<std::string> vendor_allocator;  // KSPIN_DISPATCH.Allocator name, if any
    std::optional<std::string> connected_to;      // "filter.pin"
    std::optional<std::string> allocator;         // committed allocator: "default", "vendor:NAME", "user"
    // KSPROPERTY_PIN_MEDIUMS: the pin's Medium.Set (its bus, for memory-type matching). On the
    // wire a bus type name ("STANDARD", "PCI", ...) or a GUID; absent = STANDARD (older daemons).
    proto::Guid medium = proto::medium::kStandard;
    // The capabilities of the pin's KSALLOCATOR_DISPATCH ("vendor_allocator_caps"), in the config
    // form of ksim/proto/framing_json.hpp; set whenever `vendor_allocator` is.
    std::optional<proto::VendorAllocatorCaps> vendor_allocator_caps;
};
struct FilterInfo {
    std::string id;
    proto::FilterKind kind = proto::FilterKind::VideoCapture;
    std::vector<PinInfo> pins;
    // The data format of the filter's streams as its topology declares it (what
    // KSPROPERTY_CONNECTION_DATAFORMAT answers in KS): "video" {"format", "width", "height",
    // "fps": [n, d]} or "audio" {"sample_rate", "channels", "bits_per_sample",
    // "frames_per_period"}; absent for filters that declare none (and from older daemons).
    std::optional<proto::VideoParams> video = std::nullopt;
    std::optional<proto::AudioParams> audio = std::nullopt;
};
struct ListReply {
    static constexpr MessageType kType = MessageType::List;
    std::vector<FilterInfo> filters;
    // The driver description the daemon runs: its topology name ("topology") and the device
    // memory types it declares ("memory_types", {"NAME": "GUID"} as in configs). Both absent
    // from daemons that predate them.
    std::optional<std::string> topology;
    std::vector<proto::CustomMemoryType> memory_types;
    // Paging: the offset of the next page, absent on the last page (and from older daemons, which
    // send everything at once). `more` is true exactly when next_offset is set.
    std::optional<std::uint32_t> next_offset;
    bool more = false;
};

// KSPROPERTY_CONNECTION_* / ksim extensions a pin answers. A pin answers exactly one of the two
// framing properties: ALLOCATORFRAMING_EX (framing_prop "ex") or the legacy ALLOCATORFRAMING
// (framing_prop "old"); asking for the other one is `unsupported`, as in KS.
enum class PropertyId {
    AllocatorFramingEx,
    StreamAllocatorStatus,
    ConnectionState,
    Statistics,
    AllocatorFraming,
    DataFormat,  // KSPROPERTY_CONNECTION_DATAFORMAT (proto::DataFormat)
};
std::string_view to_string(
    PropertyId p);  // "ALLOCATORFRAMING_EX", "STREAMALLOCATOR_STATUS", ..., "DATAFORMAT"
std::optional<PropertyId> parse_property_id(std::string_view name);

struct GetPropertyRequest {
    static constexpr MessageType kType = MessageType::GetProperty;
    proto::PinRef pin;
    PropertyId property = PropertyId::AllocatorFramingEx;
};
// KSSTREAMALLOCATOR_STATUS: the framing in use and the frames currently allocated.
struct StreamAllocatorStatus {
    proto::AllocatorFraming framing;
    std::uint32_t allocated_frames = 0;
};
struct ConnectionState {
    proto::PinState state = proto::PinState::Stop;
    std::optional<proto::PinRef> peer;
    bool committed = false;  // an allocator decision is committed for the pin's connection
};
// How often each KSALLOCATOR_DISPATCH callback of a pin's vendor allocator ran, over the
// daemon's lifetime (every instance the pin's pipes created). "delete" on the wire.
struct VendorAllocatorCalls {
    std::uint64_t initialize = 0;
    std::uint64_t allocate = 0;
    std::uint64_t free = 0;
    std::uint64_t remove = 0;  // DeleteAllocator
    friend bool operator==(const VendorAllocatorCalls&, const VendorAllocatorCalls&) = default;
};
// Why a pipe's vendor allocator is not running: its InitializeAllocator failed the pipe's first
// STOP -> ACQUIRE and the asking pin stayed in STOP (docs/minidriver.md, "When it fails"). ksimd
// keeps it with the pipe's decision until an activation of the pipe succeeds (or another commit
// replaces the decision); `connections`, the provider's STATISTICS and `allocator_failed` carry it.
struct AllocatorFailure {
    std::string routine;                      // "InitializeAllocator"
    std::uint32_t status = 0;                 // the NTSTATUS it returned
    std::string status_name;                  // "STATUS_INSUFFICIENT_RESOURCES (0xC000009A)"
    proto::AllocatorFraming framing;          // the KSALLOCATOR_FRAMING it was given
    proto::VendorAllocatorCaps capabilities;  // what its declared capabilities promised negotiation
    proto::PinRef provider;                   // the pin whose allocator it is
    proto::PinRef asked_by;                   // the pin whose STOP -> ACQUIRE ran it
    std::uint64_t at_ns = 0;                  // ksimd's monotonic clock
    std::optional<std::string> fault;  // JSON pointer of the vendor_initialize_fails fault, if injected
    std::string message;               // the error the set_state got
};
struct VendorAllocatorStats {
    std::string name;
    bool initialized = false;  // an instance exists now (selected, pipe at ACQUIRE or above)
    VendorAllocatorCalls calls;
    // Set while its pipe's last activation failed in InitializeAllocator ("last_failure").
    std::optional<AllocatorFailure> last_failure = std::nullopt;
};
// A driver pin's verifier record (docs/minidriver.md, "Verifier"): the rules the driver broke,
// how often, and the last few violations.
struct VerifierRuleCount {
    std::string rule;  // stable id, "verifier.unlock-unlocked"
    std::uint64_t count = 0;
    std::string hint;
    friend bool operator==(const VerifierRuleCount&, const VerifierRuleCount&) = default;
};
struct VerifierViolation {
    std::string rule;
    std::string routine;
    std::string message;
    std::uint64_t at_ns = 0;  // ksimd's clock
    std::uint64_t nth = 0;    // the how-manieth violation of this rule on this pin
    friend bool operator==(const VerifierViolation&, const VerifierViolation&) = default;
};
struct VerifierStats {
    std::string driver;  // the module's path
    std::uint64_t total = 0;
    std::vector<VerifierRuleCount> rules;
    std::vector<VerifierViolation> recent;  // oldest first
    friend bool operator==(const VerifierStats&, const VerifierStats&) = default;
};
struct PinStatistics {
    std::uint64_t completed = 0;
    std::uint64_t dropped = 0;
    std::uint64_t in_flight = 0;
    std::optional<std::string> allocator;  // allocator in use
    // Hand-off latency: from the frame's completion upstream (ksimd publishing it) to its
    // delivery — a kernel pin taking it, or a client taking it off its to_client ring.
    std::uint64_t latency_avg_ns = 0;
    std::uint64_t latency_max_ns = 0;
    std::optional<VendorAllocatorStats> vendor_allocator;  // pins that declare a vendor allocator
    std::optional<VerifierStats> verifier;                 // minidriver pins
    // Hold time of a client pin's frames: from the client taking a frame to its release
    // ("hold_avg_ns", "hold_max_ns"; 0 for kernel pins and from older daemons).
    std::uint64_t hold_avg_ns = 0;
    std::uint64_t hold_max_ns = 0;
};
// Exactly one of the optionals is set, matching `property`.
struct GetPropertyReply {
    static constexpr MessageType kType = MessageType::GetProperty;
    proto::PinRef pin;
    PropertyId property = PropertyId::AllocatorFramingEx;
    std::optional<proto::AllocatorFramingEx> framing;
    std::optional<StreamAllocatorStatus> status;
    std::optional<ConnectionState> connection;
    std::optional<PinStatistics> statistics;
    std::optional<proto::AllocatorFraming> legacy_framing;  // ALLOCATORFRAMING ("legacy_framing")
    // DATAFORMAT ("data_format"): {"video": {...}} or {"audio": {...}}, each as in configs.
    std::optional<proto::DataFormat> data_format = std::nullopt;
};

using proto::AllocatorKind;  // default kernel pool / vendor / user-mode pool
using proto::parse_allocator_kind;
using proto::to_string;

// What the graph manager commits for one pipe, and what `connections` reports back.
struct AllocatorDecision {
    AllocatorKind kind = AllocatorKind::Default;
    proto::PinRef provider;
    proto::Guid memory_type{};
    std::uint32_t frame_size = 0;
    std::uint32_t frames = 0;
    std::uint32_t alignment_mask = 0;
};
// `connections` and `ledger` page as `list` does (docs/protocol.md): `offset` and a page size
// (`max_connections` / `max_entries`, 1 to the maximum, absent = the maximum, so that a client
// older than paging still gets everything that fits in one message); ksimd ends a page early so
// that it fits in kMaxMessageBytes, and a reply that is not the last page carries `next_offset`
// and `more`. Client::connections and Client::ledger follow the pages.
inline constexpr std::uint32_t kConnectionsMaxPerPage = 4096;
inline constexpr std::uint32_t kLedgerMaxPerPage = 4096;
struct ConnectionsRequest {
    static constexpr MessageType kType = MessageType::Connections;
    std::optional<std::uint32_t> offset;           // index of the first connection; absent = 0
    std::optional<std::uint32_t> max_connections;  // 1..kConnectionsMaxPerPage; absent = the maximum
};
struct ConnectionInfo {
    proto::PinRef from;
    proto::PinRef to;
    std::optional<AllocatorDecision> decision;  // absent until committed
    // The pipe's vendor allocator failed its last activation ("allocator_failure").
    std::optional<AllocatorFailure> allocator_failure = std::nullopt;
};
struct ConnectionsReply {
    static constexpr MessageType kType = MessageType::Connections;
    std::vector<ConnectionInfo> connections;
    std::optional<std::uint32_t> next_offset;  // absent on the last page; `more` is true exactly when set
    bool more = false;
};

// ---- graph building and states --------------------------------------------------------------
// A user-hosted pin instance on a UserSource/UserSink filter; the session hosts it.
struct CreatePinRequest {
    static constexpr MessageType kType = MessageType::CreatePin;
    std::string filter;
    std::string id;  // the pin id; on the wire "pin_id" (the envelope owns "id")
    proto::PinDirection direction = proto::PinDirection::In;
    std::optional<proto::AllocatorFramingEx> framing;
};
struct CreatePinReply {
    static constexpr MessageType kType = MessageType::CreatePin;
    proto::PinRef pin;
};
struct ConnectRequest {
    static constexpr MessageType kType = MessageType::Connect;
    proto::PinRef from;
    proto::PinRef to;
};
struct SetStateRequest {
    static constexpr MessageType kType = MessageType::SetState;
    proto::PinRef pin;
    proto::PinState state = proto::PinState::Stop;
};
struct SetStateReply {
    static constexpr MessageType kType = MessageType::SetState;
    proto::PinRef pin;
    proto::PinState state = proto::PinState::Stop;  // the state reached
};
struct CommitRequest {
    static constexpr MessageType kType = MessageType::Commit;
    std::vector<std::pair<proto::PinRef, proto::PinRef>> connections;  // the pipe: from -> to
    AllocatorDecision decision;
};

// ---- streams --------------------------------------------------------------------------------
// A region's access is shm::Access (the mapping's mode is in its type); these are its wire names.
std::string_view to_string(shm::Access a);  // "read_only" / "read_write"
std::optional<shm::Access> parse_access(std::string_view name);

// One memory region granted to the client; its descriptor is `fds[fd_index]` of the SCM_RIGHTS
// array that travels in the same sendmsg as the reply.
struct RegionGrant {
    std::uint64_t id = 0;
    std::uint64_t size = 0;
    shm::Access access = shm::Access::ReadOnly;
    std::uint32_t fd_index = 0;
    std::vector<std::uint64_t> frame_offsets;  // byte offset of each frame, by index ("frame_offsets")
};
// A descriptor ring (shm SPSC ring) and its wake-up eventfds, also passed by fd index.
// "to_client": the daemon produces completed frames for a sink client; "to_daemon": the client
// produces (releases or submissions); "free_frames": the daemon posts free frames of the pool
// to a source client (only when its open_stream asked for it with free_frames = true).
enum class RingDirection { ToClient, ToDaemon, FreeFrames };
struct RingGrant {
    RingDirection direction = RingDirection::ToClient;
    std::uint32_t fd_index = 0;  // ring memory
    std::uint64_t size = 0;
    std::uint32_t capacity = 0;                  // descriptors
    std::optional<std::uint32_t> wake_fd_index;  // eventfd(s) the ring protocol uses, if any
    std::optional<std::uint32_t> peer_wake_fd_index;
    // free_frames rings: at most this many frames sit in the ring at once (pre-acquired for the
    // client); a client holding this many or more asks with acquire_frame instead of waiting.
    std::optional<std::uint32_t> depth = std::nullopt;
};
struct OpenStreamRequest {
    static constexpr MessageType kType = MessageType::OpenStream;
    proto::PinRef pin;
    // Source streams: the client pops free frames from a free_frames ring (absent = false, the
    // behaviour of older clients: acquire_frame on the socket).
    bool free_frames = false;
};
struct OpenStreamReply {
    static constexpr MessageType kType = MessageType::OpenStream;
    proto::PinRef pin;
    std::uint32_t frame_size = 0;
    std::uint32_t frames = 0;
    std::vector<RegionGrant> regions;
    std::vector<RingGrant> rings;  // empty: frames arrive as frame_ready events (fallback)
    std::uint32_t fd_count = 0;    // descriptors attached to this reply
};
struct ReleaseFrameRequest {
    static constexpr MessageType kType = MessageType::ReleaseFrame;
    FrameRef frame;
    // When the client took the frame (read its frame_ready), steady_clock nanoseconds: splits
    // STATISTICS into hand-off latency and hold time. Absent (older clients): all latency.
    std::optional<std::int64_t> taken_ns = std::nullopt;
};
struct AcquireFrameRequest {
    static constexpr MessageType kType = MessageType::AcquireFrame;
    proto::PinRef pin;
};
struct AcquireFrameReply {
    static constexpr MessageType kType = MessageType::AcquireFrame;
    FrameRef frame;
};
struct SubmitFrameRequest {
    static constexpr MessageType kType = MessageType::SubmitFrame;
    proto::PinRef pin;
    FrameRef frame;
    proto::StreamHeader header;
};
struct LedgerRequest {
    static constexpr MessageType kType = MessageType::Ledger;
    std::optional<std::uint32_t> offset;       // index of the first entry; absent = 0
    std::optional<std::uint32_t> max_entries;  // 1..kLedgerMaxPerPage; absent = the maximum
};
struct LedgerEntry {
    std::string pool;  // allocator instance, e.g. "cam.capture" or "vendor:dma0"
    FrameRef frame;
    std::uint64_t owner = 0;  // holding client id, 0 = ksimd
    std::string holder;       // human-readable: "client 3" or "filter.pin"
};
struct LedgerReply {
    static constexpr MessageType kType = MessageType::Ledger;
    std::vector<LedgerEntry> entries;
    std::optional<std::uint32_t> next_offset;  // absent on the last page; `more` is true exactly when set
    bool more = false;
};
struct SubscribeRequest {
    static constexpr MessageType kType = MessageType::Subscribe;
    std::vector<MessageType> events;  // empty = every event
};

// ---- status and counters ------------------------------------------------------------------------
// `status`: what an operator asks first when nothing streams — is a graph manager connected, and
// which connections have no committed allocator decision, with why when it is known.
struct StatusRequest {
    static constexpr MessageType kType = MessageType::Status;
};
struct GraphManagerInfo {
    ClientId client_id = 0;
    std::string name;  // its hello's client_name
};
// A connection without a committed decision. `rule` / `reason` are set when ksimd knows why: the
// graph manager reported the pipe unsatisfied (`report_unsatisfied`, the engine's rule id), or
// ksimd refused its commit (`rule` then the error code's name). `source` says which of the two.
struct UncommittedConnection {
    proto::PinRef from;
    proto::PinRef to;
    std::optional<std::string> rule;
    std::optional<std::string> reason;
    std::optional<std::string> source;  // "graph-manager" or "ksimd"
};
// The reply stays small: at most kStatusMaxUncommitted connections are listed; `uncommitted_total`
// counts them all.
inline constexpr std::uint32_t kStatusMaxUncommitted = 256;
struct StatusReply {
    static constexpr MessageType kType = MessageType::Status;
    std::string daemon_version;
    std::optional<std::string> topology;
    std::optional<GraphManagerInfo> graph_manager;  // absent: no graph manager is connected
    std::uint64_t connections = 0;
    std::uint64_t committed_connections = 0;
    std::vector<UncommittedConnection> uncommitted;
    std::uint64_t uncommitted_total = 0;
    // ksimd --busy-poll-drain: the drain threads of client source streams poll their rings
    // (docs/memory.md, "Busy-poll mode"), and how many such threads run now (one per open source
    // stream; each polls for up to 1 s after its stream's last submission, then sleeps). Absent
    // from an older daemon's reply: false and 0.
    bool busy_poll_drain = false;
    std::uint64_t busy_poll_drains = 0;
};
// Graph manager only: the pipe of `connections` has no allocator (the engine's failing `rule` and
// its `message`). ksimd keeps it for `status` until a commit covers the connections or they go.
struct ReportUnsatisfiedRequest {
    static constexpr MessageType kType = MessageType::ReportUnsatisfied;
    std::vector<std::pair<proto::PinRef, proto::PinRef>> connections;
    std::string rule;
    std::string message;
};
// `reset_statistics`: zeroes the counters of `pin`'s STATISTICS (every pin when absent):
// completed, dropped, the latency and hold-time samples (avg and max) and the check failures.
// Not reset: in_flight (frames out now), the allocator, the vendor allocator's call counts (a
// lifetime record), `initialized` and `last_failure`, and the verifier's record.
struct ResetStatisticsRequest {
    static constexpr MessageType kType = MessageType::ResetStatistics;
    std::optional<proto::PinRef> pin;
};
struct ResetStatisticsReply {
    static constexpr MessageType kType = MessageType::ResetStatistics;
    std::uint64_t pins = 0;  // how many pins were reset
};

// A reply with no fields besides id/ok (connect, commit, release_frame, submit_frame, subscribe).
struct EmptyReply {};

// ---- events ---------------------------------------------------------------------------------
struct StateChangedEvent {
    static constexpr MessageType kType = MessageType::StateChanged;
    proto::PinRef pin;
    proto::PinState state = proto::PinState::Stop;
    std::string detail;
};
struct FrameDroppedEvent {
    static constexpr MessageType kType = MessageType::FrameDropped;
    proto::PinRef pin;
    std::string detail;
};
struct AllocatorCommittedEvent {
    static constexpr MessageType kType = MessageType::AllocatorCommitted;
    proto::PinRef pin;
    std::string detail;
};
struct ClientGoneEvent {
    static constexpr MessageType kType = MessageType::ClientGone;
    ClientId client_id = 0;
    std::string detail;
};
struct FramingChangedEvent {
    static constexpr MessageType kType = MessageType::FramingChanged;
    proto::PinRef pin;
    std::optional<proto::AllocatorFramingEx> framing;
    std::string detail;
};
// A connection appeared (`connect`) or disappeared (its user pin's client went away).
struct ConnectionChangedEvent {
    static constexpr MessageType kType = MessageType::ConnectionChanged;
    proto::PinRef from;
    proto::PinRef to;
    bool connected = true;  // false: the connection is gone
    std::string detail;
};
// A vendor allocator's InitializeAllocator failed a state change (`pin` provides the allocator).
struct AllocatorFailedEvent {
    static constexpr MessageType kType = MessageType::AllocatorFailed;
    proto::PinRef pin;
    AllocatorFailure failure;
    std::string detail;
};
// The verifier caught a driver pin misusing the driver API: sent for the first violation of each
// rule on each pin (the `verifier` member of the pin's STATISTICS counts every one).
struct VerifierViolationEvent {
    static constexpr MessageType kType = MessageType::VerifierViolation;
    proto::PinRef pin;
    std::string driver;  // the module's path
    VerifierViolation violation;
    std::string detail;  // "<rule>: <routine>: <message>"
};
struct FrameReadyEvent {
    static constexpr MessageType kType = MessageType::FrameReady;
    proto::PinRef pin;
    FrameRef frame;
    proto::StreamHeader header;
};

// ---- JSON (ADL) -----------------------------------------------------------------------------
#define KSIM_WIRE_JSON(T)                        \
    void to_json(nlohmann::json& j, const T& v); \
    void from_json(const nlohmann::json& j, T& v);
KSIM_WIRE_JSON(FrameRef)
KSIM_WIRE_JSON(Hello)
KSIM_WIRE_JSON(Welcome)
KSIM_WIRE_JSON(ListRequest)
KSIM_WIRE_JSON(PinInfo)
KSIM_WIRE_JSON(FilterInfo)
KSIM_WIRE_JSON(ListReply)
KSIM_WIRE_JSON(GetPropertyRequest)
KSIM_WIRE_JSON(StreamAllocatorStatus)
KSIM_WIRE_JSON(ConnectionState)
KSIM_WIRE_JSON(VendorAllocatorCalls)
KSIM_WIRE_JSON(AllocatorFailure)
KSIM_WIRE_JSON(VendorAllocatorStats)
KSIM_WIRE_JSON(VerifierRuleCount)
KSIM_WIRE_JSON(VerifierViolation)
KSIM_WIRE_JSON(VerifierStats)
KSIM_WIRE_JSON(PinStatistics)
KSIM_WIRE_JSON(GetPropertyReply)
KSIM_WIRE_JSON(AllocatorDecision)
KSIM_WIRE_JSON(ConnectionsRequest)
KSIM_WIRE_JSON(ConnectionInfo)
KSIM_WIRE_JSON(ConnectionsReply)
KSIM_WIRE_JSON(CreatePinRequest)
KSIM_WIRE_JSON(CreatePinReply)
KSIM_WIRE_JSON(ConnectRequest)
KSIM_WIRE_JSON(SetStateRequest)
KSIM_WIRE_JSON(SetStateReply)
KSIM_WIRE_JSON(CommitRequest)
KSIM_WIRE_JSON(RegionGrant)
KSIM_WIRE_JSON(RingGrant)
KSIM_WIRE_JSON(OpenStreamRequest)
KSIM_WIRE_JSON(OpenStreamReply)
KSIM_WIRE_JSON(ReleaseFrameRequest)
KSIM_WIRE_JSON(AcquireFrameRequest)
KSIM_WIRE_JSON(AcquireFrameReply)
KSIM_WIRE_JSON(SubmitFrameRequest)
KSIM_WIRE_JSON(LedgerRequest)
KSIM_WIRE_JSON(LedgerEntry)
KSIM_WIRE_JSON(LedgerReply)
KSIM_WIRE_JSON(SubscribeRequest)
KSIM_WIRE_JSON(EmptyReply)
KSIM_WIRE_JSON(StatusRequest)
KSIM_WIRE_JSON(GraphManagerInfo)
KSIM_WIRE_JSON(UncommittedConnection)
KSIM_WIRE_JSON(StatusReply)
KSIM_WIRE_JSON(ReportUnsatisfiedRequest)
KSIM_WIRE_JSON(ResetStatisticsRequest)
KSIM_WIRE_JSON(ResetStatisticsReply)
KSIM_WIRE_JSON(StateChangedEvent)
KSIM_WIRE_JSON(FrameDroppedEvent)
KSIM_WIRE_JSON(AllocatorCommittedEvent)
KSIM_WIRE_JSON(ClientGoneEvent)
KSIM_WIRE_JSON(FramingChangedEvent)
KSIM_WIRE_JSON(ConnectionChangedEvent)
KSIM_WIRE_JSON(AllocatorFailedEvent)
KSIM_WIRE_JSON(VerifierViolationEvent)
KSIM_WIRE_JSON(FrameReadyEvent)
#undef KSIM_WIRE_JSON

// Shared value mappings (also used by ksimctl output).
nlohmann::json pin_ref_to_json(const proto::PinRef& p);    // "filter.pin"
proto::PinRef pin_ref_from_json(const nlohmann::json& j);  // throws std::invalid_argument
nlohmann::json stream_header_to_json(const proto::StreamHeader& h);
proto::StreamHeader stream_header_from_json(const nlohmann::json& j);

}  // namespace ksim::wire
