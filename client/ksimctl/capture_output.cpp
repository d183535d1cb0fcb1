#include "capture_output.hpp"

#include <fmt/format.h>

#include <fstream>

namespace ksim::ctl {

CaptureOutput::CaptureOutput(std::filesystem::path dir, StreamFormat format, bool raw)
    : dir_(std::move(dir)), format_(format), raw_(raw) {}

Result<CaptureOutput> CaptureOutput::open(const std::filesystem::path& dir, const StreamFormat& format,
                                          bool raw) {
    CaptureOutput out(dir, format, raw);
    if (!raw && format.audio) {
        auto wav = WavWriter::open(dir / "capture.wav", *format.audio);
        if (!wav) return std::unexpected(wav.error());
        out.wav_.emplace(std::move(*wav));
    }
    return out;
}

Result<std::filesystem::path> CaptureOutput::write(const client::FrameView& frame, unsigned n) {
    if (raw_) return write_raw(frame, n);
    if (wav_) {
        if (auto r = wav_->append(frame.bytes()); !r) return std::unexpected(r.error());
        return dir_ / "capture.wav";
    }
    // Without a declared format, the one common geometry whose image size is the frame's.
    const auto video = format_.video ? format_.video : client::guess_video_params(frame.bytes().size());
    if (!video) {
        guessed_raw_ = true;
        return write_raw(frame, n);
    }
    auto image = client::to_rgb(frame.bytes(), *video);
    if (!image) return std::unexpected(image.error());
    auto path = dir_ / fmt::format("frame-{:04}.png", n);
    if (auto w = write_png(path, *image); !w) return std::unexpected(w.error());
    return path;
}

Result<std::filesystem::path> CaptureOutput::write_raw(const client::FrameView& frame, unsigned n) {
    auto path = dir_ / fmt::format("frame-{:04}.raw", n);
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(frame.bytes().data()),
               static_cast<std::streamsize>(frame.bytes().size()));
    if (!file.flush()) return fail(Errc::Io, "cannot write " + path.string());
    return path;
}

Result<void> CaptureOutput::finish() {
    if (wav_) return wav_->finish();
    return {};
}

std::string CaptureOutput::kind() const {
    if (raw_ || guessed_raw_) return "raw";
    return wav_ ? "WAV" : "PNG";
}

}  // namespace ksim::ctl
