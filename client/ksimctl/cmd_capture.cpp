// `ksimctl capture PIN --count N --out DIR`: receives N frames of a pin through the shared-memory
// data path and writes each video frame as a PNG, an audio stream as one WAV file, or the bytes
// as they are (--raw), with a progress bar on a terminal. It reports what it wrote and what was
// lost: frames the source dropped during the capture (its statistics before and after), frames
// lost on the way to the pin, and picture numbers skipped between the frames written.
//
// The pins it starts (or joins, when they already run) are held by its session, as KS pin handles
// are (docs/daemon.md, "Pin holders"): when capture ends — done, Ctrl-C, killed — ksimd takes
// them back to STOP unless another live session holds them. A clean exit lets go of them itself,
// so they are stopped by the time it returns. With --reconnect S it outlives a ksimd restart:
// libksim reconnects, redoes what capture set up and resumes the stream; each gap is a line on
// stderr (and an entry of "gaps" with --json).
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>

#include "capture_output.hpp"
#include "ksim/client/image.hpp"
#include "ksim/client/stream.hpp"
#include "online.hpp"

namespace ksim::ctl {
namespace {

constexpr int kExitInterrupted = 130;  // as a shell reports SIGINT

struct CaptureOptions {
    std::string pin;
    unsigned count = 1;
    std::string out_dir = ".";
    std::string format;  // NV12 / YUY2 / RGB24; the filter's declared format, else guessed, when empty
    std::string size;    // WIDTHxHEIGHT
    double timeout_s = 5.0;
    double reconnect_s = 0;  // 0: a lost ksimd ends the capture
    bool raw = false;
};

std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) {
    g_interrupted.store(true);
}

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

// --format/--size when given, else the format the upstream filter declares (the pin's own filter
// for a source), else nothing: write() then guesses video from each frame's size.
Result<StreamFormat> stream_format(const CaptureOptions& o, const std::vector<wire::FilterInfo>& filters,
                                   const proto::PinRef& source) {
    if (o.format.empty() && o.size.empty()) {
        for (const auto& f : filters)
            if (f.id == source.filter) return StreamFormat{f.video, f.audio};
        return StreamFormat{};
    }
    const std::string format = o.format.empty() ? "NV12" : o.format;
    if (!client::parse_video_format(format))
        return fail(Errc::InvalidArgument, "--format '" + o.format + "': expected NV12, YUY2 or RGB24");
    auto v = client::parse_video_params(format, o.size);
    if (!v)
        return fail(Errc::InvalidArgument, "--size '" + o.size + "': expected WIDTHxHEIGHT, e.g. 1920x1080");
    return StreamFormat{*v, std::nullopt};
}

// The next frame within `timeout`, in short waits so that Ctrl-C ends the capture promptly.
Result<client::FrameView> next_frame(client::Stream& stream, std::chrono::milliseconds timeout) {
    constexpr std::chrono::milliseconds kSlice{100};
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        auto frame = stream.next_frame(std::clamp(left, std::chrono::milliseconds(0), kSlice));
        if (frame || frame.error().code != Errc::Timeout || left <= kSlice || g_interrupted.load())
            return frame;
    }
}

// What the capture lost, from the pins' statistics before and after and the frames' headers.
struct LossReport {
    std::optional<proto::PinRef> source;  // the pin producing the frames (upstream peer)
    std::uint64_t source_dropped_before = 0, source_dropped_after = 0;
    std::uint64_t pin_dropped_before = 0, pin_dropped_after = 0;
    std::uint64_t pictures_skipped = 0;
    std::optional<std::int64_t> last_picture;

    void sample(client::Client& client, const proto::PinRef& pin, bool after) {
        if (source)
            if (auto s = client.statistics(*source))
                (after ? source_dropped_after : source_dropped_before) = s->dropped;
        if (auto s = client.statistics(pin)) (after ? pin_dropped_after : pin_dropped_before) = s->dropped;
    }
    void saw(const proto::StreamHeader& h) {
        if (last_picture && h.picture_number > *last_picture + 1)
            pictures_skipped += static_cast<std::uint64_t>(h.picture_number - *last_picture - 1);
        last_picture = h.picture_number;
    }
    [[nodiscard]] std::uint64_t source_dropped() const {
        return source_dropped_after >= source_dropped_before ? source_dropped_after - source_dropped_before
                                                             : 0;
    }
    [[nodiscard]] std::uint64_t pin_dropped() const {
        return pin_dropped_after >= pin_dropped_before ? pin_dropped_after - pin_dropped_before : 0;
    }
};

int run_capture(const GlobalOptions& global, const CaptureOptions& o) {
    auto pin = parse_pin_or_report(o.pin);
    if (!pin) return kExitUsage;
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
    // can be opened then), and the pin feeding it must run too.
    auto filters = client->list();
    if (!filters) return report_error("list", filters.error());
    std::optional<proto::PinRef> peer;
    bool is_input = false;
    for (const auto& f : *filters)
        for (const auto& p : f.pins)
            if (f.id == pin->filter && p.id == pin->pin) {
                is_input = p.direction == proto::PinDirection::In;
                if (p.connected_to) peer = proto::parse_pin_ref(*p.connected_to);
            }
    LossReport losses;
    if (is_input) losses.source = peer;
    auto format = stream_format(o, *filters, losses.source.value_or(*pin));
    if (!format) return report_error("capture", format.error());
    auto output = CaptureOutput::open(o.out_dir, *format, o.raw);
    if (!output) return report_error("capture", output.error());

    // Every pin it moves, or joins at the state it is in, is held by this session (see the top).
    std::vector<proto::PinRef> held;
    auto hold = [&](const proto::PinRef& r, proto::PinState target) -> Result<void> {
        auto state = client->connection_state(r);
        const bool there = state && state->state >= target;
        auto s = client->set_state(r, there ? state->state : target);
        // A pin the graph manager or an operator runs cannot be joined; it runs all the same.
        if (!s && !(there && s.error().code == Errc::PermissionDenied)) return std::unexpected(s.error());
        if (s && std::ranges::find(held, r) == held.end()) held.push_back(r);
        return {};
    };
    auto let_go = [&] {
        for (auto it = held.rbegin(); it != held.rend(); ++it)
            (void)client->set_state(*it, proto::PinState::Stop);
    };
    losses.sample(*client, *pin, false);
    if (auto s = hold(*pin, proto::PinState::Acquire); !s) return report_error("acquire " + o.pin, s.error());
    auto stream = client->open_stream(*pin);
    if (!stream) {
        let_go();
        return report_error("open stream of " + o.pin, stream.error());
    }
    for (const auto& r : {peer.value_or(*pin), *pin})
        if (auto s = hold(r, proto::PinState::Run); !s) {
            let_go();
            return report_error("run " + r.to_string(), s.error());
        }

    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    const auto timeout = std::chrono::milliseconds(static_cast<long>(o.timeout_s * 1000));
    nlohmann::json written = nlohmann::json::array();
    int exit_code = kExitOk;
    for (unsigned n = 0; n < o.count && !g_interrupted.load(); ++n) {
        if (tty) draw_progress(n, o.count);
        auto frame = next_frame(**stream, timeout);
        if (!frame) {
            if (!g_interrupted.load())
                exit_code = report_error(fmt::format("frame {} of {}", n + 1, o.count), frame.error());
            break;
        }
        losses.saw(frame->header());
        auto path = output->write(*frame, n);
        if (!path) {
            exit_code = report_error("capture", path.error());
            break;
        }
        written.push_back({{"path", path->string()},
                           {"bytes", frame->bytes().size()},
                           {"picture_number", frame->header().picture_number},
                           {"drop_count", frame->header().drop_count},
                           {"presentation_time", frame->header().presentation_time.time}});
    }
    if (g_interrupted.load() && exit_code == kExitOk) exit_code = kExitInterrupted;
    if (tty) {
        draw_progress(static_cast<unsigned>(written.size()), o.count);
        std::cerr << "\n";
    }
    if (auto f = output->finish(); !f && exit_code == kExitOk) exit_code = report_error("capture", f.error());
    losses.sample(*client, *pin, true);
    let_go();

    if (global.json) {
        nlohmann::json report{{"pin", o.pin},
                              {"format", output->kind()},
                              {"frames", written},
                              {"written", written.size()},
                              {"dropped_on_delivery", losses.pin_dropped()},
                              {"pictures_skipped", losses.pictures_skipped},
                              {"interrupted", g_interrupted.load()},
                              {"gaps", *gaps}};
        if (losses.source) {
            report["source"] = losses.source->to_string();
            report["dropped_at_source"] = losses.source_dropped();
        }
        print_json(report);
    } else {
        std::string last;
        for (const auto& w : written)
            if (w["path"] != last) std::cout << (last = w["path"].get<std::string>()) << "\n";
        std::cerr << written.size() << " frame(s) written to " << o.out_dir << " (" << output->kind() << ")";
        if (!gaps->empty()) std::cerr << " across " << gaps->size() << " reconnect(s) to ksimd";
        if (g_interrupted.load()) std::cerr << ", interrupted";
        std::cerr << "; lost: ";
        if (losses.source)
            std::cerr << losses.source_dropped() << " dropped at the source " << losses.source->to_string()
                      << ", ";
        std::cerr << losses.pin_dropped() << " on delivery to " << o.pin << ", " << losses.pictures_skipped
                  << " picture number(s) skipped between the frames written\n";
    }
    return exit_code;
}

}  // namespace

void add_capture_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
    auto* cmd = app.add_subcommand(
        "capture",
        "Capture N frames of a pin: PNG images (video), one WAV file (audio) or raw files, with the frames "
        "dropped on the way. The pins it starts are held by its session: when it ends (done, Ctrl-C, "
        "killed) ksimd returns them to STOP unless another session holds them");
    auto o = std::make_shared<CaptureOptions>();
    cmd->add_option("pin", o->pin, "FILTER.PIN to receive frames from (e.g. viewer.input)")->required();
    cmd->add_option("--count,-n", o->count, "Frames to capture, 1 or more (default 1)")
        ->check(CLI::Validator(
            [](const std::string& value) -> std::string {
                return value == "0" ? "0 frames captures nothing: give 1 or more" : "";
            },
            "", "count"));
    cmd->add_option("--out,-o", o->out_dir, "Output directory (created if missing)");
    cmd->add_option("--format", o->format,
                    "NV12 | YUY2 | RGB24 (default: the format the source filter declares, else guessed from "
                    "the frame size)");
    cmd->add_option("--size", o->size, "WIDTHxHEIGHT (with --format)");
    cmd->add_option("--timeout", o->timeout_s, "Seconds to wait for each frame (default 5)");
    cmd->add_option(
           "--reconnect", o->reconnect_s,
           "When ksimd goes away, reconnect and resume for up to this many seconds (default 0: stop)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_flag("--raw", o->raw, "Write the frame bytes as they are (frame-NNNN.raw)");
    cmd->callback([&global, &exit_code, o] { exit_code = run_capture(global, *o); });
}

}  // namespace ksim::ctl
