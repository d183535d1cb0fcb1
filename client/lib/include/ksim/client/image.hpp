// Converting captured video frames to images a person can open: NV12, YUY2 and RGB24 frames to
// binary PPM (P6). Pure functions, no I/O except write_ppm(); thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ksim/proto/error.hpp"
#include "ksim/proto/topology.hpp"

namespace ksim::client {

// "NV12" / "YUY2" / "RGB24" (case-insensitive); proto::to_string() is the inverse.
std::optional<proto::VideoFormat> parse_video_format(std::string_view name);

// "NV12" + "1920x1080" -> the video params (30 fps); nullopt when either is malformed, a
// dimension is zero, or the format is unknown. What the capture tools' --format/--size take.
std::optional<proto::VideoParams> parse_video_params(std::string_view format, std::string_view size);

// The video format when the stream does not say it: the one common resolution (QVGA..4K) and
// format whose image size is exactly `image_bytes`; nullopt when none or several match.
std::optional<proto::VideoParams> guess_video_params(std::size_t image_bytes);

// An RGB image, 3 bytes per pixel (R, G, B), rows top to bottom, no padding.
struct RgbImage {
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    std::vector<std::uint8_t> pixels;
};

// Converts one frame. Layouts (as the simulated capture writes them, matching the Windows
// media types): NV12 = Y plane (width bytes per row) then interleaved Cb/Cr at half resolution;
// YUY2 = Y0 Cb Y1 Cr per pixel pair; RGB24 = a bottom-up DIB, B G R per pixel, rows padded to
// 4 bytes. YUV uses BT.601 limited range. Width and height must be even for NV12 and YUY2.
// Errors: InvalidArgument when `frame` is shorter than proto::image_size(video) or the
// geometry is zero/odd (the message says which size was expected).
Result<RgbImage> to_rgb(std::span<const std::byte> frame, const proto::VideoParams& video);

// "P6\n<w> <h>\n255\n" followed by the pixels.
std::string encode_ppm(const RgbImage& image);

// Writes encode_ppm(image) to `path` (replacing it). Errors: Io with the path and strerror.
Result<void> write_ppm(const std::filesystem::path& path, const RgbImage& image);

}  // namespace ksim::client
