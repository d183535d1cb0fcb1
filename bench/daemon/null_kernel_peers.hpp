#pragma once
// Kernel peers for the daemon benches that measure the kernel alone: no event consumer and no
// user-mode pin host.
#include "ksim/daemon/kernel.hpp"

namespace ksim::daemon::bench {

struct NullEvents : EventSink {
    void on_event(const KernelEvent&) override {}
};

struct NullPort : UserPinPort {
    bool deliver(ClientId, const PinRef&, const shm::FrameDescriptor&, const proto::StreamHeader&) override {
        return false;
    }
};

}  // namespace ksim::daemon::bench
