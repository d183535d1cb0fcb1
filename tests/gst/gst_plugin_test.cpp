// The GStreamer plugin as a user runs it: gst-launch-1.0 and gst-inspect-1.0 with GST_PLUGIN_PATH
// on the build's plugin directory, against a real ksimd + ksim-graphmgr on a private socket.
// Each test has its own GStreamer registry file (in the stack's temp dir), so tests running in
// parallel never share or race on one.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <fstream>

#include "ksim/daemon/content.hpp"
#include "ksim/test_support/files.hpp"
#include "stack.hpp"

namespace ksim::itest {
namespace {

std::vector<std::string> gst_env(const std::filesystem::path& dir) {
    return {std::string("GST_PLUGIN_PATH=") + KSIM_GST_PLUGIN_DIR,
            "GST_REGISTRY=" + (dir / "gst-registry.bin").string(), "GST_DEBUG_NO_COLOR=1"};
}

std::vector<std::string> launch_argv(const std::string& pipeline_text) {
    // gst-launch-1.0 takes the pipeline as separate words; none of ours has quoted spaces.
    std::vector<std::string> argv{KSIM_GST_LAUNCH, "-e", "-v"};
    std::istringstream words(pipeline_text);
    for (std::string w; words >> w;) argv.push_back(w);
    return argv;
}

RunResult gst_launch(const Stack& stack, const std::string& label, const std::string& pipeline) {
    return run(launch_argv(pipeline), stack.dir(), label, 60s, gst_env(stack.dir()));
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

// After the pipeline is gone: every pin back in STOP, no frame outside its pool.
void expect_all_stopped_and_returned(client::Client& observer) {
    auto filters = observer.list();
    ASSERT_TRUE(filters) << filters.error().message;
    for (const auto& f : *filters)
        for (const auto& p : f.pins) EXPECT_EQ(p.state, proto::PinState::Stop) << f.id << "." << p.id;
    auto ledger = observer.ledger();
    ASSERT_TRUE(ledger) << ledger.error().message;
    EXPECT_TRUE(ledger->empty()) << ledger->size() << " frames outside their pools";
}

// A stack on `config` with a running graph manager that has committed every connection.
struct CommittedStack {
    explicit CommittedStack(const std::filesystem::path& config) : stack(config) {
        graphmgr = stack.start_graphmgr("graphmgr");
        auto c = stack.connect(wire::Role::Client, "observer");
        if (!c) throw std::runtime_error(c.error().message);
        observer.emplace(std::move(*c));
        if (!wait_all_committed(*observer, 1, 20s))
            throw std::runtime_error("the graph manager did not commit:\n" + graphmgr->stderr_text());
    }
    ~CommittedStack() {
        observer.reset();
        graphmgr->signal(SIGTERM);
        EXPECT_EQ(graphmgr->wait(10s), 0) << graphmgr->stderr_text();
    }
    Stack stack;
    std::unique_ptr<Process> graphmgr;
    std::optional<client::Client> observer;
};

TEST(GstInspect, KsimsrcAndKsimsink_ListTheirProperties) {
    test_support::TempDir dir("ksim-gst-inspect");
    for (const char* element : {"ksimsrc", "ksimsink"}) {
        auto r = run({KSIM_GST_INSPECT, element}, dir.path(), element, 60s, gst_env(dir.path()));
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
        for (const char* property : {"pin ", "socket ", "commit-timeout "})
            EXPECT_NE(r.out.find(std::string("\n  ") + property), std::string::npos)
                << element << ": " << property << "\n"
                << r.out;
        EXPECT_NE(r.out.find("video/x-raw"), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("audio/x-raw"), std::string::npos) << r.out;
    }
    auto src = run({KSIM_GST_INSPECT, "ksimsrc"}, dir.path(), "ksimsrc-again", 60s, gst_env(dir.path()));
    for (const char* inherited : {"\n  num-buffers ", "\n  do-timestamp "})
        EXPECT_NE(src.out.find(inherited), std::string::npos) << src.out;
}

TEST(GstKsimsrc, NumBuffersToFakesink_DeliversThePinsFramesWithItsCapsAndStopsThePins) {
    CommittedStack s(configs_dir() / "demo-capture-1080p.json");
    constexpr int kFrames = 5;
    auto r = gst_launch(s.stack, "launch",
                        "ksimsrc pin=viewer.input socket=" + s.stack.socket() +
                            " num-buffers=" + std::to_string(kFrames) + " ! fakesink silent=false");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    // The caps come from the pin's data format (the camera's NV12 1080p30).
    for (const char* field : {"video/x-raw", "format=(string)NV12", "width=(int)1920", "height=(int)1080",
                              "framerate=(fraction)30/1"})
        EXPECT_NE(r.out.find(field), std::string::npos) << field << "\n" << r.out;
    EXPECT_EQ(count(r.out, "(3110400 bytes"), static_cast<std::size_t>(kFrames)) << r.out;
    auto stats = s.observer->statistics({"viewer", "input"});
    ASSERT_TRUE(stats) << stats.error().message;
    EXPECT_GE(stats->completed, static_cast<std::uint64_t>(kFrames));
    expect_all_stopped_and_returned(*s.observer);
    EXPECT_TRUE(ksim_dev_shm_entries().empty());
}

TEST(GstKsimsrc, ToFilesink_WritesTheCamerasImagesWithConsecutiveFrameCounters) {
    CommittedStack s(configs_dir() / "demo-capture-1080p.json");
    constexpr std::size_t kFrames = 4;
    const auto out = s.stack.dir() / "frames.nv12";
    auto r = gst_launch(s.stack, "launch",
                        "ksimsrc pin=viewer.input socket=" + s.stack.socket() + " num-buffers=" +
                            std::to_string(kFrames) + " ! filesink location=" + out.string());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const proto::VideoParams video{proto::VideoFormat::Nv12, 1920, 1080, 30, 1};
    const std::size_t image = proto::image_size(video);
    const std::string bytes = test_support::read_file(out);
    ASSERT_EQ(bytes.size(), kFrames * image);
    // The counter the simulated camera draws into each image (daemon/core/src/video_content.cpp)
    // reads back, one more in every frame: the bytes are the camera's, in order, none lost.
    std::optional<std::uint64_t> previous;
    for (std::size_t i = 0; i < kFrames; ++i) {
        const auto* frame = reinterpret_cast<const std::byte*>(bytes.data() + i * image);
        auto counter = daemon::read_frame_counter({frame, image}, video);
        ASSERT_TRUE(counter.has_value()) << "frame " << i << " does not carry the camera's overlay";
        if (previous) {
            EXPECT_EQ(*counter, *previous + 1) << "frame " << i;
        }
        previous = counter;
    }
    expect_all_stopped_and_returned(*s.observer);
}

TEST(GstKsimsrc, AudioPin_HasPcmCapsFromThePinsFormat) {
    CommittedStack s(configs_dir() / "audio-capture-pcm.json");
    auto r = gst_launch(
        s.stack, "launch",
        "ksimsrc pin=recorder.input socket=" + s.stack.socket() + " num-buffers=3 ! fakesink silent=false");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    for (const char* field : {"audio/x-raw", "format=(string)S16LE", "layout=(string)interleaved",
                              "rate=(int)48000", "channels=(int)2"})
        EXPECT_NE(r.out.find(field), std::string::npos) << field << "\n" << r.out;
    EXPECT_EQ(count(r.out, "(1920 bytes"), 3u) << r.out;  // 480 samples x 2 channels x 2 bytes
    expect_all_stopped_and_returned(*s.observer);
}

TEST(GstKsimsrc, UnknownPin_FailsToStartNamingThePin) {
    CommittedStack s(configs_dir() / "demo-capture-1080p.json");
    auto r =
        gst_launch(s.stack, "launch",
                   "ksimsrc pin=viewer.nope socket=" + s.stack.socket() + " commit-timeout=2000 ! fakesink");
    EXPECT_NE(r.exit_code, 0) << r.out << r.err;  // gst-launch-1.0 exits 255 when PAUSED fails
    const std::string all = r.out + r.err;
    EXPECT_NE(all.find("cannot open the ksim pin"), std::string::npos) << all;
    EXPECT_NE(all.find("nope"), std::string::npos) << all;
}

TEST(GstKsimsrc, KsimdKilledMidStream_EndsThePipelineWithAnErrorSayingKsimdWentAway) {
    CommittedStack s(configs_dir() / "demo-capture-1080p.json");
    Process launch(
        launch_argv("ksimsrc pin=viewer.input socket=" + s.stack.socket() + " ! fakesink silent=false"),
        s.stack.dir(), "launch", gst_env(s.stack.dir()));
    // The first frame downstream: wait on gst-launch's pidfd between looks (returns if it dies).
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (launch.stdout_text().find("(3110400 bytes") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
        pollfd p{launch.pidfd(), POLLIN, 0};
        if (::poll(&p, 1, 20) > 0) break;
    }
    ASSERT_NE(launch.stdout_text().find("(3110400 bytes"), std::string::npos)
        << launch.stdout_text() << launch.stderr_text();

    s.observer.reset();
    s.stack.crash_and_restart_daemon();

    EXPECT_EQ(launch.wait(30s), 1) << launch.stdout_text() << launch.stderr_text();
    const std::string all = launch.stdout_text() + launch.stderr_text();
    EXPECT_NE(all.find("ksimd went away: ksimd closed the connection"), std::string::npos) << all;
}

TEST(GstKsimsink, VideotestsrcIntoAUserSourcePin_TheKernelSinkConsumesEveryFrame) {
    CommittedStack s(KSIM_GST_USER_SOURCE_CONFIG);
    constexpr std::uint64_t kFrames = 12;
    // The pin's format is RGB24 320x240 at 30 fps: BGR in GStreamer's terms (caps.hpp).
    auto r = gst_launch(
        s.stack, "launch",
        "videotestsrc num-buffers=" + std::to_string(kFrames) +
            " ! video/x-raw,format=BGR,width=320,height=240,framerate=30/1 ! ksimsink pin=app.output "
            "socket=" +
            s.stack.socket());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    // Observed downstream, over the wire: the kernel sink completed each frame ksimsink submitted.
    auto sink = s.observer->statistics({"sink", "input"});
    ASSERT_TRUE(sink) << sink.error().message;
    EXPECT_EQ(sink->completed, kFrames);
    EXPECT_EQ(sink->dropped, 0u);
    expect_all_stopped_and_returned(*s.observer);
    EXPECT_TRUE(ksim_dev_shm_entries().empty());
}

TEST(GstKsimsink, CapsOtherThanThePinsFormat_AreRefusedAtNegotiation) {
    CommittedStack s(KSIM_GST_USER_SOURCE_CONFIG);
    auto r =
        gst_launch(s.stack, "launch",
                   "videotestsrc num-buffers=3 ! video/x-raw,format=NV12,width=320,height=240 ! ksimsink "
                   "pin=app.output socket=" +
                       s.stack.socket());
    EXPECT_NE(r.exit_code, 0) << r.out << r.err;
    const std::string all = r.out + r.err;
    EXPECT_NE(all.find("not-negotiated"), std::string::npos) << all;
    auto sink = s.observer->statistics({"sink", "input"});
    ASSERT_TRUE(sink) << sink.error().message;
    EXPECT_EQ(sink->completed, 0u);
}

}  // namespace
}  // namespace ksim::itest
