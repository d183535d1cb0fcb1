// ksim-capture-viewer: captures N frames from a pin through libksim and writes each one as a PPM
// image you can open (NV12, YUY2 and RGB24 are converted to RGB), printing the paths.
//
//   ksim-capture-viewer --pin viewer.input --count 3 --out /tmp/ksim-frames [--format NV12 --size 1920x1080]
//
// Without --format/--size the format is guessed from the frame size (client/image.hpp); the
// stream itself does not carry it yet, so a tool that knows the config (run-demo-stack.sh reads
// `ksimctl sinks`) passes the source filter's format.
// It waits for ksim-graphmgr to commit an allocator for the pin, starts the pin and the pin
// feeding it (pin_session.hpp), receives frames as read-only views over shared memory, and stops
// what it started. When ksimd goes away mid-stream, libksim reconnects and resumes the stream
// (--reconnect S); the gap is reported on stderr and the remaining frames come from the new
// session.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "ksim/client/image.hpp"
#include "pin_session.hpp"

namespace {

using namespace std::chrono_literals;
using namespace ksim;

const std::string kProgram = "ksim-capture-viewer";

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{kProgram + " - capture frames from a ksim pin as PPM images"};
    examples::PinOptions options;
    options.pin = "viewer.input";
    std::string out_dir = "ksim-frames";
    unsigned count = 3;
    std::string format;
    std::string size;
    examples::add_pin_options(app, options, "user-hosted sink pin to receive frames on");
    app.add_option("--count,-n", count, "frames to capture")->check(CLI::PositiveNumber);
    app.add_option("--out,-o", out_dir, "directory for the images");
    auto* format_option =
        app.add_option("--format", format, "NV12 | YUY2 | RGB24 (default: guessed from the frame size)");
    app.add_option("--size", size, "WIDTHxHEIGHT of the frames")->needs(format_option);
    format_option->needs(app.get_option("--size"));
    cli::add_version_flag(app, kProgram);
    if (auto done = cli::parse(app, argc, argv)) return *done;
    std::optional<proto::VideoParams> stated;
    if (!format.empty()) {
        stated = client::parse_video_params(format, size);
        if (!stated) {  // a usage error, exit 2 like the others
            (void)examples::fail_with(
                kProgram, "--format/--size",
                Error{Errc::InvalidArgument,
                      "'" + format + "' '" + size + "': expected NV12, YUY2 or RGB24 and WIDTHxHEIGHT"});
            return cli::kExitUsage;
        }
    }

    // Connected, allocator committed, stream mapped read-only, the pin and its upstream running.
    auto session = examples::PinSession::start(options, kProgram);
    if (!session) return examples::fail_with(kProgram, "pin " + options.pin, session.error());

    // Each frame is a view into shared memory; it goes back to the pool at the end of the loop body.
    std::filesystem::create_directories(out_dir);
    for (unsigned n = 0; n < count; ++n) {
        const std::string what = "frame " + std::to_string(n);
        // Across a lost ksimd this call blocks while libksim reconnects, then waits for a frame
        // of the resumed stream; it fails only when reconnecting gave up.
        auto frame = (*session)->stream().next_frame(5s);
        if (!frame) return examples::fail_with(kProgram, what, frame.error());
        auto video = stated ? stated : client::guess_video_params(frame->bytes().size());
        if (!video)
            return examples::fail_with(
                kProgram, what,
                Error{Errc::Unsupported, std::to_string(frame->bytes().size()) +
                                             "-byte frames are not a video format this viewer knows"});
        auto image = client::to_rgb(frame->bytes(), *video);
        if (!image) return examples::fail_with(kProgram, "convert", image.error());
        const auto path = std::filesystem::path(out_dir) / ("frame-" + std::to_string(n) + ".ppm");
        if (auto w = client::write_ppm(path, *image); !w)
            return examples::fail_with(kProgram, "write", w.error());
        std::cout << std::filesystem::absolute(path).string() << "  (" << proto::to_string(video->format)
                  << " " << video->width << "x" << video->height
                  << ", t=" << frame->header().presentation_time.time << ")"
                  << std::endl;  // one path per line as it is written
    }
    if (const unsigned gaps = (*session)->gaps(); gaps > 0)
        std::cerr << kProgram << ": " << gaps << " reconnect(s) to ksimd\n";
    return 0;  // the session stops both pins
}
