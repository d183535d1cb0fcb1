// ksim-user-source: a user-hosted source pin. It fills frames in shared memory it maps writable
// and submits them downstream — here to a kernel sink that counts and checks them.
//
//   ksimd --config client/examples/user-source-demo.json &   ksim-graphmgr &
//   ksim-user-source --pin app.output --frames 90
//
// Each frame is a byte gradient (RGB24-sized for the demo) that scrolls with the frame number;
// the first 8 bytes carry the frame number so a checker can verify order.
#include <CLI/CLI.hpp>
#include <cstring>
#include <iostream>
#include <thread>

#include "pin_session.hpp"

namespace {

using namespace ksim;

const std::string kProgram = "ksim-user-source";

void paint(std::span<std::byte> frame, std::uint64_t number) {
    for (std::size_t i = 0; i < frame.size(); ++i)
        frame[i] = static_cast<std::byte>((i / 3 + number * 4) & 0xFF);
    std::memcpy(frame.data(), &number, std::min(sizeof number, frame.size()));
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{kProgram + " - produce frames from a user-hosted ksim source pin"};
    examples::PinOptions options;
    options.pin = "app.output";
    unsigned frames = 90;
    double fps = 30;
    examples::add_pin_options(app, options, "user-hosted source pin");
    app.add_option("--frames,-n", frames, "frames to produce");
    app.add_option("--fps", fps, "frames per second")->check(CLI::PositiveNumber);
    cli::add_version_flag(app, kProgram);
    if (auto done = cli::parse(app, argc, argv)) return *done;

    // Connected, allocator committed, pool mapped writable (we are its producer), pins running.
    auto session = examples::PinSession::start(options, kProgram);
    if (!session) return examples::fail_with(kProgram, "pin " + options.pin, session.error());
    const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(1.0 / fps));
    auto next = std::chrono::steady_clock::now();
    unsigned submitted = 0, busy = 0;
    for (std::uint64_t n = 0; submitted < frames; ++n) {
        next += period;
        // Across a lost ksimd this call blocks while libksim reconnects (--reconnect) and then
        // takes a frame of the resumed stream's new pool.
        auto frame = (*session)->stream().acquire_frame(std::chrono::seconds(1));
        if (!frame) {
            // NoMoreEntries: every frame is downstream; skip this period like hardware would.
            if (frame.error().code != Errc::NoMoreEntries)
                return examples::fail_with(kProgram, "acquire frame", frame.error());
            ++busy;
        } else {
            paint(frame->bytes(), n);
            frame->header().presentation_time.time = static_cast<std::int64_t>(n * 10'000'000 / fps);
            if (auto s = frame->submit(static_cast<std::uint32_t>(frame->bytes().size())); !s) {
                // A frame of a session that ksimd took with it: lost in the gap. The next
                // acquire_frame resumes (or reports that reconnecting gave up).
                if (s.error().code == Errc::Disconnected && options.reconnect_seconds > 0) continue;
                return examples::fail_with(kProgram, "submit", s.error());
            }
            ++submitted;
        }
        std::this_thread::sleep_until(next);  // pacing at the frame rate, as a real source would
    }
    if (const auto& downstream = (*session)->peer())
        if (auto stats = (*session)->client().statistics(*downstream))
            std::cout << downstream->to_string() << ": " << stats->completed << " frames completed, "
                      << stats->dropped << " dropped\n";
    std::cout << "submitted " << submitted << " frames (" << busy << " periods without a free frame, "
              << (*session)->gaps() << " reconnect(s) to ksimd)\n";
    return 0;  // the session stops both pins
}
