// Frames end to end: ksimd + ksim-graphmgr + a libksim client in this test process. Content is
// checked, not just counted: the capture's overlay carries the frame number, and a user-mode
// source's bytes arrive intact at a user-mode sink after a kernel copy transform.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ksim/client/stream.hpp"
#include "ksim/daemon/content.hpp"
#include "stack.hpp"

namespace ksim::itest {
namespace {

proto::PinRef pin(const char* filter, const char* name) {
    return proto::PinRef{filter, name};
}

void expect_clean(const std::vector<std::string>& shm_before) {
    EXPECT_FALSE(has_live_children());
    EXPECT_EQ(ksim_dev_shm_entries(), shm_before);
}

TEST(FrameFlow, Demo_CaptureToUserSink_FrameCounterIncreasesAndOverlayIsIntact) {
    const auto shm_before = ksim_dev_shm_entries();
    {
        Stack stack(configs_dir() / "demo-capture-1080p.json");
        auto app = stack.connect(wire::Role::Client, "viewer");
        ASSERT_TRUE(app);
        ASSERT_TRUE(app->connection().subscribe());
        auto mgr = stack.start_graphmgr("manager");
        ASSERT_TRUE(wait_all_committed(*app, 1, 20s)) << mgr->stderr_text();

        const auto sink = pin("viewer", "input");
        const auto camera = pin("camera", "capture");
        set_state(*app, sink, proto::PinState::Acquire);
        auto stream = app->open_stream(sink);
        ASSERT_TRUE(stream) << stream.error().message;
        EXPECT_FALSE((*stream)->writable());
        set_state(*app, sink, proto::PinState::Run);
        set_state(*app, camera, proto::PinState::Run);

        const proto::VideoParams video{proto::VideoFormat::Nv12, 1920, 1080, 30, 1};
        std::optional<std::uint64_t> previous;
        std::int64_t last_time = -1;
        for (int i = 0; i < 8; ++i) {
            auto frame = (*stream)->next_frame(5s);
            ASSERT_TRUE(frame) << "frame " << i << ": " << frame.error().message;
            ASSERT_EQ(frame->bytes().size(), proto::image_size(video));
            const auto counter = daemon::read_frame_counter(frame->bytes(), video);
            ASSERT_TRUE(counter.has_value()) << "frame " << i << ": overlay unreadable (corrupted content)";
            // PictureNumber does not travel in ring entries (shm::RingEntry); the presentation time does.
            EXPECT_GT(frame->header().presentation_time.time, last_time) << "frame " << i;
            last_time = frame->header().presentation_time.time;
            if (previous) {
                EXPECT_GT(*counter, *previous) << "frame " << i;
            }
            previous = counter;
        }
        set_state(*app, camera, proto::PinState::Stop);
        set_state(*app, sink, proto::PinState::Stop);
        stream->reset();
        mgr->signal(SIGTERM);
        EXPECT_EQ(mgr->wait(10s), 0) << mgr->stderr_text();
        EXPECT_EQ(stack.stop_daemon(), 0);
    }
    expect_clean(shm_before);
}

// user_source (client) -> converter (kernel copy transform: copies into its own pool) ->
// user_sink (client). Two user-mode pipes joined by a kernel filter.
constexpr const char* kUserChainConfig = R"({
  "ksim_topology": 1,
  "name": "itest-user-kernel-user",
  "filters": [
    {"id": "app_src", "kind": "user_source", "pins": [
      {"id": "out", "direction": "out", "hosting": "user",
       "framing": {"simple": {"memory_type": "USER", "flags": [], "frames": 4,
                              "alignment": "FILE_BYTE_ALIGNMENT", "min_frame_size": 65536, "max_frame_size": 65536}}}]},
    {"id": "converter", "kind": "copy_transform", "pins": [
      {"id": "input", "direction": "in", "hosting": "kernel",
       "framing": {"simple": {"memory_type": "DONT_CARE", "flags": ["PREFERENCES_ONLY"], "frames": 4,
                              "alignment": "FILE_BYTE_ALIGNMENT", "min_frame_size": 0, "max_frame_size": 4294967295}}},
      {"id": "output", "direction": "out", "hosting": "kernel",
       "framing": {"simple": {"memory_type": "DONT_CARE", "flags": ["PREFERENCES_ONLY"], "frames": 4,
                              "alignment": "FILE_BYTE_ALIGNMENT", "min_frame_size": 65536, "max_frame_size": 65536}}}]},
    {"id": "app_sink", "kind": "user_sink", "pins": [
      {"id": "in", "direction": "in", "hosting": "user",
       "framing": {"simple": {"memory_type": "DONT_CARE", "flags": ["PREFERENCES_ONLY"], "frames": 4,
                              "alignment": "FILE_BYTE_ALIGNMENT", "min_frame_size": 0, "max_frame_size": 4294967295}}}]}
  ],
  "connections": [{"from": "app_src.out", "to": "converter.input"}, {"from": "converter.output", "to": "app_sink.in"}]
})";

TEST(FrameFlow, UserSource_ThroughKernelCopyTransform_ReachesUserSinkIntact) {
    const auto shm_before = ksim_dev_shm_entries();
    {
        std::filesystem::path config_path;
        {
            // The config lives next to the stack's files; written before ksimd reads it.
            std::string tmpl = (std::filesystem::temp_directory_path() / "ksim-itest-cfg-XXXXXX").string();
            ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
            config_path = std::filesystem::path(tmpl) / "user-kernel-user.json";
            std::ofstream(config_path) << kUserChainConfig;
        }
        Stack stack(config_path);
        auto app = stack.connect(wire::Role::Client, "user-chain");
        ASSERT_TRUE(app);
        ASSERT_TRUE(app->connection().subscribe());
        auto mgr = stack.start_graphmgr("manager");
        ASSERT_TRUE(wait_all_committed(*app, 2, 20s)) << mgr->stderr_text();

        const auto src = pin("app_src", "out"), sink = pin("app_sink", "in");
        const auto t_in = pin("converter", "input"), t_out = pin("converter", "output");
        for (const auto& p : {sink, t_out, t_in, src}) set_state(*app, p, proto::PinState::Acquire);
        auto consumer = app->open_stream(sink);
        ASSERT_TRUE(consumer) << consumer.error().message;
        auto producer = app->open_stream(src);
        ASSERT_TRUE(producer) << producer.error().message;
        EXPECT_TRUE((*producer)->writable());
        EXPECT_FALSE((*consumer)->writable());
        for (const auto& p : {sink, t_out, t_in, src}) set_state(*app, p, proto::PinState::Run);

        for (std::uint32_t i = 0; i < 6; ++i) {
            auto out = (*producer)->acquire_frame(5s);
            ASSERT_TRUE(out) << "acquire " << i << ": " << out.error().message;
            const std::uint32_t used = 4096 + i * 16;
            for (std::uint32_t b = 0; b < used; ++b)
                out->bytes()[b] = static_cast<std::byte>((b * 7 + i) & 0xff);
            out->header().presentation_time.time = 1000 + i;
            ASSERT_TRUE(out->submit(used));

            auto in = (*consumer)->next_frame(5s);
            ASSERT_TRUE(in) << "receive " << i << ": " << in.error().message;
            ASSERT_EQ(in->bytes().size(), used);
            EXPECT_EQ(in->header().presentation_time.time, 1000 + static_cast<std::int64_t>(i));
            std::uint32_t wrong = 0;
            for (std::uint32_t b = 0; b < used; ++b)
                wrong += in->bytes()[b] != static_cast<std::byte>((b * 7 + i) & 0xff) ? 1 : 0;
            EXPECT_EQ(wrong, 0u) << "frame " << i << ": bytes changed on the way";
        }
        for (const auto& p : {src, t_in, t_out, sink}) set_state(*app, p, proto::PinState::Stop);
        consumer->reset();
        producer->reset();
        mgr->signal(SIGTERM);
        EXPECT_EQ(mgr->wait(10s), 0) << mgr->stderr_text();
        EXPECT_EQ(stack.stop_daemon(), 0);
        std::filesystem::remove_all(config_path.parent_path());
    }
    expect_clean(shm_before);
}

// The vendor allocator is the committed choice on the kernel chain and is never the choice on
// the connection to a user-hosted pin (where it is a candidate rejected by mode).
TEST(FrameFlow, VendorAllocator_SelectedOnKernelChain_NeverOnUserModeConnection) {
    const auto shm_before = ksim_dev_shm_entries();
    for (const auto* name : {"kernel-chain-vendor-dma.json", "vendor-rejected-user-mode.json"}) {
        const bool kernel_chain = std::string(name) == "kernel-chain-vendor-dma.json";
        Stack stack(configs_dir() / name);
        auto app = stack.connect();
        ASSERT_TRUE(app);
        ASSERT_TRUE(app->connection().subscribe());
        const RunResult mgr = stack.run_graphmgr_once("manager");
        ASSERT_EQ(mgr.exit_code, 0) << mgr.err;

        const auto camera = pin("camera", "capture");
        auto filters = app->list("camera");
        ASSERT_TRUE(filters) << filters.error().message;
        ASSERT_EQ(filters->size(), 1u);
        const auto& capture = filters->front().pins.front();
        ASSERT_EQ(capture.id, camera.pin);
        ASSERT_TRUE(capture.vendor_allocator.has_value()) << name << " declares a vendor allocator";
        ASSERT_TRUE(capture.allocator.has_value()) << name << ": nothing committed";
        EXPECT_EQ(capture.allocator->starts_with("vendor"), kernel_chain)
            << name << ": " << *capture.allocator;

        auto conns = app->connections();
        ASSERT_TRUE(conns);
        ASSERT_EQ(conns->size(), 1u);
        ASSERT_TRUE(conns->front().decision);
        EXPECT_EQ(conns->front().decision->kind == wire::AllocatorKind::Vendor, kernel_chain) << name;
        EXPECT_EQ(stack.stop_daemon(), 0);
    }
    expect_clean(shm_before);
}

// The vendor allocator's KSALLOCATOR_DISPATCH call counts as a client reads them (STATISTICS of
// its pin, over the socket).
std::optional<wire::VendorAllocatorStats> vendor_stats(client::Client& c, const proto::PinRef& p) {
    auto stats = c.statistics(p);
    if (!stats) return std::nullopt;
    return stats->vendor_allocator;
}

// Waits until the pin completed `frames` frames; re-reads its statistics whenever an event
// arrives or 50 ms pass (frames themselves raise no event on the socket).
bool wait_completed(client::Client& c, const proto::PinRef& p, std::uint64_t frames,
                    std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto stats = c.statistics(p);
        if (stats && stats->completed >= frames) return true;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        (void)c.connection().next_event(std::min(left, std::chrono::milliseconds(50)));
    }
}

TEST(FrameFlow, VendorAllocatorCallCounts_OverTheWire_FollowTheAllocatorsLife) {
    const auto shm_before = ksim_dev_shm_entries();
    const auto camera = pin("camera", "capture");
    {
        // User-mode connection: the vendor allocator is rejected, so it is never initialised,
        // even while the pipe (with its default allocator) is active.
        Stack stack(configs_dir() / "vendor-rejected-user-mode.json");
        auto app = stack.connect();
        ASSERT_TRUE(app);
        ASSERT_TRUE(app->connection().subscribe());
        const RunResult mgr = stack.run_graphmgr_once("manager");
        ASSERT_EQ(mgr.exit_code, 0) << mgr.err;
        set_state(*app, camera, proto::PinState::Pause);
        auto active = vendor_stats(*app, camera);
        ASSERT_TRUE(active) << "the capture pin declares a vendor allocator";
        EXPECT_EQ(active->name, "vendor_dma");
        EXPECT_FALSE(active->initialized);
        EXPECT_EQ(active->calls, (wire::VendorAllocatorCalls{0, 0, 0, 0}));
        set_state(*app, camera, proto::PinState::Stop);
        auto after = vendor_stats(*app, camera);
        ASSERT_TRUE(after);
        EXPECT_EQ(after->calls.initialize, 0u);
        EXPECT_EQ(stack.stop_daemon(), 0);
    }
    {
        // Kernel chain: selected, initialised once at the pipe's first ACQUIRE, every frame it
        // allocated freed again by STOP, and the instance deleted.
        Stack stack(configs_dir() / "kernel-chain-vendor-dma.json");
        auto app = stack.connect();
        ASSERT_TRUE(app);
        ASSERT_TRUE(app->connection().subscribe());
        const RunResult mgr = stack.run_graphmgr_once("manager");
        ASSERT_EQ(mgr.exit_code, 0) << mgr.err;
        const auto checker = pin("checker", "input");
        set_state(*app, checker, proto::PinState::Run);
        set_state(*app, camera, proto::PinState::Run);
        ASSERT_TRUE(wait_completed(*app, camera, 3, 30s)) << "the camera completed fewer than 3 frames";
        auto streaming = vendor_stats(*app, camera);
        ASSERT_TRUE(streaming);
        EXPECT_TRUE(streaming->initialized);
        EXPECT_EQ(streaming->calls.initialize, 1u);
        EXPECT_GE(streaming->calls.allocate, 3u);

        set_state(*app, camera, proto::PinState::Stop);
        set_state(*app, checker, proto::PinState::Stop);
        auto stopped = vendor_stats(*app, camera);
        ASSERT_TRUE(stopped);
        EXPECT_FALSE(stopped->initialized);
        EXPECT_EQ(stopped->calls.initialize, 1u);
        EXPECT_EQ(stopped->calls.free, stopped->calls.allocate);
        EXPECT_EQ(stopped->calls.remove, 1u);

        // ksimctl shows the same counts (one sample, no rate interval).
        const RunResult ctl =
            run({ksimctl_path(), "--socket", stack.socket(), "--json", "stats", "--interval", "0"},
                stack.dir(), "ksimctl");
        ASSERT_EQ(ctl.exit_code, 0) << ctl.err;
        const auto rows = nlohmann::json::parse(ctl.out);
        const auto row =
            std::ranges::find_if(rows, [](const auto& r) { return r["pin"] == "camera.capture"; });
        ASSERT_NE(row, rows.end()) << ctl.out;
        EXPECT_EQ((*row)["vendor_allocator"]["name"], "vendor_dma") << ctl.out;
        EXPECT_EQ((*row)["vendor_allocator"]["calls"]["initialize"], 1) << ctl.out;
        EXPECT_EQ((*row)["vendor_allocator"]["calls"]["free"], stopped->calls.allocate) << ctl.out;
        const RunResult table = run({ksimctl_path(), "--socket", stack.socket(), "stats", "--interval", "0"},
                                    stack.dir(), "ksimctl-table");
        ASSERT_EQ(table.exit_code, 0) << table.err;
        EXPECT_NE(table.out.find("vendor_dma init 1 alloc " + std::to_string(stopped->calls.allocate) +
                                 " free " + std::to_string(stopped->calls.free) + " del 1"),
                  std::string::npos)
            << table.out;
        EXPECT_EQ(stack.stop_daemon(), 0);
    }
    expect_clean(shm_before);
}

}  // namespace
}  // namespace ksim::itest
