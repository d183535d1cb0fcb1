#include "ksim/wire/message_table.hpp"

#include <array>

#include "ksim/proto/assert.hpp"

namespace ksim::wire {
namespace {

using K = MessageKind;
using T = MessageType;

// Ordered like MessageType so that info() is an index. Sized by kCount: a type without a row
// leaves a value-initialized row behind, which table_is_ordered() refuses at compile time.
constexpr std::array<MessageInfo, static_cast<std::size_t>(MessageType::kCount)> kTable{{
    {T::Hello, "hello", K::Request, false, true},
    {T::List, "list", K::Request, false, false},
    {T::GetProperty, "get_property", K::Request, false, false},
    {T::Connections, "connections", K::Request, false, false},
    {T::CreatePin, "create_pin", K::Request, false, false},
    {T::Connect, "connect", K::Request, false, false},
    {T::SetState, "set_state", K::Request, false, false},
    {T::OpenStream, "open_stream", K::Request, false, false},
    {T::Commit, "commit", K::Request, true, false},
    {T::ReleaseFrame, "release_frame", K::Request, false, false},
    {T::AcquireFrame, "acquire_frame", K::Request, false, false},
    {T::SubmitFrame, "submit_frame", K::Request, false, false},
    {T::Ledger, "ledger", K::Request, false, false},
    {T::Subscribe, "subscribe", K::Request, false, false},
    {T::Status, "status", K::Request, false, false},
    {T::ReportUnsatisfied, "report_unsatisfied", K::Request, true, false},
    {T::ResetStatistics, "reset_statistics", K::Request, false, false},
    {T::StateChanged, "state_changed", K::Event, false, false},
    {T::FrameDropped, "frame_dropped", K::Event, false, false},
    {T::AllocatorCommitted, "allocator_committed", K::Event, false, false},
    {T::ClientGone, "client_gone", K::Event, false, false},
    {T::FramingChanged, "framing_changed", K::Event, false, false},
    {T::FrameReady, "frame_ready", K::Event, false, false},
    {T::ConnectionChanged, "connection_changed", K::Event, false, false},
    {T::AllocatorFailed, "allocator_failed", K::Event, false, false},
    {T::VerifierViolation, "verifier_violation", K::Event, false, false},
}};

constexpr bool table_is_ordered() {
    for (std::size_t i = 0; i < kTable.size(); ++i)
        if (static_cast<std::size_t>(kTable[i].type) != i) return false;
    return true;
}
static_assert(table_is_ordered(), "kTable must list MessageType values in declaration order");

}  // namespace

std::span<const MessageInfo> message_table() {
    return kTable;
}

const MessageInfo& info(MessageType type) {
    auto i = static_cast<std::size_t>(type);
    KSIM_ASSERT(i < kTable.size(), "a MessageType without a row in the message table");
    return kTable[i];
}

std::string_view to_string(MessageType type) {
    return info(type).name;
}

std::optional<MessageType> parse_message_type(std::string_view name) {
    for (const auto& m : kTable)
        if (m.name == name) return m.type;
    return std::nullopt;
}

std::string_view to_string(Role role) {
    switch (role) {
        case Role::Client:
            return "client";
        case Role::GraphManager:
            return "graph-manager";
        case Role::Operator:
            return "operator";
    }
    return "?";
}

std::optional<Role> parse_role(std::string_view name) {
    if (name == "client") return Role::Client;
    if (name == "graph-manager") return Role::GraphManager;
    if (name == "operator") return Role::Operator;
    return std::nullopt;
}

}  // namespace ksim::wire
