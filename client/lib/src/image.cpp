#include "ksim/client/image.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <utility>

namespace ksim::client {
namespace {

std::uint8_t clamp_byte(int v) {
    return static_cast<std::uint8_t>(std::clamp(v, 0, 255));
}

// BT.601 limited range, integer arithmetic (the usual 8-bit fixed-point coefficients).
void yuv_to_rgb(int y, int u, int v, std::uint8_t* out) {
    int c = y - 16, d = u - 128, e = v - 128;
    out[0] = clamp_byte((298 * c + 409 * e + 128) >> 8);
    out[1] = clamp_byte((298 * c - 100 * d - 208 * e + 128) >> 8);
    out[2] = clamp_byte((298 * c + 516 * d + 128) >> 8);
}

const std::uint8_t* bytes_of(std::span<const std::byte> frame) {
    return reinterpret_cast<const std::uint8_t*>(frame.data());
}

void convert_nv12(const std::uint8_t* src, RgbImage& img) {
    const std::uint32_t w = img.width, h = img.height;
    const std::uint8_t* uv_plane = src + std::size_t{w} * h;
    for (std::uint32_t row = 0; row < h; ++row) {
        const std::uint8_t* y_row = src + std::size_t{row} * w;
        const std::uint8_t* uv_row = uv_plane + std::size_t{row / 2} * w;
        std::uint8_t* out = img.pixels.data() + std::size_t{row} * w * 3;
        for (std::uint32_t col = 0; col < w; ++col)
            yuv_to_rgb(y_row[col], uv_row[col & ~1u], uv_row[(col & ~1u) + 1], out + std::size_t{col} * 3);
    }
}

void convert_yuy2(const std::uint8_t* src, RgbImage& img) {
    const std::uint32_t w = img.width, h = img.height;
    for (std::uint32_t row = 0; row < h; ++row) {
        const std::uint8_t* in = src + std::size_t{row} * w * 2;
        std::uint8_t* out = img.pixels.data() + std::size_t{row} * w * 3;
        for (std::uint32_t col = 0; col < w; col += 2) {
            const std::uint8_t* pair = in + std::size_t{col} * 2;
            yuv_to_rgb(pair[0], pair[1], pair[3], out + std::size_t{col} * 3);
            yuv_to_rgb(pair[2], pair[1], pair[3], out + std::size_t{col + 1} * 3);
        }
    }
}

void convert_rgb24_dib(const std::uint8_t* src, RgbImage& img) {
    const std::uint32_t w = img.width, h = img.height;
    const std::size_t stride = (std::size_t{w} * 3 + 3) & ~std::size_t{3};
    for (std::uint32_t row = 0; row < h; ++row) {
        const std::uint8_t* in = src + std::size_t{h - 1 - row} * stride;  // bottom-up
        std::uint8_t* out = img.pixels.data() + std::size_t{row} * w * 3;
        for (std::uint32_t col = 0; col < w; ++col) {
            out[col * 3 + 0] = in[col * 3 + 2];
            out[col * 3 + 1] = in[col * 3 + 1];
            out[col * 3 + 2] = in[col * 3 + 0];
        }
    }
}

}  // namespace

std::optional<proto::VideoFormat> parse_video_format(std::string_view name) {
    std::string upper(name);
    std::ranges::transform(upper, upper.begin(),
                           [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (upper == "NV12") return proto::VideoFormat::Nv12;
    if (upper == "YUY2") return proto::VideoFormat::Yuy2;
    if (upper == "RGB24") return proto::VideoFormat::Rgb24;
    return std::nullopt;
}

std::optional<proto::VideoParams> parse_video_params(std::string_view format, std::string_view size) {
    auto f = parse_video_format(format);
    if (!f) return std::nullopt;
    proto::VideoParams v{*f, 0, 0, 30, 1};
    const std::string text(size);
    char tail = 0;
    if (std::sscanf(text.c_str(), "%ux%u%c", &v.width, &v.height, &tail) != 2 || v.width == 0 ||
        v.height == 0)
        return std::nullopt;
    return v;
}

std::optional<proto::VideoParams> guess_video_params(std::size_t image_bytes) {
    static constexpr std::pair<std::uint32_t, std::uint32_t> kResolutions[] = {
        {320, 240},  {640, 360},  {640, 480},   {800, 600},   {1024, 768},
        {1280, 720}, {1280, 960}, {1920, 1080}, {2560, 1440}, {3840, 2160}};
    std::optional<proto::VideoParams> found;
    for (auto [w, h] : kResolutions)
        for (auto f : {proto::VideoFormat::Nv12, proto::VideoFormat::Yuy2, proto::VideoFormat::Rgb24}) {
            proto::VideoParams v{f, w, h, 30, 1};
            if (proto::image_size(v) != image_bytes) continue;
            if (found) return std::nullopt;  // ambiguous: let the caller ask for --format/--size
            found = v;
        }
    return found;
}

Result<RgbImage> to_rgb(std::span<const std::byte> frame, const proto::VideoParams& video) {
    const bool yuv = video.format != proto::VideoFormat::Rgb24;
    if (video.width == 0 || video.height == 0 || (yuv && (video.width % 2 != 0 || video.height % 2 != 0)))
        return fail(Errc::InvalidArgument, std::to_string(video.width) + "x" + std::to_string(video.height) +
                                               " is not a valid " +
                                               std::string(proto::to_string(video.format)) +
                                               " geometry (non-zero" + (yuv ? ", even)" : ")"));
    const std::size_t expected = proto::image_size(video);
    if (frame.size() < expected)
        return fail(Errc::InvalidArgument,
                    std::string(proto::to_string(video.format)) + " " + std::to_string(video.width) + "x" +
                        std::to_string(video.height) + " needs " + std::to_string(expected) +
                        " bytes, frame has " + std::to_string(frame.size()));
    RgbImage img{video.width, video.height, {}};
    img.pixels.resize(std::size_t{video.width} * video.height * 3);
    switch (video.format) {
        case proto::VideoFormat::Nv12:
            convert_nv12(bytes_of(frame), img);
            break;
        case proto::VideoFormat::Yuy2:
            convert_yuy2(bytes_of(frame), img);
            break;
        case proto::VideoFormat::Rgb24:
            convert_rgb24_dib(bytes_of(frame), img);
            break;
    }
    return img;
}

std::string encode_ppm(const RgbImage& image) {
    std::string out = "P6\n" + std::to_string(image.width) + " " + std::to_string(image.height) + "\n255\n";
    out.append(reinterpret_cast<const char*>(image.pixels.data()), image.pixels.size());
    return out;
}

Result<void> write_ppm(const std::filesystem::path& path, const RgbImage& image) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (!file)
        return fail(Errc::Io, "cannot open " + path.string() + " for writing: " + std::strerror(errno));
    const std::string data = encode_ppm(image);
    file.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!file.flush()) return fail(Errc::Io, "cannot write " + path.string() + ": " + std::strerror(errno));
    return {};
}

}  // namespace ksim::client
