// Frame-to-image conversion: known colours survive NV12/YUY2/RGB24 → RGB, layouts are honoured
// (NV12 chroma subsampling, YUY2 pairs, bottom-up BGR DIB rows), bad input gives specific errors.
#include "ksim/client/image.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

namespace ksim::client {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> values) {
    std::vector<std::byte> out;
    for (int v : values) out.push_back(static_cast<std::byte>(v));
    return out;
}

std::array<int, 3> pixel(const RgbImage& img, std::uint32_t x, std::uint32_t y) {
    const auto* p = img.pixels.data() + (std::size_t{y} * img.width + x) * 3;
    return {p[0], p[1], p[2]};
}

void expect_near(std::array<int, 3> got, std::array<int, 3> want) {
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(got[i], want[i], 2) << "channel " << i;
}

TEST(Image_Nv12, ConvertsBlackWhiteAndRedWithSharedChroma) {
    // 2x2: Y = black, white / white, black; one Cb/Cr pair for all four (neutral grey chroma).
    auto grey = bytes({16, 235, 235, 16, 128, 128});
    auto img = to_rgb(grey, {proto::VideoFormat::Nv12, 2, 2});
    ASSERT_TRUE(img) << img.error().message;
    expect_near(pixel(*img, 0, 0), {0, 0, 0});
    expect_near(pixel(*img, 1, 0), {255, 255, 255});
    expect_near(pixel(*img, 0, 1), {255, 255, 255});
    // BT.601 red: Y 81, Cb 90, Cr 240.
    auto red = bytes({81, 81, 81, 81, 90, 240});
    auto r = to_rgb(red, {proto::VideoFormat::Nv12, 2, 2});
    ASSERT_TRUE(r);
    expect_near(pixel(*r, 1, 1), {255, 0, 0});
}

TEST(Image_Yuy2, EachPairSharesChromaButKeepsItsLuma) {
    // Y0 Cb Y1 Cr: blue (Y 41, Cb 240, Cr 110) then a darker blue-ish with the same chroma.
    auto frame = bytes({41, 240, 41, 110, 41, 240, 41, 110});
    auto img = to_rgb(frame, {proto::VideoFormat::Yuy2, 2, 2});
    ASSERT_TRUE(img);
    expect_near(pixel(*img, 0, 0), {0, 0, 255});
    expect_near(pixel(*img, 1, 1), {0, 0, 255});
}

TEST(Image_Rgb24, ReadsBottomUpBgrRowsWithFourBytePadding) {
    // 1x2 image: stride 4 (3 bytes + 1 pad). Stored bottom row first: bottom = blue, top = red.
    auto frame = bytes({255, 0, 0, 0, 0, 0, 255, 0});
    auto img = to_rgb(frame, {proto::VideoFormat::Rgb24, 1, 2});
    ASSERT_TRUE(img);
    EXPECT_EQ(pixel(*img, 0, 0), (std::array<int, 3>{255, 0, 0}));  // top row: red
    EXPECT_EQ(pixel(*img, 0, 1), (std::array<int, 3>{0, 0, 255}));  // bottom row: blue
}

TEST(Image_Errors, ShortFrameNamesTheExpectedSize) {
    auto frame = bytes({1, 2, 3});
    auto img = to_rgb(frame, {proto::VideoFormat::Nv12, 4, 4});
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().code, Errc::InvalidArgument);
    EXPECT_NE(img.error().message.find("needs 24 bytes"), std::string::npos) << img.error().message;
}

TEST(Image_Errors, OddYuvGeometryIsRejected) {
    std::vector<std::byte> frame(64);
    auto img = to_rgb(frame, {proto::VideoFormat::Yuy2, 3, 2});
    ASSERT_FALSE(img);
    EXPECT_EQ(img.error().code, Errc::InvalidArgument);
}

TEST(Image_Ppm, HeaderThenPixelsAndFileRoundTrip) {
    RgbImage img{2, 1, {1, 2, 3, 4, 5, 6}};
    const std::string ppm = encode_ppm(img);
    EXPECT_EQ(ppm, std::string("P6\n2 1\n255\n") + std::string("\x01\x02\x03\x04\x05\x06", 6));

    auto path =
        std::filesystem::temp_directory_path() / ("ksim-image-test-" + std::to_string(::getpid()) + ".ppm");
    ASSERT_TRUE(write_ppm(path, img));
    std::ifstream in(path, std::ios::binary);
    std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(back, ppm);
    std::filesystem::remove(path);
}

TEST(Image_Ppm, UnwritablePathIsAnIoError) {
    auto r = write_ppm("/nonexistent-dir/x.ppm", RgbImage{1, 1, {0, 0, 0}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::Io);
    EXPECT_NE(r.error().message.find("/nonexistent-dir/x.ppm"), std::string::npos);
}

TEST(Image_Guess, FindsTheDemoFormatAndRefusesUnknownSizes) {
    auto v = guess_video_params(3110400);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->format, proto::VideoFormat::Nv12);
    EXPECT_EQ(v->width, 1920u);
    EXPECT_EQ(v->height, 1080u);
    auto rgb = guess_video_params(230400);
    ASSERT_TRUE(rgb);
    EXPECT_EQ(rgb->format, proto::VideoFormat::Rgb24);
    EXPECT_FALSE(guess_video_params(12345));
}

TEST(Image_Format, ParsesNamesCaseInsensitively) {
    EXPECT_EQ(parse_video_format("nv12"), proto::VideoFormat::Nv12);
    EXPECT_EQ(parse_video_format("YUY2"), proto::VideoFormat::Yuy2);
    EXPECT_EQ(parse_video_format("Rgb24"), proto::VideoFormat::Rgb24);
    EXPECT_FALSE(parse_video_format("MJPG"));
}

}  // namespace
}  // namespace ksim::client
