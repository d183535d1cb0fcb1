// The text form of a pipe's vendor-allocator failure (wire::AllocatorFailure), shared by
// `ksimctl graph` (under the connection) and `ksimctl stats` (under the table).
#pragma once

#include <string>

#include "ksim/wire/messages.hpp"

namespace ksim::ctl {

// One line: the routine, its status, the framing it was given, what the capabilities promised,
// and who asked. E.g. "InitializeAllocator of 'dma0' (cam.capture) returned
// STATUS_INSUFFICIENT_RESOURCES (0xC000009A) for 3 x 6144 B, alignment mask 0x3F, flags 0x0,
// pool non-paged; declared 1-268435456 B, up to 8 frames, alignment 0xFFF, window
// 0x100000000-0x1FFFFFFFF; asked by sink.input".
std::string describe_failure(const wire::AllocatorFailure& f);

}  // namespace ksim::ctl
