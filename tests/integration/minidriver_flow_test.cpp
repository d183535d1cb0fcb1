// The example minidriver (examples/drivers/avscam, written in C against the public driver API)
// end to end: ksimd loads the module named by the shipped configs, ksim-graphmgr negotiates from
// the framing its pin Create edited and commits, and a libksim client streams its frames. The
// content is avscam's documented pattern (pattern.h), checked byte for byte; on the kernel chain
// its own allocator is selected and its four routines are called (the counts come over the wire).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <cstdint>
#include <cstring>
#include <fstream>

#include "ksim/client/stream.hpp"
#include "stack.hpp"

namespace ksim::itest {
namespace {

// avscam's NV12 picture n (pattern.h): row y of the luma plane is 16 + ((y + 2n) mod 220), the
// chroma plane is 128, and the first 8 bytes are n (little-endian). Returns the first mismatch.
std::optional<std::string> pattern_mismatch(std::span<const std::byte> frame, std::uint32_t width,
                                            std::uint32_t height) {
    if (frame.size() != std::size_t{width} * height * 3 / 2) return "size " + std::to_string(frame.size());
    std::uint64_t n = 0;
    std::memcpy(&n, frame.data(), sizeof n);
    for (std::uint32_t y = 0; y < height; ++y)
        for (std::uint32_t x = 0; x < width; ++x) {
            const std::size_t at = std::size_t{y} * width + x;
            if (at < 8) continue;
            const auto want = static_cast<std::uint8_t>(16 + (y + 2 * n) % 220);
            if (static_cast<std::uint8_t>(frame[at]) != want)
                return "luma (" + std::to_string(x) + "," + std::to_string(y) + ") of picture " +
                       std::to_string(n);
        }
    for (std::size_t at = std::size_t{width} * height; at < frame.size(); ++at)
        if (static_cast<std::uint8_t>(frame[at]) != 128) return "chroma byte " + std::to_string(at);
    return std::nullopt;
}

TEST(MinidriverFlow, Avscam_ToUserSink_FramesCarryItsPattern_AndItsAllocatorIsNeverInitialized) {
    const auto shm_before = ksim_dev_shm_entries();
    {
        Stack stack(configs_dir() / "minidriver-avscam-viewer.json");
        auto app = stack.connect(wire::Role::Client, "viewer");
        ASSERT_TRUE(app);
        ASSERT_TRUE(app->connection().subscribe());
        auto mgr = stack.start_graphmgr("manager");
        ASSERT_TRUE(wait_all_committed(*app, 1, 20s)) << mgr->stderr_text();

        const proto::PinRef sink{"viewer", "input"}, camera{"camera", "capture"};
        set_state(*app, sink, proto::PinState::Acquire);
        auto stream = app->open_stream(sink);
        ASSERT_TRUE(stream) << stream.error().message;
        set_state(*app, sink, proto::PinState::Run);
        set_state(*app, camera, proto::PinState::Run);
        std::uint64_t previous = 0;
        for (int i = 0; i < 6; ++i) {
            auto frame = (*stream)->next_frame(5s);
            ASSERT_TRUE(frame) << "frame " << i << ": " << frame.error().message;
            const auto wrong = pattern_mismatch(frame->bytes(), 640, 480);
            EXPECT_FALSE(wrong.has_value()) << "frame " << i << ": " << *wrong;
            std::uint64_t n = 0;
            std::memcpy(&n, frame->bytes().data(), sizeof n);
            EXPECT_GT(n, previous) << "picture numbers increase";
            previous = n;
        }
        auto stats = app->statistics(camera);
        ASSERT_TRUE(stats) << stats.error().message;
        ASSERT_TRUE(stats->vendor_allocator.has_value());
        EXPECT_EQ(stats->vendor_allocator->name, "avscam_dma");
        EXPECT_EQ(stats->vendor_allocator->calls, (wire::VendorAllocatorCalls{0, 0, 0, 0}))
            << "a user-mode connection never initializes the driver's allocator";
        set_state(*app, camera, proto::PinState::Stop);
        set_state(*app, sink, proto::PinState::Stop);
        stream->reset();
        mgr->signal(SIGTERM);
        EXPECT_EQ(mgr->wait(10s), 0) << mgr->stderr_text();
        EXPECT_EQ(stack.stop_daemon(), 0);
    }
    EXPECT_EQ(ksim_dev_shm_entries(), shm_before);
}

TEST(MinidriverFlow, Avscam_ToKernelSink_ItsOwnAllocatorServesEveryFrame) {
    const auto shm_before = ksim_dev_shm_entries();
    {
        Stack stack(configs_dir() / "minidriver-avscam-vendor-dma.json");
        auto app = stack.connect();
        ASSERT_TRUE(app);
        ASSERT_TRUE(app->connection().subscribe());
        const RunResult mgr = stack.run_graphmgr_once("manager");
        ASSERT_EQ(mgr.exit_code, 0) << mgr.err;
        const proto::PinRef camera{"camera", "capture"}, checker{"checker", "input"};
        set_state(*app, checker, proto::PinState::Run);
        set_state(*app, camera, proto::PinState::Run);
        // Frames raise no socket event: poll the sink's statistics until enough were checked.
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        std::uint64_t completed = 0;
        while (completed < 8 && std::chrono::steady_clock::now() < deadline) {
            auto s = app->statistics(checker);
            ASSERT_TRUE(s) << s.error().message;
            completed = s->completed;
            if (completed < 8) (void)app->connection().next_event(50ms);
        }
        ASSERT_GE(completed, 8u);
        auto cam = app->statistics(camera);
        ASSERT_TRUE(cam && cam->vendor_allocator);
        EXPECT_TRUE(cam->vendor_allocator->initialized);
        EXPECT_EQ(cam->vendor_allocator->calls.initialize, 1u);
        EXPECT_GE(cam->vendor_allocator->calls.allocate, 2u);
        set_state(*app, camera, proto::PinState::Stop);
        set_state(*app, checker, proto::PinState::Stop);
        cam = app->statistics(camera);
        ASSERT_TRUE(cam && cam->vendor_allocator);
        EXPECT_EQ(cam->vendor_allocator->calls.remove, 1u) << "DeleteAllocator at the last STOP";
        EXPECT_EQ(cam->vendor_allocator->calls.allocate, cam->vendor_allocator->calls.free);
        EXPECT_EQ(stack.stop_daemon(), 0);
    }
    EXPECT_EQ(ksim_dev_shm_entries(), shm_before);
}

// A directory of its own under /tmp for a test's config, removed with everything in it.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "ksim-allocfail-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// The recording test driver's "RecorderInitFails" (its InitializeAllocator returns
// STATUS_INSUFFICIENT_RESOURCES) feeding a kernel sink: negotiation selects its allocator.
std::filesystem::path write_init_fails_config(const std::filesystem::path& dir) {
    const auto path = dir / "init-fails.json";
    std::ofstream(path) << fmt::format(R"({{"ksim_topology": 1, "name": "init-fails", "filters": [
        {{"id": "camera", "driver": {{"module": "{}", "filter": "RecorderInitFails"}},
          "video": {{"format": "NV12", "width": 64, "height": 48, "fps": [30, 1]}}}},
        {{"id": "sink", "kind": "kernel_sink", "pins": [{{"id": "input", "direction": "in", "hosting": "kernel",
          "framing": {{"simple": {{"memory_type": "DONT_CARE", "flags": ["PREFERENCES_ONLY"], "frames": 2,
          "alignment": "FILE_QUAD_ALIGNMENT", "min_frame_size": 0, "max_frame_size": 4294967295}}}}}}]}}],
        "connections": [{{"from": "camera.capture", "to": "sink.input"}}]}})",
                                       KSIM_RECORDING_DRIVER);
    return path;
}

TEST(MinidriverFlow, InitializeAllocatorFails_TheFailureShowsInGraphStatsAndTheEventStream) {
    const auto shm_before = ksim_dev_shm_entries();
    {
        TempDir tmp;
        Stack stack(write_init_fails_config(tmp.path()));
        auto app = stack.connect(wire::Role::Client, "watcher");
        ASSERT_TRUE(app);
        ASSERT_TRUE(app->connection().subscribe());
        auto mgr = stack.start_graphmgr("manager");
        ASSERT_TRUE(wait_all_committed(*app, 1, 20s)) << mgr->stderr_text();

        const proto::PinRef sink{"sink", "input"}, camera{"camera", "capture"};
        auto r = app->set_state(sink, proto::PinState::Acquire);
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error().code, Errc::InsufficientResources);

        // The subscribed client hears it (other events may come first).
        std::optional<wire::AllocatorFailedEvent> heard;
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!heard && std::chrono::steady_clock::now() < deadline) {
            auto event = app->connection().next_event(200ms);
            if (!event || event->type != wire::MessageType::AllocatorFailed) continue;
            auto decoded = wire::decode_body<wire::AllocatorFailedEvent>(event->body);
            ASSERT_TRUE(decoded) << decoded.error().message;
            heard = std::move(*decoded);
        }
        ASSERT_TRUE(heard.has_value()) << "no allocator_failed event";
        EXPECT_EQ(heard->pin, camera);
        EXPECT_EQ(heard->failure.routine, "InitializeAllocator");
        EXPECT_EQ(heard->failure.status, 0xC000009Au);
        EXPECT_EQ(heard->failure.asked_by, sink);
        EXPECT_EQ(heard->failure.capabilities.name, "recorder_dma");
        EXPECT_EQ(heard->failure.message, r.error().message);

        // `ksimctl graph --json`: the connection carries the record, with the framing it was given.
        const RunResult graph =
            run({ksimctl_path(), "--socket", stack.socket(), "--json", "graph"}, stack.dir(), "graph");
        ASSERT_EQ(graph.exit_code, 0) << graph.err;
        const auto g = nlohmann::json::parse(graph.out);
        ASSERT_EQ(g.at("connections").size(), 1u);
        const auto& conn = g["connections"][0];
        ASSERT_TRUE(conn.contains("allocator_failure")) << graph.out;
        const auto& f = conn["allocator_failure"];
        EXPECT_EQ(f.at("status_name"), "STATUS_INSUFFICIENT_RESOURCES (0xC000009A)");
        EXPECT_EQ(f.at("framing").at("frames"), conn.at("decision").at("frames"));
        EXPECT_EQ(f.at("framing").at("frame_size"), conn.at("decision").at("frame_size"));
        EXPECT_EQ(f.at("capabilities").at("name"), "recorder_dma");
        // ... and the text form says it under the connection.
        const RunResult text =
            run({ksimctl_path(), "--socket", stack.socket(), "graph"}, stack.dir(), "graph-text");
        ASSERT_EQ(text.exit_code, 0) << text.err;
        EXPECT_NE(
            text.out.find("allocator failed: InitializeAllocator of 'recorder_dma' (camera.capture) returned "
                          "STATUS_INSUFFICIENT_RESOURCES (0xC000009A)"),
            std::string::npos)
            << text.out;

        // The provider's statistics (what `ksimctl props camera.capture` shows) say why too.
        auto stats = app->statistics(camera);
        ASSERT_TRUE(stats && stats->vendor_allocator) << (stats ? "" : stats.error().message);
        EXPECT_FALSE(stats->vendor_allocator->initialized);
        ASSERT_TRUE(stats->vendor_allocator->last_failure.has_value());
        EXPECT_EQ(stats->vendor_allocator->last_failure->status, 0xC000009Au);
        const RunResult props =
            run({ksimctl_path(), "--socket", stack.socket(), "--json", "props", "camera.capture"},
                stack.dir(), "props");
        ASSERT_EQ(props.exit_code, 0) << props.err;
        EXPECT_EQ(nlohmann::json::parse(props.out)
                      .at("STATISTICS")
                      .at("vendor_allocator")
                      .at("last_failure")
                      .at("routine"),
                  "InitializeAllocator")
            << props.out;
        const RunResult table = run({ksimctl_path(), "--socket", stack.socket(), "stats", "--interval", "0"},
                                    stack.dir(), "stats");
        ASSERT_EQ(table.exit_code, 0) << table.err;
        EXPECT_NE(table.out.find("recorder_dma init 1 alloc 0 free 0 del 0 FAILED"), std::string::npos)
            << table.out;
        EXPECT_NE(table.out.find("camera.capture: allocator failed: InitializeAllocator of 'recorder_dma'"),
                  std::string::npos)
            << table.out;

        mgr->signal(SIGTERM);
        EXPECT_EQ(mgr->wait(10s), 0) << mgr->stderr_text();
        EXPECT_NE(mgr->stderr_text().find("allocator_failed"), std::string::npos)
            << "the graph manager logs it: " << mgr->stderr_text();
        EXPECT_EQ(stack.stop_daemon(), 0);
    }
    EXPECT_EQ(ksim_dev_shm_entries(), shm_before);
}

}  // namespace
}  // namespace ksim::itest
