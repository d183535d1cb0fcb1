// Pixel formats shared by the test pattern (video_content.cpp) and the copy transform
// (video_scale.cpp): YUV and BGR samples, BT.601 limited-range conversion, RGB24 layout.
// Private to ksim_daemon_core.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "ksim/proto/topology.hpp"

namespace ksim::daemon::pixels {

struct Yuv {
    std::uint8_t y, u, v;
};

// RGB24 as Windows lays it out in memory (a DIB, KS_VIDEOINFOHEADER with a positive biHeight):
// B, G, R per pixel, rows padded to 4 bytes and stored bottom-up — libksim's viewer reads it so.
struct Bgr {
    std::uint8_t b, g, r;
};

inline std::uint8_t clamp_byte(int x) {
    return static_cast<std::uint8_t>(std::clamp(x, 0, 255));
}

// BT.601 limited range (Y 16..235, U/V 16..240 around 128) <-> full-range RGB, in the usual 8-bit
// fixed-point coefficients (the same as libksim's image.cpp, so a viewer shows what we convert).
inline Bgr to_bgr(Yuv c) {
    const int C = c.y - 16, D = c.u - 128, E = c.v - 128;
    return {clamp_byte((298 * C + 516 * D + 128) >> 8), clamp_byte((298 * C - 100 * D - 208 * E + 128) >> 8),
            clamp_byte((298 * C + 409 * E + 128) >> 8)};
}

inline Yuv to_yuv(Bgr p) {
    const int r = p.r, g = p.g, b = p.b;
    return {clamp_byte(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16),
            clamp_byte(((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128),
            clamp_byte(((112 * r - 94 * g - 18 * b + 128) >> 8) + 128)};
}

inline std::uint32_t rgb_stride(std::uint32_t w) {
    return (w * 3 + 3) & ~3u;
}
// Byte offset of picture pixel (x, y), y counted from the top, in a bottom-up RGB24 image.
inline std::size_t rgb_offset(const proto::VideoParams& v, std::uint32_t x, std::uint32_t y) {
    return std::size_t{v.height - 1 - y} * rgb_stride(v.width) + std::size_t{x} * 3;
}

}  // namespace ksim::daemon::pixels
