#include "capture_format.hpp"

#include <algorithm>
#include <cstring>

#include "../video_picture.hpp"
#include "ksim/daemon/content.hpp"

namespace ksim::daemon {
namespace {

bool major_is(const KSDATAFORMAT& f, const GUID& major) {
    return std::memcmp(&f.MajorFormat, &major, sizeof(GUID)) == 0;
}

}  // namespace

std::optional<CaptureFormat> capture_format(const KSDATAFORMAT* format) {
    if (format == nullptr) return std::nullopt;
    if (major_is(*format, GUID STATIC_KSDATAFORMAT_TYPE_VIDEO) &&
        format->FormatSize >= sizeof(KS_DATAFORMAT_VIDEOINFOHEADER)) {
        const KS_VIDEOINFOHEADER& vih =
            reinterpret_cast<const KS_DATAFORMAT_VIDEOINFOHEADER*>(format)->VideoInfoHeader;
        const std::optional<proto::VideoParams> video = video_picture_of(format);
        if (!video) return std::nullopt;
        // AvgTimePerFrame is the config's fps_denominator / fps_numerator seconds, the class
        // driver's frame period too (kernel.cpp, frame_period).
        const Ticks period =
            vih.AvgTimePerFrame > 0 ? static_cast<Ticks>(vih.AvgTimePerFrame) : kTicksPerSecond / 30;
        return CaptureFormat{make_video_content(*video), std::max<Ticks>(1, period), video};
    }
    if (major_is(*format, GUID STATIC_KSDATAFORMAT_TYPE_AUDIO) &&
        format->FormatSize >= sizeof(KSDATAFORMAT_WAVEFORMATEX)) {
        const auto& wave = *reinterpret_cast<const KSDATAFORMAT_WAVEFORMATEX*>(format);
        proto::AudioParams audio;
        audio.sample_rate = wave.WaveFormatEx.nSamplesPerSec;
        audio.channels = wave.WaveFormatEx.nChannels;
        audio.bits_per_sample = wave.WaveFormatEx.wBitsPerSample;
        audio.frames_per_period = wave.KsimFramesPerPeriod;
        const Ticks period = audio.sample_rate > 0
                                 ? kTicksPerSecond * audio.frames_per_period / audio.sample_rate
                                 : kTicksPerSecond / 30;
        return CaptureFormat{make_audio_content(audio), std::max<Ticks>(1, period), std::nullopt};
    }
    return std::nullopt;
}

}  // namespace ksim::daemon
