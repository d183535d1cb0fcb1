// Synthetic content for the simulated capture hardware: video (NV12, YUY2, RGB24 bottom-up) with moving
// colour bars and an overlay a person can read (frame number, timestamp in ms, skipped frames,
// drawn with a tiny built-in 3x5 digit font, white on black), and PCM audio (a sine with continuous phase).
// Pure functions, no state shared between threads. The transforms are in transforms.hpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "ksim/daemon/content_generator.hpp"
#include "ksim/proto/topology.hpp"

namespace ksim::daemon {

std::unique_ptr<ContentGenerator> make_video_content(const proto::VideoParams& video);
std::unique_ptr<ContentGenerator> make_audio_content(const proto::AudioParams& audio, double tone_hz = 440.0);

// Reads back the frame number the video generator drew into `image` (so sinks and tests can
// check that frames advance). nullopt when the overlay is unreadable (wrong format or size,
// image too small to carry it, or modified content).
std::optional<std::uint64_t> read_frame_counter(std::span<const std::byte> image,
                                                const proto::VideoParams& video);

}  // namespace ksim::daemon
