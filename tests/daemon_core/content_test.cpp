#include "ksim/daemon/content.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace ksim::daemon {
namespace {

using proto::VideoFormat;

class VideoContentTest : public ::testing::TestWithParam<proto::VideoParams> {};

TEST_P(VideoContentTest, TheFrameCounterDrawnIsReadBackAndAdvances) {
    const proto::VideoParams v = GetParam();
    auto gen = make_video_content(v);
    ASSERT_EQ(gen->image_size(), proto::image_size(v));
    std::vector<std::byte> img(gen->image_size());
    for (std::uint64_t n : {0ull, 1ull, 9ull, 12345ull, 99999999ull}) {
        gen->render(img, RenderInfo{n, static_cast<Ticks>(n) * 333'333, 3});
        EXPECT_EQ(read_frame_counter(img, v), n) << proto::to_string(v.format) << " " << v.width << "x" << v.height;
    }
}

TEST_P(VideoContentTest, BarsMoveBetweenFrames) {
    const proto::VideoParams v = GetParam();
    auto gen = make_video_content(v);
    std::vector<std::byte> a(gen->image_size()), b(gen->image_size());
    gen->render(a, RenderInfo{1, 0, 0});
    gen->render(b, RenderInfo{2, 0, 0});
    // Compare the last row (below the overlay): moving bars change it.
    const std::size_t row = a.size() / v.height;
    EXPECT_FALSE(std::equal(a.end() - static_cast<std::ptrdiff_t>(row), a.end(), b.end() - static_cast<std::ptrdiff_t>(row)));
}

INSTANTIATE_TEST_SUITE_P(Formats, VideoContentTest,
                         ::testing::Values(proto::VideoParams{VideoFormat::Nv12, 640, 480, 30, 1},
                                           proto::VideoParams{VideoFormat::Yuy2, 320, 240, 30, 1},
                                           proto::VideoParams{VideoFormat::Rgb24, 322, 200, 25, 1},
                                           proto::VideoParams{VideoFormat::Nv12, 1920, 1080, 60, 1}),
                         [](const auto& info) {
                             const proto::VideoParams& v = info.param;
                             return std::string(proto::to_string(v.format)) + "_" + std::to_string(v.width) + "x" +
                                    std::to_string(v.height);
                         });

TEST(VideoContent, AnInvertedFrameNoLongerReadsAsACounter) {
    const proto::VideoParams v{VideoFormat::Nv12, 320, 240, 30, 1};
    auto gen = make_video_content(v);
    std::vector<std::byte> img(gen->image_size());
    gen->render(img, RenderInfo{42, 0, 0});
    invert_in_place(img);
    EXPECT_EQ(read_frame_counter(img, v), std::nullopt);
    invert_in_place(img);
    EXPECT_EQ(read_frame_counter(img, v), 42u);
}

TEST(VideoContent, TooSmallAnImageHasNoOverlayButStillRenders) {
    const proto::VideoParams v{VideoFormat::Yuy2, 16, 8, 30, 1};
    auto gen = make_video_content(v);
    std::vector<std::byte> img(gen->image_size());
    gen->render(img, RenderInfo{5, 0, 0});
    EXPECT_EQ(read_frame_counter(img, v), std::nullopt);
}

TEST(VideoContent, ScalingKeepsTheOverlayReadableAtHalfSize) {
    const proto::VideoParams big{VideoFormat::Nv12, 1280, 720, 30, 1};
    const proto::VideoParams small{VideoFormat::Nv12, 640, 360, 30, 1};
    auto gen = make_video_content(big);
    std::vector<std::byte> in(proto::image_size(big)), out(proto::image_size(small));
    gen->render(in, RenderInfo{77, 0, 0});
    ASSERT_EQ(scale_video(in, big, out, small), proto::image_size(small));
    // The small image's overlay cell size differs, so check content by sampling the source
    // geometry instead: a pixel of the scaled image equals its nearest source pixel.
    EXPECT_EQ(out[10 * 640 + 10], in[20 * 1280 + 20]);
    EXPECT_EQ(scale_video(in, big, std::span<std::byte>(out).first(10), small), 0u);
}

TEST(AudioContent, ProducesASineWithContinuousPhaseAcrossPeriods) {
    const proto::AudioParams a{48000, 2, 16, 480};
    auto gen = make_audio_content(a, 1000.0);
    ASSERT_EQ(gen->image_size(), 480u * 2 * 2);
    std::vector<std::byte> p0(gen->image_size()), p1(gen->image_size());
    gen->render(p0, RenderInfo{0, 0, 0});
    gen->render(p1, RenderInfo{1, 0, 0});
    auto sample = [](const std::vector<std::byte>& p, std::size_t i) {
        return static_cast<std::int16_t>(std::to_integer<std::uint16_t>(p[i * 4]) |
                                         (std::to_integer<std::uint16_t>(p[i * 4 + 1]) << 8));
    };
    EXPECT_EQ(sample(p0, 0), 0);
    // 1 kHz at 48 kHz: sample 12 is a quarter period, the peak at half amplitude.
    EXPECT_NEAR(sample(p0, 12), 16383, 2);
    // 480 samples = 10 full periods, so period 1 starts where period 0 started.
    EXPECT_EQ(sample(p1, 0), 0);
    EXPECT_NEAR(sample(p1, 12), 16383, 2);
    // Both channels carry the same sample.
    EXPECT_EQ(p0[48], p0[50]);
}

}  // namespace
}  // namespace ksim::daemon
