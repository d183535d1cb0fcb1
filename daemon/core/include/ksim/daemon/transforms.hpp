// The transforms the in-place and copy transform filters apply to frames: pure functions over
// byte spans, no state shared between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "ksim/proto/topology.hpp"

namespace ksim::daemon {

// In-place transform: inverts every byte (a visible negative for any of the formats).
void invert_in_place(std::span<std::byte> frame);

// Copy transform for video: nearest-neighbour scaling of `in` (format and size of `from`) into
// `out` (format and size of `to`), converting between NV12, YUY2 and RGB24 when the formats
// differ: BT.601 limited range (Y 16-235, chroma 16-240) to and from full-range RGB; RGB24 as
// a Windows DIB (B, G, R; rows padded to 4 bytes, bottom-up, so the picture keeps its way up);
// subsampled chroma is the rounded mean over its pixel pair (YUY2) or 2x2 block (NV12). A
// same-format copy takes bytes unchanged (bit-exact at equal sizes). Returns the bytes written
// (image_size(to)), or 0 when a buffer is smaller than its format needs or a geometry is invalid
// (zero, or odd where chroma is shared: NV12 width or height, YUY2 width).
std::uint32_t scale_video(std::span<const std::byte> in, const proto::VideoParams& from,
                          std::span<std::byte> out, const proto::VideoParams& to);

}  // namespace ksim::daemon
