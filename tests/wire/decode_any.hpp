// Decodes a message of any type in the message table with its body struct: the request (or the
// event) and, for requests, the reply. Tests and the fuzz target walk every decoder through it.
#pragma once

#include <optional>

#include "ksim/wire/envelope.hpp"

namespace ksim::wire::test {

// The error of the first decoder that refused `message`, or nullopt when all accepted it.
inline std::optional<Error> decode_as(MessageType type, const nlohmann::json& message) {
    auto first_error = [&]<typename... Bodies>() -> std::optional<Error> {
        std::optional<Error> out;
        (
            [&] {
                auto r = decode_body<Bodies>(message);
                if (!r && !out) out = r.error();
            }(),
            ...);
        return out;
    };
    using T = MessageType;
    switch (type) {
        case T::Hello:
            return first_error.template operator()<Hello, Welcome>();
        case T::List:
            return first_error.template operator()<ListRequest, ListReply>();
        case T::GetProperty:
            return first_error.template operator()<GetPropertyRequest, GetPropertyReply>();
        case T::Connections:
            return first_error.template operator()<ConnectionsRequest, ConnectionsReply>();
        case T::CreatePin:
            return first_error.template operator()<CreatePinRequest, CreatePinReply>();
        case T::Connect:
            return first_error.template operator()<ConnectRequest, EmptyReply>();
        case T::SetState:
            return first_error.template operator()<SetStateRequest, SetStateReply>();
        case T::OpenStream:
            return first_error.template operator()<OpenStreamRequest, OpenStreamReply>();
        case T::Commit:
            return first_error.template operator()<CommitRequest, EmptyReply>();
        case T::ReleaseFrame:
            return first_error.template operator()<ReleaseFrameRequest, EmptyReply>();
        case T::AcquireFrame:
            return first_error.template operator()<AcquireFrameRequest, AcquireFrameReply>();
        case T::SubmitFrame:
            return first_error.template operator()<SubmitFrameRequest, EmptyReply>();
        case T::Ledger:
            return first_error.template operator()<LedgerRequest, LedgerReply>();
        case T::Subscribe:
            return first_error.template operator()<SubscribeRequest, EmptyReply>();
        case T::Status:
            return first_error.template operator()<StatusRequest, StatusReply>();
        case T::ReportUnsatisfied:
            return first_error.template operator()<ReportUnsatisfiedRequest, EmptyReply>();
        case T::ResetStatistics:
            return first_error.template operator()<ResetStatisticsRequest, ResetStatisticsReply>();
        case T::StateChanged:
            return first_error.template operator()<StateChangedEvent>();
        case T::FrameDropped:
            return first_error.template operator()<FrameDroppedEvent>();
        case T::AllocatorCommitted:
            return first_error.template operator()<AllocatorCommittedEvent>();
        case T::ClientGone:
            return first_error.template operator()<ClientGoneEvent>();
        case T::FramingChanged:
            return first_error.template operator()<FramingChangedEvent>();
        case T::FrameReady:
            return first_error.template operator()<FrameReadyEvent>();
        case T::ConnectionChanged:
            return first_error.template operator()<ConnectionChangedEvent>();
        case T::AllocatorFailed:
            return first_error.template operator()<AllocatorFailedEvent>();
        case T::VerifierViolation:
            return first_error.template operator()<VerifierViolationEvent>();
        case T::kCount:
            break;  // not a message
    }
    return std::nullopt;
}

}  // namespace ksim::wire::test
