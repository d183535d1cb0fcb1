// Files a person can open from captured frames: PNG for video (an RGB image from
// client::to_rgb, encoded by libpng) and WAV for PCM audio (a RIFF header from the pin's audio
// format, then the samples as the pin delivered them). Pure functions apart from the writers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>

#include "ksim/client/image.hpp"
#include "ksim/proto/error.hpp"
#include "ksim/proto/topology.hpp"

namespace ksim::ctl {

// Writes `image` as an 8-bit RGB PNG (replacing `path`). Errors: Io with the path and the reason.
Result<void> write_png(const std::filesystem::path& path, const client::RgbImage& image);

// The 44-byte canonical WAVE header (RIFF, "fmt " with WAVE_FORMAT_PCM, "data") for `data_bytes`
// of samples in `audio`'s format, little-endian as RIFF is.
std::array<std::byte, 44> wav_header(const proto::AudioParams& audio, std::uint32_t data_bytes);

// One WAV file filled frame by frame: open() writes a header for zero bytes, append() adds
// samples, finish() writes the header again with the sizes of what was appended.
class WavWriter {
public:
    // Errors: InvalidArgument for a format WAVE_FORMAT_PCM cannot describe (no channels, a sample
    // size that is not a whole number of bytes), Io when the file cannot be created.
    static Result<WavWriter> open(const std::filesystem::path& path, const proto::AudioParams& audio);
    Result<void> append(std::span<const std::byte> samples);
    Result<void> finish();
    [[nodiscard]] std::uint64_t data_bytes() const { return data_bytes_; }

private:
    WavWriter(std::filesystem::path path, const proto::AudioParams& audio, std::ofstream file);
    std::filesystem::path path_;
    proto::AudioParams audio_;
    std::ofstream file_;
    std::uint64_t data_bytes_ = 0;
};

}  // namespace ksim::ctl
