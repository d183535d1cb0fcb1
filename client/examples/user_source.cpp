// ksim-user-source: a user-hosted source pin. It fills frames in shared memory it maps writable
// and submits them downstream — here to a kernel sink that counts and checks them.
//
//   ksimd --config client/examples/user-source-demo.json &   ksim-graphmgr &
//   ksim-user-source --pin app.output --frames 90
//
// Each frame is an RGB24 (bottom-up BGR) gradient that scrolls with the frame number; the first
// 8 bytes carry the frame number so a checker can verify order.
#include <CLI/CLI.hpp>
#include <cstring>
#include <iostream>
#include <thread>

#include "ksim/client/client.hpp"
#include "ksim/client/socket_path.hpp"
#include "ksim/client/stream.hpp"

namespace {

using namespace std::chrono_literals;
using namespace ksim;

int fail_with(const std::string& what, const Error& e) {
    std::cerr << "ksim-user-source: " << what << ": " << e.message << "\n";
    return 1;
}

void paint(std::span<std::byte> frame, std::uint64_t number) {
    for (std::size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<std::byte>((i / 3 + number * 4) & 0xFF);
    std::memcpy(frame.data(), &number, std::min(sizeof number, frame.size()));
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ksim-user-source - produce frames from a user-hosted ksim source pin"};
    std::string socket, pin_text = "app.output";
    unsigned frames = 90;
    double fps = 30, wait_s = 10;
    app.add_option("--socket", socket, "ksimd socket (default: $XDG_RUNTIME_DIR/ksim/ksimd.sock)");
    app.add_option("--pin", pin_text, "user-hosted source pin (FILTER.PIN)");
    app.add_option("--frames,-n", frames, "frames to produce");
    app.add_option("--fps", fps, "frames per second")->check(CLI::PositiveNumber);
    app.add_option("--wait", wait_s, "seconds to wait for the graph manager's commit");
    CLI11_PARSE(app, argc, argv);

    auto pin = wire::parse_pin_ref(pin_text);
    if (!pin) return fail_with("--pin", Error{Errc::InvalidArgument, "expected FILTER.PIN, got " + pin_text});
    client::ConnectOptions options;
    options.socket_path = client::resolve_socket_path(socket);
    options.name = "ksim-user-source";
    auto client = client::Client::connect(options);
    if (!client) return fail_with("connect", client.error());

    auto committed = client->wait_until_committed(*pin, std::chrono::milliseconds(static_cast<long>(wait_s * 1000)));
    if (!committed) return fail_with("waiting for an allocator", committed.error());
    if (auto s = client->set_state(*pin, proto::PinState::Acquire); !s) return fail_with("acquire", s.error());
    auto stream = client->open_stream(*pin);  // maps the pool writable: we are its producer
    if (!stream) return fail_with("open stream", stream.error());
    std::optional<proto::PinRef> downstream;
    if (auto state = client->connection_state(*pin); state && state->peer) downstream = state->peer;
    for (const auto& p : {downstream.value_or(*pin), *pin})
        if (auto s = client->set_state(p, proto::PinState::Run); !s) return fail_with("run " + p.to_string(), s.error());

    const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(1.0 / fps));
    auto next = std::chrono::steady_clock::now();
    unsigned submitted = 0, busy = 0;
    for (std::uint64_t n = 0; submitted < frames; ++n) {
        next += period;
        auto frame = (*stream)->acquire_frame(1s);
        if (!frame) {
            // NoMoreEntries: every frame is downstream; skip this period like hardware would.
            if (frame.error().code != Errc::NoMoreEntries) return fail_with("acquire frame", frame.error());
            ++busy;
        } else {
            paint(frame->bytes(), n);
            frame->header().presentation_time.time = static_cast<std::int64_t>(n * 10'000'000 / fps);
            if (auto s = frame->submit(static_cast<std::uint32_t>(frame->bytes().size())); !s)
                return fail_with("submit", s.error());
            ++submitted;
        }
        std::this_thread::sleep_until(next);  // pacing at the frame rate, as a real source would
    }
    if (downstream)
        if (auto stats = client->statistics(*downstream))
            std::cout << downstream->to_string() << ": " << stats->completed << " frames completed, " << stats->dropped
                      << " dropped\n";
    std::cout << "submitted " << submitted << " frames (" << busy << " periods without a free frame)\n";
    for (const auto& p : {*pin, downstream.value_or(*pin)}) (void)client->set_state(p, proto::PinState::Stop);
    return 0;
}
