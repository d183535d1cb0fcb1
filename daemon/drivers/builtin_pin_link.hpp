// BuiltinPinLink: what ksimd and a built-in driver's pin share beyond the public driver API
// (docs/minidriver.md, "Built-in drivers"). A loaded module has no such link; a built-in driver
// is linked into ksimd and may read facts only the class driver knows (who the upstream pin is)
// and report the statistics ksimctl shows for its kind. Owned by ksimd's pin; the driver reaches
// it through its pin (builtin_link_of). Touched under the kernel lock only.
#pragma once

#include <cstdint>
#include <optional>

#include "ksim/daemon/hwsim.hpp"
#include "ksim/ddk/avstream.h"
#include "ksim/ddk_host/objects.hpp"
#include "ksim/proto/topology.hpp"

namespace ksim::daemon {

struct BuiltinPinLink {
    // The link of the pin upstream of this one, set by the class driver when the connection is
    // made (pins live as long as the kernel); null for a pin with no connection yet.
    const BuiltinPinLink* upstream = nullptr;
    // Video capture: the format whose test pattern its frames carry with the frame counter drawn
    // in (video_content.cpp), set by the driver when the pin leaves STOP, so that a sink straight
    // downstream can read the counter back.
    std::optional<proto::VideoParams> draws_pattern;
    // Kernel sink: frames whose checks failed (PinStats::check_failures).
    std::uint64_t check_failures = 0;
    // Capture: the topology's drop_interrupts / delay_interrupts faults on the pin, for its
    // simulated hardware's interrupt line (set before the pin first leaves STOP).
    InterruptFaults interrupt_faults;
    // Capture: the pin's timers run on a streaming thread (KernelOptions::streaming_threads), so
    // a driver far behind its frame clock drops the periods it missed instead of rendering the
    // backlog; a test's clock advanced by hand catches up instead.
    bool streaming_thread = false;
    // Capture: frame periods the hardware had no buffer for (or missed while the host was
    // overloaded), counted since the pin was made; the class driver counts their growth as
    // drops (PinStats::dropped, FrameDropped events).
    std::uint64_t frames_skipped = 0;
};

// The link of a built-in driver's pin; null for a pin not hosted for a built-in driver.
inline BuiltinPinLink* builtin_link_of(const KSPIN* pin) {
    const auto* instance =
        static_cast<const ddk_host::PinInstance*>(static_cast<ddk_host::ObjectBase*>(pin->Ksim.Object));
    return static_cast<BuiltinPinLink*>(instance->builtin_link);
}

}  // namespace ksim::daemon
