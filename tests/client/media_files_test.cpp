// ksimctl capture's files: PNG written through libpng and read back with it (size and pixels,
// from an RGB image and from an NV12 frame through client::to_rgb), and the WAV header's fields
// for a PCM format, patched with the sizes when the file is finished.
#include "media_files.hpp"

#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

namespace ksim::ctl {
namespace {

class MediaFiles : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/ksim-media-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path dir_;
};

client::RgbImage read_png(const std::filesystem::path& path) {
    png_image png;
    std::memset(&png, 0, sizeof png);
    png.version = PNG_IMAGE_VERSION;
    client::RgbImage out;
    if (png_image_begin_read_from_file(&png, path.c_str()) == 0) {
        ADD_FAILURE() << png.message;
        return out;
    }
    png.format = PNG_FORMAT_RGB;
    out.width = png.width;
    out.height = png.height;
    out.pixels.resize(PNG_IMAGE_SIZE(png));
    if (png_image_finish_read(&png, nullptr, out.pixels.data(), 0, nullptr) == 0)
        ADD_FAILURE() << png.message;
    return out;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint32_t le(const std::string& b, std::size_t at, int bytes) {
    std::uint32_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(b[at + i]);
    return v;
}

TEST_F(MediaFiles, Png_WrittenAndReadBack_HasTheSizeAndEveryPixel) {
    const client::RgbImage image{
        3, 2, {255, 0, 0, 0, 255, 0, 0, 0, 255, 1, 2, 3, 128, 128, 128, 250, 251, 252}};
    ASSERT_TRUE(write_png(dir_ / "a.png", image).has_value());
    const auto back = read_png(dir_ / "a.png");
    EXPECT_EQ(back.width, 3u);
    EXPECT_EQ(back.height, 2u);
    EXPECT_EQ(back.pixels, image.pixels);
}

TEST_F(MediaFiles, Png_OfAnNv12Frame_ShowsItsKnownPixels) {
    // 4x2 NV12: left pair white (Y 235), right pair black (Y 16), neutral chroma; then a red
    // chroma pair over the right half (Cb 90, Cr 240) with Y 81: BT.601 red.
    std::vector<std::byte> frame(4 * 2 * 3 / 2);
    const std::uint8_t y[8] = {235, 235, 81, 81, 235, 235, 81, 81};
    for (int i = 0; i < 8; ++i) frame[i] = std::byte{y[i]};
    const std::uint8_t uv[4] = {128, 128, 90, 240};
    for (int i = 0; i < 4; ++i) frame[8 + i] = std::byte{uv[i]};
    auto rgb = client::to_rgb(frame, proto::VideoParams{proto::VideoFormat::Nv12, 4, 2, 30, 1});
    ASSERT_TRUE(rgb.has_value()) << rgb.error().message;
    ASSERT_TRUE(write_png(dir_ / "nv12.png", *rgb).has_value());
    const auto back = read_png(dir_ / "nv12.png");
    ASSERT_EQ(back.pixels.size(), 4u * 2 * 3);
    EXPECT_EQ(back.pixels[0], 255);
    EXPECT_EQ(back.pixels[1], 255);
    EXPECT_EQ(back.pixels[2], 255);
    const std::uint8_t* red = &back.pixels[3 * 3];  // (3, 0)
    EXPECT_GE(red[0], 250);
    EXPECT_LE(red[1], 5);
    EXPECT_LE(red[2], 5);
}

TEST_F(MediaFiles, Png_OfAMalformedImage_IsRefusedNamingThePath) {
    const client::RgbImage image{4, 4, std::vector<std::uint8_t>(5)};
    auto r = write_png(dir_ / "bad.png", image);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("bad.png"), std::string::npos) << r.error().message;
}

TEST(WavHeader, Fields_MatchThePcmFormat) {
    const auto h = wav_header(proto::AudioParams{44100, 1, 24, 441}, 1323);
    const std::string b(reinterpret_cast<const char*>(h.data()), h.size());
    EXPECT_EQ(b.substr(0, 4), "RIFF");
    EXPECT_EQ(le(b, 4, 4), 36u + 1323);
    EXPECT_EQ(b.substr(8, 8), "WAVEfmt ");
    EXPECT_EQ(le(b, 16, 4), 16u);
    EXPECT_EQ(le(b, 20, 2), 1u);  // WAVE_FORMAT_PCM
    EXPECT_EQ(le(b, 22, 2), 1u);
    EXPECT_EQ(le(b, 24, 4), 44100u);
    EXPECT_EQ(le(b, 28, 4), 44100u * 3);
    EXPECT_EQ(le(b, 32, 2), 3u);
    EXPECT_EQ(le(b, 34, 2), 24u);
    EXPECT_EQ(b.substr(36, 4), "data");
    EXPECT_EQ(le(b, 40, 4), 1323u);
}

TEST_F(MediaFiles, WavWriter_Finished_HasTheSizesOfWhatWasAppendedAndTheSamples) {
    auto w = WavWriter::open(dir_ / "a.wav", proto::AudioParams{48000, 2, 16, 480});
    ASSERT_TRUE(w.has_value()) << w.error().message;
    const std::vector<std::byte> period(1920, std::byte{0x5A});
    ASSERT_TRUE(w->append(period).has_value());
    ASSERT_TRUE(w->append(period).has_value());
    ASSERT_TRUE(w->finish().has_value());
    const std::string b = read_file(dir_ / "a.wav");
    ASSERT_EQ(b.size(), 44u + 3840);
    EXPECT_EQ(le(b, 4, 4), 36u + 3840);
    EXPECT_EQ(le(b, 40, 4), 3840u);
    EXPECT_EQ(static_cast<unsigned char>(b[44]), 0x5A);
}

TEST_F(MediaFiles, WavWriter_ASampleSizeNotInWholeBytes_IsRefused) {
    auto w = WavWriter::open(dir_ / "odd.wav", proto::AudioParams{48000, 2, 12, 480});
    ASSERT_FALSE(w.has_value());
    EXPECT_EQ(w.error().code, Errc::InvalidArgument);
    EXPECT_NE(w.error().message.find("12-bit"), std::string::npos) << w.error().message;
}

}  // namespace
}  // namespace ksim::ctl
