// PCM sine for the simulated audio capture: interleaved channels, 8/16/24/32-bit signed
// little-endian (8-bit unsigned as WAVE does), continuous phase across periods.
#include <cmath>
#include <numbers>

#include "ksim/daemon/content.hpp"

namespace ksim::daemon {

namespace {

class AudioContent final : public ContentGenerator {
public:
    AudioContent(const proto::AudioParams& a, double tone_hz)
        : a_(a), tone_hz_(tone_hz), size_(proto::period_size(a)) {}
    [[nodiscard]] std::uint32_t image_size() const override { return size_; }

    void render(std::span<std::byte> out, const RenderInfo& info) override {
        if (out.size() < size_ || a_.sample_rate == 0) return;
        const std::uint32_t bytes = (a_.bits_per_sample + 7) / 8;
        // Phase follows the period number, so a dropped period leaves an audible gap, not a glitch.
        const std::uint64_t first = (info.frame_number + info.skipped) * a_.frames_per_period;
        std::size_t pos = 0;
        for (std::uint32_t i = 0; i < a_.frames_per_period; ++i) {
            const double t = static_cast<double>(first + i) / a_.sample_rate;
            const double s = 0.5 * std::sin(2 * std::numbers::pi * tone_hz_ * t);
            for (std::uint32_t c = 0; c < a_.channels; ++c) {
                const auto v =
                    static_cast<std::int64_t>(s * static_cast<double>((1ll << (bytes * 8 - 1)) - 1));
                std::uint64_t u = static_cast<std::uint64_t>(v);
                if (bytes == 1) u = static_cast<std::uint64_t>(v + 128);
                for (std::uint32_t b = 0; b < bytes; ++b)
                    out[pos++] = static_cast<std::byte>((u >> (8 * b)) & 0xFF);
            }
        }
    }

private:
    proto::AudioParams a_;
    double tone_hz_;
    std::uint32_t size_;
};

}  // namespace

std::unique_ptr<ContentGenerator> make_audio_content(const proto::AudioParams& audio, double tone_hz) {
    return std::make_unique<AudioContent>(audio, tone_hz);
}

}  // namespace ksim::daemon
