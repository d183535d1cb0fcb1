// What a built-in capture pin renders, read from its ConnectionFormat as a driver reads it: a
// KS_DATAFORMAT_VIDEOINFOHEADER gives the video test pattern and AvgTimePerFrame, a
// KSDATAFORMAT_WAVEFORMATEX the PCM tone and one period of KsimFramesPerPeriod samples.
#pragma once

#include <memory>
#include <optional>

#include "ksim/daemon/clock.hpp"
#include "ksim/daemon/content_generator.hpp"
#include "ksim/ddk/avstream.h"

namespace ksim::daemon {

struct CaptureFormat {
    std::unique_ptr<ContentGenerator> content;
    Ticks period = 0;                           // one frame (video) or one period (audio), > 0
    std::optional<proto::VideoParams> pattern;  // video: the test pattern's format (frame counter)
};

// nullopt for a format that is neither (the empty KSDATAFORMAT of a filter with no format).
std::optional<CaptureFormat> capture_format(const KSDATAFORMAT* format);

}  // namespace ksim::daemon
