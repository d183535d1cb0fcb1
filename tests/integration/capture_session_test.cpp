// `ksimctl capture` against a real ksimd and graph manager: the pins it starts belong to its
// session (killed mid-capture, they are back in STOP; a pin another session also runs keeps
// running), and what it writes and reports: PNGs that decode to the test pattern, a WAV whose
// header is the pin's format, the frames dropped at the source, and --count 0 as a usage error.
// Synchronised by ksimd's events (state_changed, client_gone), never by sleeping.
#include <gtest/gtest.h>
#include <png.h>
#include <poll.h>
#include <signal.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "stack.hpp"

namespace ksim::itest {
namespace {

using nlohmann::json;
using proto::PinState;

const proto::PinRef kCamera{"camera", "capture"};
const proto::PinRef kViewer{"viewer", "input"};

// A subscribed observer: waits for events with a deadline and reads pin states over the wire.
class Observer {
public:
    explicit Observer(Stack& stack) : client_(stack.connect(wire::Role::Client, "observer")) {
        if (!client_) throw std::runtime_error(client_.error().message);
        auto s = client_->connection().subscribe();
        if (!s) throw std::runtime_error(s.error().message);
    }
    client::Client& client() { return *client_; }

    // True once an event of `type` for which `match(body)` holds arrives within `timeout`.
    template <typename Match>
    bool wait_for(wire::MessageType type, Match match, std::chrono::milliseconds timeout = 30s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            auto e = client_->connection().next_event(left);
            if (!e) return false;
            if (e->type == type && match(e->body)) return true;
        }
    }
    bool wait_state(const proto::PinRef& pin, PinState state) {
        return wait_for(wire::MessageType::StateChanged, [&](const json& b) {
            return b.value("pin", "") == pin.to_string() && b.value("state", "") == proto::to_string(state);
        });
    }
    bool wait_client_gone() {
        return wait_for(wire::MessageType::ClientGone, [](const json&) { return true; });
    }
    PinState state_of(const proto::PinRef& pin) {
        auto s = client_->connection_state(pin);
        EXPECT_TRUE(s) << pin.to_string() << ": " << s.error().message;
        return s ? s->state : PinState::Stop;
    }

private:
    Result<client::Client> client_;
};

// A stack on `config` with a graph manager that has committed every connection.
struct CommittedStack {
    explicit CommittedStack(const std::filesystem::path& config, std::size_t connections = 1)
        : stack(config) {
        gm = stack.start_graphmgr("gm");
        observer.emplace(stack);
        if (!wait_all_committed(observer->client(), connections, 20s))
            throw std::runtime_error("not committed: " + gm->stderr_text());
    }
    ~CommittedStack() {
        if (gm) {
            gm->signal(SIGTERM);
            (void)gm->wait(10s);
        }
    }
    std::vector<std::string> capture_argv(const std::string& pin, std::vector<std::string> extra) const {
        std::vector<std::string> argv{ksimctl_path(), "--socket", stack.socket(), "--json", "capture", pin};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return argv;
    }
    Stack stack;
    std::unique_ptr<Process> gm;
    std::optional<Observer> observer;
};

TEST(CaptureSession, KsimctlCapture_KilledMidCapture_ThePinsItStartedReturnToStop) {
    CommittedStack s(configs_dir() / "demo-capture-1080p.json");
    Process capture(
        s.capture_argv("viewer.input", {"--count", "100000", "--out", (s.stack.dir() / "f").string()}),
        s.stack.dir(), "capture");
    ASSERT_TRUE(s.observer->wait_state(kCamera, PinState::Run)) << capture.stderr_text();
    ASSERT_TRUE(s.observer->wait_state(kViewer, PinState::Run)) << capture.stderr_text();
    capture.kill_and_reap();  // a crash: nothing of capture's own clean-up runs
    ASSERT_TRUE(s.observer->wait_client_gone());
    EXPECT_EQ(s.observer->state_of(kCamera), PinState::Stop);
    EXPECT_EQ(s.observer->state_of(kViewer), PinState::Stop);
}

TEST(CaptureSession, KsimctlCapture_AnotherSessionRunsTheSourceToo_ItKeepsRunningWhenCaptureIsKilled) {
    CommittedStack s(configs_dir() / "demo-capture-1080p.json");
    Process capture(
        s.capture_argv("viewer.input", {"--count", "100000", "--out", (s.stack.dir() / "f").string()}),
        s.stack.dir(), "capture");
    ASSERT_TRUE(s.observer->wait_state(kViewer, PinState::Run)) << capture.stderr_text();
    // Another session joins the camera at the state it is in: it holds it too.
    auto other = s.stack.connect(wire::Role::Client, "other");
    ASSERT_TRUE(other) << other.error().message;
    set_state(*other, kCamera, PinState::Run);
    capture.kill_and_reap();
    ASSERT_TRUE(s.observer->wait_client_gone());
    EXPECT_EQ(s.observer->state_of(kCamera), PinState::Run) << "the other session still holds it";
    EXPECT_EQ(s.observer->state_of(kViewer), PinState::Stop) << "only capture held it";
    other->connection().close();
    ASSERT_TRUE(s.observer->wait_client_gone());
    EXPECT_EQ(s.observer->state_of(kCamera), PinState::Stop);
}

struct DecodedPng {
    std::uint32_t width = 0, height = 0;
    std::vector<std::uint8_t> rgb;
    [[nodiscard]] std::array<int, 3> at(std::uint32_t x, std::uint32_t y) const {
        const auto* p = &rgb[(std::size_t{y} * width + x) * 3];
        return {p[0], p[1], p[2]};
    }
};

DecodedPng read_png(const std::filesystem::path& path) {
    png_image png;
    std::memset(&png, 0, sizeof png);
    png.version = PNG_IMAGE_VERSION;
    DecodedPng out;
    if (png_image_begin_read_from_file(&png, path.c_str()) == 0) {
        ADD_FAILURE() << path << ": " << png.message;
        return out;
    }
    png.format = PNG_FORMAT_RGB;
    out.width = png.width;
    out.height = png.height;
    out.rgb.resize(PNG_IMAGE_SIZE(png));
    if (png_image_finish_read(&png, nullptr, out.rgb.data(), 0, nullptr) == 0)
        ADD_FAILURE() << path << ": " << png.message;
    return out;
}

TEST(CaptureSession, KsimctlCapture_Video_WritesPngsThatDecodeToTheTestPattern) {
    CommittedStack s(configs_dir() / "demo-capture-1080p.json");
    const auto out = s.stack.dir() / "frames";
    const RunResult r = run(s.capture_argv("viewer.input", {"--count", "2", "--out", out.string()}),
                            s.stack.dir(), "capture");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto report = json::parse(r.out);
    EXPECT_EQ(report["format"], "PNG");
    ASSERT_EQ(report["frames"].size(), 2u);
    const DecodedPng png = read_png(report["frames"][0]["path"].get<std::string>());
    EXPECT_EQ(png.width, 1920u);
    EXPECT_EQ(png.height, 1080u);
    ASSERT_EQ(png.rgb.size(), 1920u * 1080 * 3);
    // The overlay's first digit of the frame number is a 0 (3x5 glyph cells of 9 pixels at
    // 1080p, from (9, 9)): its top row is ink (Y 235: white), the centre of its middle row paper
    // (Y 16: black), both with neutral chroma.
    EXPECT_EQ(png.at(13, 13), (std::array<int, 3>{255, 255, 255}));
    EXPECT_EQ(png.at(22, 22), (std::array<int, 3>{0, 0, 0}));
    // Both pins are back in STOP when a clean capture returns: it let go of them itself.
    EXPECT_EQ(s.observer->state_of(kCamera), PinState::Stop);
    EXPECT_EQ(s.observer->state_of(kViewer), PinState::Stop);
}

std::uint32_t le32(const std::string& b, std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 3])) << 24;
}
std::uint32_t le16(const std::string& b, std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8;
}

TEST(CaptureSession, KsimctlCapture_Audio_WritesOneWavWhoseHeaderIsThePinsFormat) {
    CommittedStack s(configs_dir() / "audio-capture-pcm.json");  // 48 kHz, 2 x 16 bit, 1920-byte periods
    const auto out = s.stack.dir() / "audio";
    const RunResult r = run(s.capture_argv("recorder.input", {"--count", "5", "--out", out.string()}),
                            s.stack.dir(), "capture");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["format"], "WAV");
    std::ifstream in(out / "capture.wav", std::ios::binary);
    const std::string wav((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_EQ(wav.size(), 44u + 5 * 1920);
    EXPECT_EQ(wav.substr(0, 4), "RIFF");
    EXPECT_EQ(le32(wav, 4), 36u + 5 * 1920);
    EXPECT_EQ(wav.substr(8, 8), "WAVEfmt ");
    EXPECT_EQ(le32(wav, 16), 16u);
    EXPECT_EQ(le16(wav, 20), 1u) << "WAVE_FORMAT_PCM";
    EXPECT_EQ(le16(wav, 22), 2u) << "channels";
    EXPECT_EQ(le32(wav, 24), 48000u) << "sample rate";
    EXPECT_EQ(le32(wav, 28), 48000u * 4) << "bytes per second";
    EXPECT_EQ(le16(wav, 32), 4u) << "block align";
    EXPECT_EQ(le16(wav, 34), 16u) << "bits per sample";
    EXPECT_EQ(wav.substr(36, 4), "data");
    EXPECT_EQ(le32(wav, 40), 5u * 1920);
}

TEST(CaptureSession, KsimctlCapture_ReleasesStalled_ReportsTheFramesDroppedAtTheSource) {
    // The demo at 320x240 and 60 fps with viewer.input's releases stalled for 300 ms (a
    // stall_releases fault): the first frame capture gives back stays out of the pool with the
    // next, the camera finds no buffer for the rest of the stall and drops periods.
    auto config = json::parse(std::ifstream(configs_dir() / "demo-capture-1080p.json"));
    auto& camera = config["filters"][0];
    camera["video"] = {{"format", "NV12"}, {"width", 320}, {"height", 240}, {"fps", {60, 1}}};
    camera["pins"][0]["framing"]["simple"]["min_frame_size"] = 320 * 240 * 3 / 2;
    camera["pins"][0]["framing"]["simple"]["max_frame_size"] = 320 * 240 * 3 / 2;
    config["faults"] =
        json::array({{{"kind", "stall_releases"}, {"pin", "viewer.input"}, {"microseconds", 300000}}});
    char dir[] = "/tmp/ksim-capture-drops-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    const std::filesystem::path path = std::filesystem::path(dir) / "stalled.json";
    std::ofstream(path) << config.dump(2);
    {
        CommittedStack s(path);
        const RunResult r =
            run(s.capture_argv("viewer.input", {"--count", "6", "--out", (s.stack.dir() / "f").string()}),
                s.stack.dir(), "capture");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto report = json::parse(r.out);
        EXPECT_EQ(report["written"], 6u);
        EXPECT_EQ(report["source"], "camera.capture");
        const auto dropped = report["dropped_at_source"].get<std::uint64_t>();
        EXPECT_GT(dropped, 0u) << r.out;
        // What capture counted is the camera's own count, taken before it let go (the camera
        // was in STOP, with nothing dropped, before).
        auto stats = s.observer->client().statistics(kCamera);
        ASSERT_TRUE(stats) << stats.error().message;
        EXPECT_LE(dropped, stats->dropped);
        // The frames say so too: KS_FRAME_INFO.DropCount of the last one counts the periods the
        // camera skipped since capture started it, all within the capture.
        const auto last_drop_count = report["frames"].back()["drop_count"].get<std::uint64_t>();
        EXPECT_GT(last_drop_count, 0u) << r.out;
        EXPECT_GE(dropped, last_drop_count) << r.out;
        EXPECT_EQ(report["pictures_skipped"], 0u) << "nothing was lost between the camera and capture";
    }
    std::filesystem::remove_all(dir);
}

TEST(CaptureSession, KsimctlCapture_CountZero_IsAUsageErrorThatSaysWhy) {
    char dir[] = "/tmp/ksim-capture-count-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    const RunResult r = run({ksimctl_path(), "--socket", std::string(dir) + "/none.sock", "capture",
                             "viewer.input", "--count", "0"},
                            dir, "capture");
    std::filesystem::remove_all(dir);
    EXPECT_EQ(r.exit_code, 2) << r.err;  // a usage error, found before connecting (that would be 1)
    EXPECT_NE(r.err.find("0 frames captures nothing: give 1 or more"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ksim::itest
