// `ksimctl capture PIN --count N --out DIR`: receives N frames of a pin through the shared-memory
// data path and writes each one as a PPM image (video) or raw bytes (anything else), with a
// progress bar on a terminal. Pins it had to start are stopped again afterwards. With
// --reconnect S it outlives a ksimd restart: libksim reconnects, redoes what capture set up and
// resumes the stream; each gap is a line on stderr (and an entry of "gaps" with --json).
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "ksim/client/image.hpp"
#include "ksim/client/stream.hpp"
#include "online.hpp"

namespace ksim::ctl {
namespace {

struct CaptureOptions {
    std::string pin;
    unsigned count = 1;
    std::string out_dir = ".";
    std::string format;  // NV12 / YUY2 / RGB24; guessed from the frame size when empty
    std::string size;    // WIDTHxHEIGHT
    double timeout_s = 5.0;
    double reconnect_s = 0;  // 0: a lost ksimd ends the capture
    bool raw = false;
};

// Reports each loss and gap on stderr (on a fresh line when a progress bar is drawn) and keeps
// them for --json. The callbacks run on the capturing thread (the only one).
client::ReconnectPolicy report_gaps(const CaptureOptions& o, bool tty, std::shared_ptr<nlohmann::json> gaps) {
    client::ReconnectPolicy policy;
    policy.give_up_after = std::chrono::milliseconds(static_cast<long>(o.reconnect_s * 1000));
    policy.on_lost = [tty](const Error& why) {
        std::cerr << (tty ? "\n" : "") << "ksimctl: capture: " << why.message << "; reconnecting\n";
    };
    policy.on_gap = [gaps](const client::Gap& gap) {
        std::cerr << "ksimctl: capture: reconnected to ksimd after " << gap.duration.count() << " ms ("
                  << gap.attempts << " attempt(s)); frames in flight were lost (up to "
                  << gap.frames_possibly_lost << ")\n";
        gaps->push_back({{"duration_ms", gap.duration.count()},
                         {"attempts", gap.attempts},
                         {"frames_possibly_lost", gap.frames_possibly_lost}});
    };
    return policy;
}

void draw_progress(unsigned done, unsigned total) {
    constexpr unsigned kWidth = 30;
    const unsigned filled = total == 0 ? kWidth : done * kWidth / total;
    std::cerr << "\r[" << std::string(filled, '#') << std::string(kWidth - filled, ' ') << "] " << done << "/"
              << total << std::flush;
}

Result<std::optional<proto::VideoParams>> video_params(const CaptureOptions& o) {
    if (o.raw) return std::optional<proto::VideoParams>{};
    if (o.format.empty() && o.size.empty()) return std::optional<proto::VideoParams>{};  // guess per frame
    const std::string format = o.format.empty() ? "NV12" : o.format;
    if (!client::parse_video_format(format))
        return fail(Errc::InvalidArgument, "--format '" + o.format + "': expected NV12, YUY2 or RGB24");
    auto v = client::parse_video_params(format, o.size);
    if (!v)
        return fail(Errc::InvalidArgument, "--size '" + o.size + "': expected WIDTHxHEIGHT, e.g. 1920x1080");
    return std::optional<proto::VideoParams>{*v};
}

// Writes one frame; returns the path written.
Result<std::filesystem::path> write_frame(const client::FrameView& frame, const std::filesystem::path& dir,
                                          unsigned n, std::optional<proto::VideoParams> video, bool raw) {
    if (!raw && !video) video = client::guess_video_params(frame.bytes().size());
    if (!raw && video) {
        auto image = client::to_rgb(frame.bytes(), *video);
        if (!image) return std::unexpected(image.error());
        auto path = dir / fmt::format("frame-{:04}.ppm", n);
        if (auto w = client::write_ppm(path, *image); !w) return std::unexpected(w.error());
        return path;
    }
    auto path = dir / fmt::format("frame-{:04}.raw", n);
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(frame.bytes().data()),
               static_cast<std::streamsize>(frame.bytes().size()));
    if (!file.flush()) return fail(Errc::Io, "cannot write " + path.string());
    return path;
}

int run_capture(const GlobalOptions& global, const CaptureOptions& o) {
    auto pin = parse_pin_or_report(o.pin);
    if (!pin) return kExitError;
    auto video = video_params(o);
    if (!video) return report_error("capture", video.error());
    std::error_code ec;
    std::filesystem::create_directories(o.out_dir, ec);
    if (ec)
        return report_error("capture", Error{Errc::Io, "cannot create " + o.out_dir + ": " + ec.message()});
    const bool tty = ::isatty(STDERR_FILENO) == 1 && !global.json;
    auto gaps = std::make_shared<nlohmann::json>(nlohmann::json::array());
    std::optional<client::ReconnectPolicy> reconnect;
    if (o.reconnect_s > 0) reconnect = report_gaps(o, tty, gaps);
    auto client = connect_or_report(global, wire::Role::Client, std::move(reconnect));
    if (!client) return kExitError;

    // Frames flow once the pin's pipe runs: its allocator exists from ACQUIRE on (so the stream
    // can be opened then), and the pin feeding it must run too. Remember what we started.
    auto filters = client->list();
    if (!filters) return report_error("list", filters.error());
    std::optional<proto::PinRef> peer;
    for (const auto& f : *filters)
        for (const auto& p : f.pins)
            if (f.id == pin->filter && p.id == pin->pin && p.connected_to)
                peer = wire::parse_pin_ref(*p.connected_to);
    std::vector<proto::PinRef> started;
    auto start = [&](const proto::PinRef& r, proto::PinState target) -> Result<void> {
        auto state = client->connection_state(r);
        if (state && static_cast<int>(state->state) >= static_cast<int>(target)) return {};
        auto s = client->set_state(r, target);
        if (!s) return std::unexpected(s.error());
        if (std::ranges::find(started, r) == started.end()) started.push_back(r);
        return {};
    };
    auto stop_started = [&] {
        for (auto it = started.rbegin(); it != started.rend(); ++it)
            (void)client->set_state(*it, proto::PinState::Stop);
    };
    if (auto s = start(*pin, proto::PinState::Acquire); !s)
        return report_error("acquire " + o.pin, s.error());
    auto stream = client->open_stream(*pin);
    if (!stream) {
        stop_started();
        return report_error("open stream of " + o.pin, stream.error());
    }
    for (const auto& r : {peer.value_or(*pin), *pin})
        if (auto s = start(r, proto::PinState::Run); !s) {
            stop_started();
            return report_error("run " + r.to_string(), s.error());
        }

    const auto timeout = std::chrono::milliseconds(static_cast<long>(o.timeout_s * 1000));
    nlohmann::json written = nlohmann::json::array();
    int exit_code = kExitOk;
    for (unsigned n = 0; n < o.count; ++n) {
        if (tty) draw_progress(n, o.count);
        auto frame = (*stream)->next_frame(timeout);
        if (!frame) {
            exit_code = report_error(fmt::format("frame {} of {}", n + 1, o.count), frame.error());
            break;
        }
        auto path = write_frame(*frame, o.out_dir, n, *video, o.raw);
        if (!path) {
            exit_code = report_error("capture", path.error());
            break;
        }
        written.push_back({{"path", path->string()},
                           {"bytes", frame->bytes().size()},
                           {"presentation_time", frame->header().presentation_time.time}});
    }
    if (tty) {
        draw_progress(static_cast<unsigned>(written.size()), o.count);
        std::cerr << "\n";
    }
    stop_started();

    if (global.json) {
        print_json({{"pin", o.pin}, {"frames", written}, {"gaps", *gaps}});
    } else {
        for (const auto& w : written) std::cout << w["path"].get<std::string>() << "\n";
        std::cerr << written.size() << " frame(s) written to " << o.out_dir;
        if (!gaps->empty()) std::cerr << " across " << gaps->size() << " reconnect(s) to ksimd";
        std::cerr << "\n";
    }
    return exit_code;
}

}  // namespace

void add_capture_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd = app.add_subcommand("capture", "Capture N frames of a pin as PPM images (video) or raw files");
    auto o = std::make_shared<CaptureOptions>();
    cmd->add_option("pin", o->pin, "FILTER.PIN to receive frames from (e.g. viewer.input)")->required();
    cmd->add_option("--count,-n", o->count, "Frames to capture (default 1)")->check(CLI::PositiveNumber);
    cmd->add_option("--out,-o", o->out_dir, "Output directory (created if missing)");
    cmd->add_option("--format", o->format, "NV12 | YUY2 | RGB24 (default: guessed from the frame size)");
    cmd->add_option("--size", o->size, "WIDTHxHEIGHT (with --format)");
    cmd->add_option("--timeout", o->timeout_s, "Seconds to wait for each frame (default 5)");
    cmd->add_option(
           "--reconnect", o->reconnect_s,
           "When ksimd goes away, reconnect and resume for up to this many seconds (default 0: stop)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_flag("--raw", o->raw, "Write the frame bytes as they are");
    cmd->callback([&global, &exit_code, o] { exit_code = run_capture(global, *o); });
}

}  // namespace ksim::ctl
