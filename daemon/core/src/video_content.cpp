// Video test pattern: moving 75% colour bars and a dark box with three rows of digits
// (frame number, timestamp in milliseconds, skipped frames), drawn in luma only.
#include <algorithm>
#include <array>
#include <cstring>

#include "ksim/daemon/content.hpp"

namespace ksim::daemon {

namespace {

using proto::VideoFormat;
using proto::VideoParams;

// 3x5 digit glyphs, one row per 3 bits (MSB = left column).
constexpr std::array<std::array<std::uint8_t, 5>, 10> kGlyphs{{
    {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
    {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7},
}};
constexpr int kDigits = 8;     // digits per overlay row
constexpr int kRows = 3;       // frame number, timestamp (ms), skipped
constexpr std::uint8_t kInk = 235;
constexpr std::uint8_t kPaper = 16;

struct Yuv {
    std::uint8_t y, u, v;
};
// 75% bars: white, yellow, cyan, green, magenta, red, blue, black (BT.601 studio range).
constexpr std::array<Yuv, 8> kBars{{{180, 128, 128}, {162, 44, 142}, {131, 156, 44}, {112, 72, 58},
                                    {84, 184, 198}, {65, 100, 212}, {35, 212, 114}, {16, 128, 128}}};

std::uint32_t rgb_stride(std::uint32_t w) { return (w * 3 + 3) & ~3u; }

// Cell size in pixels of one font pixel: grows with the image so the overlay stays readable.
int scale_for(const VideoParams& v) { return std::max(1, static_cast<int>(v.height / 120)); }

bool overlay_fits(const VideoParams& v) {
    const int s = scale_for(v);
    return static_cast<int>(v.width) >= (2 + kDigits * 4) * s && static_cast<int>(v.height) >= (2 + kRows * 6) * s;
}

void put_luma(std::span<std::byte> img, const VideoParams& v, std::uint32_t x, std::uint32_t y, std::uint8_t l) {
    switch (v.format) {
        case VideoFormat::Nv12: img[y * v.width + x] = std::byte{l}; break;
        case VideoFormat::Yuy2: img[(y * v.width + x) * 2] = std::byte{l}; break;
        case VideoFormat::Rgb24: {
            auto* p = &img[y * rgb_stride(v.width) + x * 3];
            p[0] = p[1] = p[2] = std::byte{l};
            break;
        }
    }
}

std::uint8_t get_luma(std::span<const std::byte> img, const VideoParams& v, std::uint32_t x, std::uint32_t y) {
    switch (v.format) {
        case VideoFormat::Nv12: return std::to_integer<std::uint8_t>(img[y * v.width + x]);
        case VideoFormat::Yuy2: return std::to_integer<std::uint8_t>(img[(y * v.width + x) * 2]);
        case VideoFormat::Rgb24: return std::to_integer<std::uint8_t>(img[y * rgb_stride(v.width) + x * 3 + 1]);
    }
    return 0;
}

void draw_bars(std::span<std::byte> img, const VideoParams& v, std::uint64_t frame) {
    const std::uint32_t w = v.width, h = v.height;
    const std::uint32_t shift = static_cast<std::uint32_t>((frame * 4) % std::max<std::uint32_t>(w, 1));
    auto bar_at = [&](std::uint32_t x) { return kBars[((x + shift) % w) * 8 / w]; };
    switch (v.format) {
        case VideoFormat::Nv12: {
            for (std::uint32_t x = 0; x < w; ++x) {
                const std::uint8_t y = bar_at(x).y;
                for (std::uint32_t row = 0; row < h; ++row) img[row * w + x] = std::byte{y};
            }
            std::byte* uv = img.data() + std::size_t{w} * h;
            for (std::uint32_t row = 0; row < h / 2; ++row)
                for (std::uint32_t x = 0; x + 1 < w; x += 2) {
                    const Yuv c = bar_at(x);
                    uv[row * w + x] = std::byte{c.u};
                    uv[row * w + x + 1] = std::byte{c.v};
                }
            break;
        }
        case VideoFormat::Yuy2:
            for (std::uint32_t row = 0; row < h; ++row)
                for (std::uint32_t x = 0; x + 1 < w; x += 2) {
                    const Yuv c = bar_at(x);
                    std::byte* p = &img[(std::size_t{row} * w + x) * 2];
                    p[0] = std::byte{c.y};
                    p[1] = std::byte{c.u};
                    p[2] = std::byte{bar_at(x + 1).y};
                    p[3] = std::byte{c.v};
                }
            break;
        case VideoFormat::Rgb24:
            for (std::uint32_t row = 0; row < h; ++row)
                for (std::uint32_t x = 0; x < w; ++x) {
                    const Yuv c = bar_at(x);
                    // BT.601 studio range -> RGB, integer approximation.
                    const int C = c.y - 16, D = c.u - 128, E = c.v - 128;
                    auto clamp = [](int x) { return static_cast<std::uint8_t>(std::clamp(x, 0, 255)); };
                    std::byte* p = &img[std::size_t{row} * rgb_stride(w) + x * 3];
                    p[0] = std::byte{clamp((298 * C + 516 * D + 128) >> 8)};            // B
                    p[1] = std::byte{clamp((298 * C - 100 * D - 208 * E + 128) >> 8)};  // G
                    p[2] = std::byte{clamp((298 * C + 409 * E + 128) >> 8)};            // R
                }
            break;
    }
}

void draw_number(std::span<std::byte> img, const VideoParams& v, int row, std::uint64_t value) {
    const int s = scale_for(v);
    const int y0 = s + row * 6 * s;
    for (int d = kDigits - 1; d >= 0; --d) {
        const auto& glyph = kGlyphs[value % 10];
        value /= 10;
        const int x0 = s + d * 4 * s;
        for (int gy = 0; gy < 6; ++gy)
            for (int gx = 0; gx < 4; ++gx) {
                const bool on = gy < 5 && gx < 3 && ((glyph[gy] >> (2 - gx)) & 1);
                for (int py = 0; py < s; ++py)
                    for (int px = 0; px < s; ++px)
                        put_luma(img, v, x0 + gx * s + px, y0 + gy * s + py, on ? kInk : kPaper);
            }
    }
}

class VideoContent final : public ContentGenerator {
public:
    explicit VideoContent(const VideoParams& v) : v_(v), size_(proto::image_size(v)) {}
    [[nodiscard]] std::uint32_t image_size() const override { return size_; }
    void render(std::span<std::byte> out, const RenderInfo& info) override {
        if (out.size() < size_ || v_.width == 0 || v_.height == 0) return;
        draw_bars(out, v_, info.frame_number);
        if (!overlay_fits(v_)) return;
        draw_number(out, v_, 0, info.frame_number);
        draw_number(out, v_, 1, static_cast<std::uint64_t>(info.timestamp / kTicksPerMillisecond));
        draw_number(out, v_, 2, info.skipped);
    }

private:
    VideoParams v_;
    std::uint32_t size_;
};

}  // namespace

std::unique_ptr<ContentGenerator> make_video_content(const proto::VideoParams& video) {
    return std::make_unique<VideoContent>(video);
}

std::optional<std::uint64_t> read_frame_counter(std::span<const std::byte> image, const proto::VideoParams& v) {
    if (image.size() < proto::image_size(v) || !overlay_fits(v)) return std::nullopt;
    const int s = scale_for(v);
    std::uint64_t value = 0;
    for (int d = 0; d < kDigits; ++d) {
        std::array<std::uint8_t, 5> seen{};
        for (int gy = 0; gy < 5; ++gy)
            for (int gx = 0; gx < 3; ++gx) {
                const std::uint8_t l = get_luma(image, v, s + d * 4 * s + gx * s + s / 2, s + gy * s + s / 2);
                if (l > 200) seen[gy] |= static_cast<std::uint8_t>(1u << (2 - gx));
                else if (l > 40) return std::nullopt;  // neither ink nor paper: not our overlay
            }
        const auto it = std::ranges::find(kGlyphs, seen);
        if (it == kGlyphs.end()) return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(it - kGlyphs.begin());
    }
    return value;
}

void invert_in_place(std::span<std::byte> frame) {
    for (std::byte& b : frame) b = ~b;
}

std::uint32_t scale_video(std::span<const std::byte> in, const proto::VideoParams& from, std::span<std::byte> out,
                          const proto::VideoParams& to) {
    if (from.format != to.format || in.size() < proto::image_size(from) || out.size() < proto::image_size(to) ||
        from.width == 0 || from.height == 0 || to.width == 0 || to.height == 0)
        return 0;
    const std::uint32_t fw = from.width, fh = from.height, tw = to.width, th = to.height;
    auto sx = [&](std::uint32_t x) { return static_cast<std::uint32_t>(std::uint64_t{x} * fw / tw); };
    auto sy = [&](std::uint32_t y) { return static_cast<std::uint32_t>(std::uint64_t{y} * fh / th); };
    switch (to.format) {
        case VideoFormat::Nv12:
            for (std::uint32_t y = 0; y < th; ++y)
                for (std::uint32_t x = 0; x < tw; ++x) out[y * tw + x] = in[sy(y) * fw + sx(x)];
            for (std::uint32_t y = 0; y < th / 2; ++y)
                for (std::uint32_t x = 0; x + 1 < tw; x += 2) {
                    const std::size_t src = std::size_t{fw} * fh + std::min(sy(y * 2) / 2, fh / 2 - 1) * fw + (sx(x) & ~1u);
                    const std::size_t dst = std::size_t{tw} * th + std::size_t{y} * tw + x;
                    out[dst] = in[src];
                    out[dst + 1] = in[src + 1];
                }
            break;
        case VideoFormat::Yuy2:
            for (std::uint32_t y = 0; y < th; ++y)
                for (std::uint32_t x = 0; x < tw; ++x) {
                    const std::size_t src = (std::size_t{sy(y)} * fw + sx(x)) * 2;
                    const std::size_t dst = (std::size_t{y} * tw + x) * 2;
                    out[dst] = in[src];
                    out[dst + 1] = in[(std::size_t{sy(y)} * fw + (sx(x) & ~1u)) * 2 + 1 + 2 * (x & 1)];
                }
            break;
        case VideoFormat::Rgb24:
            for (std::uint32_t y = 0; y < th; ++y)
                for (std::uint32_t x = 0; x < tw; ++x)
                    std::memcpy(&out[std::size_t{y} * rgb_stride(tw) + x * 3],
                                &in[std::size_t{sy(y)} * rgb_stride(fw) + sx(x) * 3], 3);
            break;
    }
    return proto::image_size(to);
}

}  // namespace ksim::daemon
