// The frame transforms: the in-place transform's inversion and the copy transform's video path,
// nearest-neighbour scaling and format conversion between NV12, YUY2 and RGB24 (BT.601 limited
// range).
#include "ksim/daemon/transforms.hpp"

#include <cstring>
#include <initializer_list>

#include "video_pixels.hpp"

namespace ksim::daemon {

void invert_in_place(std::span<std::byte> frame) {
    for (std::byte& b : frame) b = ~b;
}

namespace {

using proto::VideoFormat;
using proto::VideoParams;
using namespace pixels;

// Sizes the formats can describe: non-zero, and even where chroma is shared by pixel pairs
// (YUY2: horizontally; NV12: 2x2 blocks).
bool geometry_ok(const VideoParams& v) {
    if (v.width == 0 || v.height == 0) return false;
    switch (v.format) {
        case VideoFormat::Nv12:
            return v.width % 2 == 0 && v.height % 2 == 0;
        case VideoFormat::Yuy2:
            return v.width % 2 == 0;
        case VideoFormat::Rgb24:
            return true;
    }
    return false;
}

// The source image seen from the destination's pixel grid: (x, y) of the output maps to the
// nearest source pixel.
struct Sampler {
    std::span<const std::byte> in;
    const VideoParams& from;
    const VideoParams& to;

    [[nodiscard]] std::uint32_t sx(std::uint32_t x) const {
        return static_cast<std::uint32_t>(std::uint64_t{x} * from.width / to.width);
    }
    [[nodiscard]] std::uint32_t sy(std::uint32_t y) const {
        return static_cast<std::uint32_t>(std::uint64_t{y} * from.height / to.height);
    }
    [[nodiscard]] std::uint8_t byte(std::size_t i) const { return std::to_integer<std::uint8_t>(in[i]); }

    // The source pixel nearest to output pixel (x, y), in YUV (converted when the source is RGB).
    [[nodiscard]] Yuv yuv(std::uint32_t x, std::uint32_t y) const {
        const std::size_t w = from.width, px = sx(x), py = sy(y);
        switch (from.format) {
            case VideoFormat::Nv12: {
                const std::size_t uv = w * from.height + (py / 2) * w + (px & ~std::size_t{1});
                return {byte(py * w + px), byte(uv), byte(uv + 1)};
            }
            case VideoFormat::Yuy2: {
                const std::size_t pair = (py * w + (px & ~std::size_t{1})) * 2;
                return {byte((py * w + px) * 2), byte(pair + 1), byte(pair + 3)};
            }
            case VideoFormat::Rgb24: {
                const std::size_t p =
                    rgb_offset(from, static_cast<std::uint32_t>(px), static_cast<std::uint32_t>(py));
                return to_yuv({byte(p), byte(p + 1), byte(p + 2)});
            }
        }
        return {16, 128, 128};
    }
};

// Same format: bytes are copied from the nearest source pixel (chroma from its pair or block), so
// an unscaled copy is bit-exact.
void scale_same_format(const Sampler& src, std::span<std::byte> out, const VideoParams& to) {
    const std::span<const std::byte> in = src.in;
    const std::uint32_t fw = src.from.width, fh = src.from.height, tw = to.width, th = to.height;
    switch (to.format) {
        case VideoFormat::Nv12:
            for (std::uint32_t y = 0; y < th; ++y)
                for (std::uint32_t x = 0; x < tw; ++x)
                    out[std::size_t{y} * tw + x] = in[std::size_t{src.sy(y)} * fw + src.sx(x)];
            for (std::uint32_t y = 0; y < th / 2; ++y)
                for (std::uint32_t x = 0; x + 1 < tw; x += 2) {
                    const std::size_t from_uv =
                        std::size_t{fw} * fh + std::size_t{src.sy(y * 2) / 2} * fw + (src.sx(x) & ~1u);
                    const std::size_t to_uv = std::size_t{tw} * th + std::size_t{y} * tw + x;
                    out[to_uv] = in[from_uv];
                    out[to_uv + 1] = in[from_uv + 1];
                }
            break;
        case VideoFormat::Yuy2:
            for (std::uint32_t y = 0; y < th; ++y)
                for (std::uint32_t x = 0; x < tw; ++x) {
                    const std::size_t row = std::size_t{src.sy(y)} * fw;
                    const std::size_t dst = (std::size_t{y} * tw + x) * 2;
                    out[dst] = in[(row + src.sx(x)) * 2];
                    // Even output pixels carry U, odd ones V: take it from the source pixel's pair.
                    out[dst + 1] = in[(row + (src.sx(x) & ~1u)) * 2 + 1 + 2 * (x & 1)];
                }
            break;
        case VideoFormat::Rgb24:
            for (std::uint32_t y = 0; y < th; ++y)
                for (std::uint32_t x = 0; x < tw; ++x)
                    std::memcpy(&out[rgb_offset(to, x, y)], &in[rgb_offset(src.from, src.sx(x), src.sy(y))],
                                3);
            break;
    }
}

std::byte average(std::initializer_list<std::uint8_t> samples) {
    unsigned sum = 0;
    for (std::uint8_t s : samples) sum += s;
    return std::byte{static_cast<std::uint8_t>((sum + samples.size() / 2) / samples.size())};
}

// Different formats: every output pixel is its nearest source pixel in YUV (BT.601 limited range,
// converted from RGB when needed), written as RGB or subsampled: the chroma of a YUY2 pair or an
// NV12 2x2 block is the rounded mean of its pixels' chroma.
void convert(const Sampler& src, std::span<std::byte> out, const VideoParams& to) {
    const std::uint32_t tw = to.width, th = to.height;
    switch (to.format) {
        case VideoFormat::Nv12: {
            std::byte* uv = out.data() + std::size_t{tw} * th;
            for (std::uint32_t y = 0; y < th; y += 2)
                for (std::uint32_t x = 0; x < tw; x += 2) {
                    const Yuv a = src.yuv(x, y), b = src.yuv(x + 1, y), c = src.yuv(x, y + 1),
                              d = src.yuv(x + 1, y + 1);
                    out[std::size_t{y} * tw + x] = std::byte{a.y};
                    out[std::size_t{y} * tw + x + 1] = std::byte{b.y};
                    out[std::size_t{y + 1} * tw + x] = std::byte{c.y};
                    out[std::size_t{y + 1} * tw + x + 1] = std::byte{d.y};
                    uv[std::size_t{y / 2} * tw + x] = average({a.u, b.u, c.u, d.u});
                    uv[std::size_t{y / 2} * tw + x + 1] = average({a.v, b.v, c.v, d.v});
                }
            break;
        }
        case VideoFormat::Yuy2:
            for (std::uint32_t y = 0; y < th; ++y)
                for (std::uint32_t x = 0; x < tw; x += 2) {
                    const Yuv a = src.yuv(x, y), b = src.yuv(x + 1, y);
                    std::byte* p = &out[(std::size_t{y} * tw + x) * 2];
                    p[0] = std::byte{a.y};
                    p[1] = average({a.u, b.u});
                    p[2] = std::byte{b.y};
                    p[3] = average({a.v, b.v});
                }
            break;
        case VideoFormat::Rgb24:
            for (std::uint32_t y = 0; y < th; ++y)
                for (std::uint32_t x = 0; x < tw; ++x) {
                    const Bgr p = to_bgr(src.yuv(x, y));
                    std::byte* o = &out[rgb_offset(to, x, y)];
                    o[0] = std::byte{p.b};
                    o[1] = std::byte{p.g};
                    o[2] = std::byte{p.r};
                }
            break;
    }
}

}  // namespace

std::uint32_t scale_video(std::span<const std::byte> in, const proto::VideoParams& from,
                          std::span<std::byte> out, const proto::VideoParams& to) {
    if (!geometry_ok(from) || !geometry_ok(to) || in.size() < proto::image_size(from) ||
        out.size() < proto::image_size(to))
        return 0;
    const Sampler src{in, from, to};
    if (from.format == to.format) {
        scale_same_format(src, out, to);
    } else {
        convert(src, out, to);
    }
    return proto::image_size(to);
}

}  // namespace ksim::daemon
