// SgMapping: one entry of a frame's scatter/gather list (KSMAPPING), as the simulated hardware
// programs it and a pin's queue carries it. Its own header because both sides need it and
// neither may see the other: the hardware (hwsim.hpp) never sees pins or queues, as in avshws.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ksim::daemon {

// KSMAPPING plus the address the simulated DMA writes through (the "physical" address is only
// a number in the allocator's simulated window).
struct SgMapping {
    std::uint64_t physical_address = 0;
    std::byte* data = nullptr;
    std::uint32_t byte_count = 0;
    std::uint32_t alignment = 0;
};

}  // namespace ksim::daemon
