// WAV (RIFF/WAVE, WAVE_FORMAT_PCM): the canonical 44-byte header and a writer that patches the
// sizes in when the capture is over.
#include <cerrno>
#include <cstring>

#include "media_files.hpp"

namespace ksim::ctl {
namespace {

constexpr std::uint16_t kWaveFormatPcm = 1;

void put_u32(std::byte* at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) at[i] = static_cast<std::byte>((v >> (8 * i)) & 0xFF);
}
void put_u16(std::byte* at, std::uint16_t v) {
    at[0] = static_cast<std::byte>(v & 0xFF);
    at[1] = static_cast<std::byte>(v >> 8);
}
void put_tag(std::byte* at, const char (&tag)[5]) {
    std::memcpy(at, tag, 4);
}

}  // namespace

std::array<std::byte, 44> wav_header(const proto::AudioParams& audio, std::uint32_t data_bytes) {
    const std::uint16_t block_align =
        static_cast<std::uint16_t>(audio.channels * (audio.bits_per_sample / 8));
    std::array<std::byte, 44> h{};
    put_tag(&h[0], "RIFF");
    put_u32(&h[4], 36 + data_bytes);  // the rest of the file after this field
    put_tag(&h[8], "WAVE");
    put_tag(&h[12], "fmt ");
    put_u32(&h[16], 16);  // PCMWAVEFORMAT
    put_u16(&h[20], kWaveFormatPcm);
    put_u16(&h[22], static_cast<std::uint16_t>(audio.channels));
    put_u32(&h[24], audio.sample_rate);
    put_u32(&h[28], audio.sample_rate * block_align);  // nAvgBytesPerSec
    put_u16(&h[32], block_align);
    put_u16(&h[34], static_cast<std::uint16_t>(audio.bits_per_sample));
    put_tag(&h[36], "data");
    put_u32(&h[40], data_bytes);
    return h;
}

WavWriter::WavWriter(std::filesystem::path path, const proto::AudioParams& audio, std::ofstream file)
    : path_(std::move(path)), audio_(audio), file_(std::move(file)) {}

Result<WavWriter> WavWriter::open(const std::filesystem::path& path, const proto::AudioParams& audio) {
    if (audio.channels == 0 || audio.channels > 0xFFFF || audio.bits_per_sample == 0 ||
        audio.bits_per_sample % 8 != 0 || audio.sample_rate == 0)
        return fail(Errc::InvalidArgument, "cannot write " + path.string() + ": " +
                                               std::to_string(audio.channels) + " channel(s) of " +
                                               std::to_string(audio.bits_per_sample) + "-bit samples at " +
                                               std::to_string(audio.sample_rate) +
                                               " Hz is not a PCM format a WAV header can describe");
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (!file)
        return fail(Errc::Io, "cannot open " + path.string() + " for writing: " + std::strerror(errno));
    WavWriter w(path, audio, std::move(file));
    const auto header = wav_header(audio, 0);
    w.file_.write(reinterpret_cast<const char*>(header.data()), header.size());
    if (!w.file_) return fail(Errc::Io, "cannot write " + path.string() + ": " + std::strerror(errno));
    return w;
}

Result<void> WavWriter::append(std::span<const std::byte> samples) {
    if (data_bytes_ + samples.size() > 0xFFFFFFFFu - 36)
        return fail(Errc::InvalidArgument, path_.string() + ": a WAV file holds at most 4 GiB of samples");
    file_.write(reinterpret_cast<const char*>(samples.data()), static_cast<std::streamsize>(samples.size()));
    if (!file_) return fail(Errc::Io, "cannot write " + path_.string() + ": " + std::strerror(errno));
    data_bytes_ += samples.size();
    return {};
}

Result<void> WavWriter::finish() {
    const auto header = wav_header(audio_, static_cast<std::uint32_t>(data_bytes_));
    file_.seekp(0);
    file_.write(reinterpret_cast<const char*>(header.data()), header.size());
    if (!file_.flush()) return fail(Errc::Io, "cannot write " + path_.string() + ": " + std::strerror(errno));
    return {};
}

}  // namespace ksim::ctl
