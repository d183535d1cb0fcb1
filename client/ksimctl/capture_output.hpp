// Where `ksimctl capture` puts the frames it receives: one PNG per video frame (converted from
// the stream's format by client::to_rgb), one WAV file for a PCM audio stream, or the bytes as
// they are (`--raw`, or a stream whose format is neither known nor guessable from its size).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "ksim/client/stream.hpp"
#include "media_files.hpp"

namespace ksim::ctl {

// What the stream carries: its filter's declared format, the user's --format/--size, or nothing.
struct StreamFormat {
    std::optional<proto::VideoParams> video;
    std::optional<proto::AudioParams> audio;
};

class CaptureOutput {
public:
    // Writes into `dir` (which exists). Errors: those of WavWriter::open for an audio stream.
    static Result<CaptureOutput> open(const std::filesystem::path& dir, const StreamFormat& format, bool raw);

    // Writes frame number `n`; returns the file it went to (the WAV file for every audio frame).
    Result<std::filesystem::path> write(const client::FrameView& frame, unsigned n);
    // Completes what write() left open (the WAV header's sizes).
    Result<void> finish();
    // "PNG", "WAV" or "raw": what the files are, for the summary line.
    [[nodiscard]] std::string kind() const;

private:
    CaptureOutput(std::filesystem::path dir, StreamFormat format, bool raw);
    Result<std::filesystem::path> write_raw(const client::FrameView& frame, unsigned n);

    std::filesystem::path dir_;
    StreamFormat format_;
    bool raw_ = false;
    bool guessed_raw_ = false;  // a frame's size matched no video format: written raw
    std::optional<WavWriter> wav_;
};

}  // namespace ksim::ctl
