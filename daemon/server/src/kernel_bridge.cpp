#include "kernel_bridge.hpp"

#include <boost/asio/post.hpp>

#include "ksim/wire/envelope.hpp"
#include "logging.hpp"
#include "request_handler.hpp"
#include "session.hpp"
#include "session_set.hpp"
#include "stream_rings.hpp"

namespace ksim::daemon::server {

KernelBridge::KernelBridge(boost::asio::io_context& io, SessionSet& sessions, StreamRings& rings)
    : io_(io), sessions_(sessions), rings_(rings) {}

void KernelBridge::on_event(const KernelEvent& event) {
    using Type = KernelEvent::Type;
    // Clients going away are announced by the server (it sees every disconnect, including clients
    // that never hosted a pin); the kernel's own notice would duplicate it.
    if (event.type == Type::ClientGone) return;
    boost::asio::post(io_, [this, event] {
        const auto& pin = event.pin;
        switch (event.type) {
            case Type::StateChanged:
                sessions_.broadcast(wire::MessageType::StateChanged, wire::make_event(wire::StateChangedEvent{
                                                                         pin, event.state, event.detail}));
                break;
            case Type::FrameDropped:
                sessions_.broadcast(wire::MessageType::FrameDropped,
                                    wire::make_event(wire::FrameDroppedEvent{pin, event.detail}));
                break;
            case Type::AllocatorCommitted:
                sessions_.broadcast(wire::MessageType::AllocatorCommitted,
                                    wire::make_event(wire::AllocatorCommittedEvent{pin, event.detail}));
                break;
            case Type::FramingChanged: {
                std::optional<proto::AllocatorFramingEx> framing;
                if (kernel_ != nullptr)
                    if (auto f = kernel_->allocator_framing_ex(event.pin)) framing = std::move(*f);
                sessions_.broadcast(wire::MessageType::FramingChanged,
                                    wire::make_event(wire::FramingChangedEvent{pin, framing, event.detail}));
                break;
            }
            case Type::AllocatorFailed:
                if (event.failure)
                    sessions_.broadcast(wire::MessageType::AllocatorFailed,
                                        wire::make_event(wire::AllocatorFailedEvent{
                                            pin, to_wire(*event.failure), event.detail}));
                break;
            case Type::ClientDisconnectDue:
                // A disconnect_client fault: the session ends exactly as when the client dies
                // (Session::stop -> RequestHandler::session_closed: rings closed, client_gone).
                if (auto session = sessions_.find(event.client)) session->stop(event.detail);
                break;
            case Type::VerifierViolation:
                // Logged by the kernel's verifier too; every violation is in the pin's STATISTICS.
                if (event.violation)
                    sessions_.broadcast(wire::MessageType::VerifierViolation,
                                        wire::make_event(wire::VerifierViolationEvent{
                                            pin, event.driver, to_wire(*event.violation), event.detail}));
                break;
            case Type::ClientGone:
                break;
        }
    });
}

bool KernelBridge::deliver(ClientId owner, const PinRef& user_pin, const shm::FrameDescriptor& frame,
                           const proto::StreamHeader& header) {
    switch (rings_.push(owner, user_pin, frame, header)) {
        case StreamRings::Push::Delivered:
            return true;
        case StreamRings::Push::Full:
            return false;  // the kernel counts a drop and keeps the frame
        case StreamRings::Push::NoRing:
            break;
    }
    if (!rings_.client_live(owner)) return false;
    // Fallback until the client opened the stream's rings: one event per frame on its socket.
    boost::asio::post(io_, [this, owner, pin = user_pin, frame, header] {
        if (auto session = sessions_.find(owner))
            session->send(wire::make_event(wire::FrameReadyEvent{pin, wire::to_frame_ref(frame), header}));
    });
    return true;
}

}  // namespace ksim::daemon::server
