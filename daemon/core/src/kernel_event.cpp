// Names of the kernel's event types (logs, tests).
#include "ksim/daemon/kernel.hpp"

namespace ksim::daemon {

std::string_view to_string(KernelEvent::Type t) {
    switch (t) {
        case KernelEvent::Type::StateChanged:
            return "state_changed";
        case KernelEvent::Type::FrameDropped:
            return "frame_dropped";
        case KernelEvent::Type::AllocatorCommitted:
            return "allocator_committed";
        case KernelEvent::Type::ClientGone:
            return "client_gone";
        case KernelEvent::Type::FramingChanged:
            return "framing_changed";
        case KernelEvent::Type::ClientDisconnectDue:
            return "client_disconnect_due";
        case KernelEvent::Type::AllocatorFailed:
            return "allocator_failed";
        case KernelEvent::Type::VerifierViolation:
            return "verifier_violation";
    }
    return "?";
}

}  // namespace ksim::daemon
