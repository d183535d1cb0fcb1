// ksim-capture-viewer: captures N frames from a pin through libksim and writes each one as a PPM
// image you can open (NV12, YUY2 and RGB24 are converted to RGB), printing the paths.
//
//   ksim-capture-viewer --pin viewer.input --count 3 --out /tmp/ksim-frames
//
// It waits for ksim-graphmgr to commit an allocator for the pin, starts the pin and the pin
// feeding it, receives frames as read-only views over shared memory, and stops what it started.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "ksim/client/client.hpp"
#include "ksim/client/image.hpp"
#include "ksim/client/socket_path.hpp"
#include "ksim/client/stream.hpp"

namespace {

using namespace std::chrono_literals;
using namespace ksim;

int fail_with(const std::string& what, const Error& e) {
    std::cerr << "ksim-capture-viewer: " << what << ": " << e.message << "\n";
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ksim-capture-viewer - capture frames from a ksim pin as PPM images"};
    std::string socket, pin_text = "viewer.input", out_dir = "ksim-frames";
    unsigned count = 3;
    double wait_s = 10;
    app.add_option("--socket", socket, "ksimd socket (default: $XDG_RUNTIME_DIR/ksim/ksimd.sock)");
    app.add_option("--pin", pin_text, "user-hosted sink pin to receive frames on (FILTER.PIN)");
    app.add_option("--count,-n", count, "frames to capture")->check(CLI::PositiveNumber);
    app.add_option("--out,-o", out_dir, "directory for the images");
    app.add_option("--wait", wait_s, "seconds to wait for the graph manager's commit");
    CLI11_PARSE(app, argc, argv);

    auto pin = wire::parse_pin_ref(pin_text);
    if (!pin) return fail_with("--pin", Error{Errc::InvalidArgument, "expected FILTER.PIN, got " + pin_text});
    client::ConnectOptions options;
    options.socket_path = client::resolve_socket_path(socket);
    options.name = "ksim-capture-viewer";
    auto client = client::Client::connect(options);
    if (!client) return fail_with("connect", client.error());

    // 1. The graph manager decides the allocator; frames need that decision.
    auto committed = client->wait_until_committed(*pin, std::chrono::milliseconds(static_cast<long>(wait_s * 1000)));
    if (!committed) return fail_with("waiting for an allocator", committed.error());

    // 2. ACQUIRE creates the allocator; then the stream maps its region (read-only).
    if (auto s = client->set_state(*pin, proto::PinState::Acquire); !s) return fail_with("acquire", s.error());
    auto stream = client->open_stream(*pin);
    if (!stream) return fail_with("open stream", stream.error());

    // 3. Run the upstream pin, then ours.
    std::optional<proto::PinRef> upstream;
    if (auto state = client->connection_state(*pin); state && state->peer) upstream = state->peer;
    for (const auto& p : {upstream.value_or(*pin), *pin})
        if (auto s = client->set_state(p, proto::PinState::Run); !s) return fail_with("run " + p.to_string(), s.error());

    // 4. Each frame is a view into shared memory; it goes back to the pool at the end of the loop body.
    std::filesystem::create_directories(out_dir);
    int status = 0;
    for (unsigned n = 0; n < count; ++n) {
        auto frame = (*stream)->next_frame(5s);
        if (!frame) {
            status = fail_with("frame " + std::to_string(n), frame.error());
            break;
        }
        auto video = client::guess_video_params(frame->bytes().size());
        if (!video) {
            status = fail_with("frame " + std::to_string(n),
                               Error{Errc::Unsupported, std::to_string(frame->bytes().size()) +
                                                            "-byte frames are not a video format this viewer knows"});
            break;
        }
        auto image = client::to_rgb(frame->bytes(), *video);
        if (!image) {
            status = fail_with("convert", image.error());
            break;
        }
        const auto path = std::filesystem::path(out_dir) / ("frame-" + std::to_string(n) + ".ppm");
        if (auto w = client::write_ppm(path, *image); !w) {
            status = fail_with("write", w.error());
            break;
        }
        std::cout << std::filesystem::absolute(path).string() << "  (" << proto::to_string(video->format) << " "
                  << video->width << "x" << video->height << ", t=" << frame->header().presentation_time.time
                  << ")\n";
    }
    for (const auto& p : {*pin, upstream.value_or(*pin)}) (void)client->set_state(p, proto::PinState::Stop);
    return status;
}
