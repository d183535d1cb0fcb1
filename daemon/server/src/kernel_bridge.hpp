// KernelBridge: the Kernel's way out. As EventSink it turns KernelEvents into protocol events
// and posts them to the io_context for the subscribed sessions (and closes the session a
// disconnect_client fault names: the kernel has no sessions); as UserPinPort it hands frames
// for client-hosted pins to the stream's to_client ring, or, before the client opened the
// stream's rings, to a frame_ready event on its socket. Called from kernel streaming threads;
// never touches a session off the io_context thread.
#pragma once

#include <boost/asio/io_context.hpp>

#include "ksim/daemon/kernel.hpp"

namespace ksim::daemon::server {

class SessionSet;
class StreamRings;

class KernelBridge final : public EventSink, public UserPinPort {
public:
    KernelBridge(boost::asio::io_context& io, SessionSet& sessions, StreamRings& rings);

    // The kernel, once created (framing_changed events carry the new framing).
    void set_kernel(Kernel* kernel) { kernel_ = kernel; }

    void on_event(const KernelEvent& event) override;
    bool deliver(ClientId owner, const PinRef& user_pin, const shm::FrameDescriptor& frame,
                 const proto::StreamHeader& header) override;

private:
    boost::asio::io_context& io_;
    SessionSet& sessions_;
    StreamRings& rings_;
    Kernel* kernel_ = nullptr;
};

}  // namespace ksim::daemon::server
