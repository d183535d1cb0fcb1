// The one table of control-protocol message types: every request, its reply and every event is
// declared here once, with its wire name. The daemon dispatches from this table; docs/protocol.md
// documents each entry.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace ksim::wire {

// Bumped on any incompatible change; `hello` with another version is refused (ProtocolError).
inline constexpr std::uint32_t kProtocolVersion = 1;

enum class MessageKind { Request, Event };

enum class MessageType : std::uint32_t {
    // requests (a reply carries the request's id and type)
    Hello,
    List,
    GetProperty,
    Connections,
    CreatePin,
    Connect,
    SetState,
    OpenStream,
    Commit,
    ReleaseFrame,
    AcquireFrame,
    SubmitFrame,
    Ledger,
    Subscribe,
    Status,             // the daemon's state: graph manager, connections without a committed pipe
    ReportUnsatisfied,  // the graph manager says why it commits nothing for a pipe
    ResetStatistics,    // zero a pin's (or every pin's) STATISTICS counters
    // events (daemon -> subscribed session, no id)
    StateChanged,
    FrameDropped,
    AllocatorCommitted,
    ClientGone,
    FramingChanged,
    FrameReady,         // socket fallback for frame delivery before a stream's rings exist
    ConnectionChanged,  // a connection was made or removed
    AllocatorFailed,    // a vendor allocator's InitializeAllocator failed a state change
    VerifierViolation,  // the verifier caught a driver pin misusing the driver API (first per rule)
    kCount,             // not a message: the number of types (the table is sized by it)
};

// Who is on the other end; chosen in `hello` (docs/protocol.md, "Handshake and roles").
//   Client        hosts user pins, streams, and changes the state of pins it hosts or started
//   GraphManager  commits allocator decisions; may change any pin's state (one at a time)
//   Operator      an operator's tool (ksimctl): may change any pin's state; ksimd's own uid only
enum class Role { Client, GraphManager, Operator };

struct MessageInfo {
    MessageType type;
    std::string_view name;  // wire name, e.g. "get_property"
    MessageKind kind;
    bool graph_manager_only;  // requests only the graph-manager role may send
    bool before_hello;        // allowed before the handshake (only `hello`)
};

std::span<const MessageInfo> message_table();
const MessageInfo& info(MessageType type);
std::string_view to_string(MessageType type);
std::optional<MessageType> parse_message_type(std::string_view name);

std::string_view to_string(Role role);  // "client" / "graph-manager" / "operator"
std::optional<Role> parse_role(std::string_view name);

}  // namespace ksim::wire
