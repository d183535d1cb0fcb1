// Video test pattern: moving 75% colour bars and a dark box with three rows of digits
// (frame number, timestamp in milliseconds, skipped frames), black and white (neutral chroma),
// and the reader of that overlay. The copy transform's scaling lives in video_scale.cpp.
#include <algorithm>
#include <array>
#include <cstring>

#include "ksim/daemon/content.hpp"
#include "video_pixels.hpp"

namespace ksim::daemon {

namespace {

using proto::VideoFormat;
using proto::VideoParams;
using namespace pixels;

// 3x5 digit glyphs, one row per 3 bits (MSB = left column).
constexpr std::array<std::array<std::uint8_t, 5>, 10> kGlyphs{{
    {7, 5, 5, 5, 7},
    {2, 6, 2, 2, 7},
    {7, 1, 7, 4, 7},
    {7, 1, 7, 1, 7},
    {5, 5, 7, 1, 1},
    {7, 4, 7, 1, 7},
    {7, 4, 7, 5, 7},
    {7, 1, 1, 1, 1},
    {7, 5, 7, 5, 7},
    {7, 5, 7, 1, 7},
}};
constexpr int kDigits = 8;  // digits per overlay row
constexpr int kRows = 3;    // frame number, timestamp (ms), skipped
constexpr std::uint8_t kInk = 235;
constexpr std::uint8_t kPaper = 16;

// 75% bars: white, yellow, cyan, green, magenta, red, blue, black (BT.601 studio range).
constexpr std::array<Yuv, 8> kBars{{{180, 128, 128},
                                    {162, 44, 142},
                                    {131, 156, 44},
                                    {112, 72, 58},
                                    {84, 184, 198},
                                    {65, 100, 212},
                                    {35, 212, 114},
                                    {16, 128, 128}}};

// Cell size in pixels of one font pixel: grows with the image so the overlay stays readable.
int scale_for(const VideoParams& v) {
    return std::max(1, static_cast<int>(v.height / 120));
}

bool overlay_fits(const VideoParams& v) {
    const int s = scale_for(v);
    return static_cast<int>(v.width) >= (2 + kDigits * 4) * s &&
           static_cast<int>(v.height) >= (2 + kRows * 6) * s;
}

void put_luma(std::span<std::byte> img, const VideoParams& v, std::uint32_t x, std::uint32_t y,
              std::uint8_t l) {
    switch (v.format) {
        case VideoFormat::Nv12:
            img[y * v.width + x] = std::byte{l};
            break;
        case VideoFormat::Yuy2:
            img[(y * v.width + x) * 2] = std::byte{l};
            break;
        case VideoFormat::Rgb24: {
            auto* p = &img[rgb_offset(v, x, y)];
            p[0] = p[1] = p[2] = std::byte{l};
            break;
        }
    }
}

std::uint8_t get_luma(std::span<const std::byte> img, const VideoParams& v, std::uint32_t x,
                      std::uint32_t y) {
    switch (v.format) {
        case VideoFormat::Nv12:
            return std::to_integer<std::uint8_t>(img[y * v.width + x]);
        case VideoFormat::Yuy2:
            return std::to_integer<std::uint8_t>(img[(y * v.width + x) * 2]);
        case VideoFormat::Rgb24:
            return std::to_integer<std::uint8_t>(img[rgb_offset(v, x, y) + 1]);
    }
    return 0;
}

void draw_bars(std::span<std::byte> img, const VideoParams& v, std::uint64_t frame) {
    const std::uint32_t w = v.width, h = v.height;
    if (w == 0 || h == 0) return;
    const std::uint32_t shift = static_cast<std::uint32_t>((frame * 4) % w);
    auto bar_at = [&](std::uint32_t x) { return kBars[((x + shift) % w) * 8 / w]; };
    // Every row of a plane is the same: work one out, then copy it down the plane in memory order.
    // (Drawn column by column, the bars of a 1080p NV12 frame took about 20 times longer.)
    auto repeat_row = [&](std::byte* first, std::size_t stride, std::size_t bytes, std::uint32_t rows) {
        for (std::uint32_t row = 1; row < rows; ++row) std::memcpy(first + row * stride, first, bytes);
    };
    switch (v.format) {
        case VideoFormat::Nv12: {
            std::byte* luma = img.data();
            for (std::uint32_t x = 0; x < w; ++x) luma[x] = std::byte{bar_at(x).y};
            repeat_row(luma, w, w, h);
            if (h / 2 == 0) break;
            std::byte* uv = img.data() + std::size_t{w} * h;
            for (std::uint32_t x = 0; x + 1 < w; x += 2) {
                const Yuv c = bar_at(x);
                uv[x] = std::byte{c.u};
                uv[x + 1] = std::byte{c.v};
            }
            repeat_row(uv, w, w, h / 2);
            break;
        }
        case VideoFormat::Yuy2: {
            for (std::uint32_t x = 0; x + 1 < w; x += 2) {
                const Yuv c = bar_at(x);
                std::byte* p = &img[std::size_t{x} * 2];
                p[0] = std::byte{c.y};
                p[1] = std::byte{c.u};
                p[2] = std::byte{bar_at(x + 1).y};
                p[3] = std::byte{c.v};
            }
            repeat_row(img.data(), std::size_t{w} * 2, std::size_t{w} * 2, h);
            break;
        }
        case VideoFormat::Rgb24: {
            // Bottom-up rows, each padded to 4 bytes: the top row is the last in memory.
            std::byte* top = &img[rgb_offset(v, 0, 0)];
            for (std::uint32_t x = 0; x < w; ++x) {
                const Bgr c = to_bgr(bar_at(x));
                top[std::size_t{x} * 3 + 0] = std::byte{c.b};
                top[std::size_t{x} * 3 + 1] = std::byte{c.g};
                top[std::size_t{x} * 3 + 2] = std::byte{c.r};
            }
            for (std::uint32_t row = 1; row < h; ++row)
                std::memcpy(&img[rgb_offset(v, 0, row)], top, std::size_t{w} * 3);
            break;
        }
    }
}

// The overlay box is black and white: its chroma samples are set to neutral (128), so the digits
// keep their contrast through a conversion to RGB, whatever bar scrolls under them. A chroma sample
// shared with a bar pixel at the box's edge goes neutral too (one pixel of grey fringe at most).
void neutral_chroma(std::span<std::byte> img, const VideoParams& v, std::uint32_t x0, std::uint32_t y0,
                    std::uint32_t w, std::uint32_t h) {
    const std::uint32_t x1 = std::min(x0 + w, v.width), y1 = std::min(y0 + h, v.height);
    switch (v.format) {
        case VideoFormat::Nv12: {
            std::byte* uv = img.data() + std::size_t{v.width} * v.height;
            for (std::uint32_t cy = y0 / 2; cy < (y1 + 1) / 2 && cy < v.height / 2; ++cy)
                for (std::uint32_t x = x0 & ~1u; x + 1 < v.width && x < x1; x += 2)
                    uv[std::size_t{cy} * v.width + x] = uv[std::size_t{cy} * v.width + x + 1] =
                        std::byte{128};
            break;
        }
        case VideoFormat::Yuy2:
            for (std::uint32_t y = y0; y < y1; ++y)
                for (std::uint32_t x = x0 & ~1u; x + 1 < v.width && x < x1; x += 2) {
                    std::byte* p = &img[(std::size_t{y} * v.width + x) * 2];
                    p[1] = p[3] = std::byte{128};
                }
            break;
        case VideoFormat::Rgb24:
            break;  // put_luma already writes grey
    }
}

void draw_number(std::span<std::byte> img, const VideoParams& v, int row, std::uint64_t value) {
    const int s = scale_for(v);
    const int y0 = s + row * 6 * s;
    neutral_chroma(img, v, static_cast<std::uint32_t>(s), static_cast<std::uint32_t>(y0),
                   static_cast<std::uint32_t>(kDigits * 4 * s), static_cast<std::uint32_t>(6 * s));
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

std::optional<std::uint64_t> read_frame_counter(std::span<const std::byte> image,
                                                const proto::VideoParams& v) {
    if (image.size() < proto::image_size(v) || !overlay_fits(v)) return std::nullopt;
    const int s = scale_for(v);
    std::uint64_t value = 0;
    for (int d = 0; d < kDigits; ++d) {
        std::array<std::uint8_t, 5> seen{};
        for (int gy = 0; gy < 5; ++gy)
            for (int gx = 0; gx < 3; ++gx) {
                const std::uint8_t l = get_luma(image, v, s + d * 4 * s + gx * s + s / 2, s + gy * s + s / 2);
                if (l > 200)
                    seen[gy] |= static_cast<std::uint8_t>(1u << (2 - gx));
                else if (l > 40)
                    return std::nullopt;  // neither ink nor paper: not our overlay
            }
        const auto it = std::ranges::find(kGlyphs, seen);
        if (it == kGlyphs.end()) return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(it - kGlyphs.begin());
    }
    return value;
}

}  // namespace ksim::daemon
