#include "bench_stack.hpp"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "graph_manager.hpp"

extern char** environ;

namespace ksim::bench {
namespace {

std::string pin_name(std::uint32_t size) {
    return "s" + std::to_string(size);
}

proto::PinRef camera_pin(std::uint32_t size) {
    return {"cam_" + pin_name(size), "capture"};
}
proto::PinRef camera_sink_pin(std::uint32_t size) {
    return {"view_" + pin_name(size), "in"};
}

// A video format whose image is exactly `size` bytes (see kFrameSizes).
nlohmann::json video_of(std::uint32_t size) {
    nlohmann::json v = nlohmann::json::object();
    const bool nv12 = size == k1080pNv12;
    const std::uint32_t width = nv12 ? 1920 : size == k4KiB ? 64 : size == k1MiB ? 1024 : 2048;
    v["format"] = nv12 ? "NV12" : "YUY2";
    v["width"] = width;
    v["height"] = nv12 ? 1080 : size / (width * 2);
    v["fps"] = nlohmann::json::array({kCameraFps, 1});
    return v;
}

nlohmann::json simple_framing(const char* memory, std::uint32_t min, std::uint32_t max,
                              std::uint32_t frames = kPoolFrames) {
    nlohmann::json simple = nlohmann::json::object();
    simple["memory_type"] = memory;
    simple["flags"] = nlohmann::json::array({"PREFERENCES_ONLY"});
    simple["frames"] = frames;
    simple["alignment"] = "FILE_BYTE_ALIGNMENT";
    simple["min_frame_size"] = min;
    simple["max_frame_size"] = max;
    nlohmann::json framing = nlohmann::json::object();
    framing["simple"] = simple;
    return framing;
}

std::string topology(const std::vector<std::uint32_t>& sizes) {
    using nlohmann::json;
    json filters = json::array(), connections = json::array();
    for (auto size : sizes) {
        const std::string n = pin_name(size);
        json out_pin = json::object();
        out_pin["id"] = "out";
        out_pin["direction"] = "out";
        out_pin["hosting"] = "user";
        out_pin["framing"] = simple_framing("USER", size, size);
        json in_pin = json::object();
        in_pin["id"] = "in";
        in_pin["direction"] = "in";
        in_pin["hosting"] = "user";
        in_pin["framing"] = simple_framing("DONT_CARE", 0, 0xFFFFFFFFu);
        json src = json::object(), sink = json::object(), conn = json::object();
        src["id"] = "src_" + n;
        src["kind"] = "user_source";
        src["pins"] = json::array({out_pin});
        sink["id"] = "sink_" + n;
        sink["kind"] = "user_sink";
        sink["pins"] = json::array({in_pin});
        conn["from"] = "src_" + n + ".out";
        conn["to"] = "sink_" + n + ".in";
        filters.push_back(src);
        filters.push_back(sink);
        connections.push_back(conn);

        // The capture pair: shaped like the demo (avshws: kernel memory, image-sized frames).
        json cam_pin = json::object();
        cam_pin["id"] = "capture";
        cam_pin["direction"] = "out";
        cam_pin["hosting"] = "kernel";
        cam_pin["framing"] = simple_framing("KERNEL_NONPAGED", size, size);
        json cam = json::object(), view = json::object(), cam_conn = json::object();
        cam["id"] = camera_pin(size).filter;
        cam["kind"] = "video_capture";
        cam["video"] = video_of(size);
        cam["pins"] = json::array({cam_pin});
        view["id"] = camera_sink_pin(size).filter;
        view["kind"] = "user_sink";
        view["pins"] = json::array({in_pin});
        cam_conn["from"] = camera_pin(size).to_string();
        cam_conn["to"] = camera_sink_pin(size).to_string();
        filters.push_back(cam);
        filters.push_back(view);
        connections.push_back(cam_conn);
    }
    // The spare pair (see spare_sink_pin()): one pool of kSpareFrames 1080p frames.
    json spare_out = json::object(), spare_in = json::object();
    spare_out["id"] = kSpareSource.pin;
    spare_out["direction"] = "out";
    spare_out["hosting"] = "user";
    spare_out["framing"] = simple_framing("USER", k1080pNv12, k1080pNv12, kSpareFrames);
    spare_in["id"] = kSpareSink.pin;
    spare_in["direction"] = "in";
    spare_in["hosting"] = "user";
    spare_in["framing"] = simple_framing("DONT_CARE", 0, 0xFFFFFFFFu, kSpareFrames);
    json spare_src = json::object(), spare_sink = json::object(), spare_conn = json::object();
    spare_src["id"] = kSpareSource.filter;
    spare_src["kind"] = "user_source";
    spare_src["pins"] = json::array({spare_out});
    spare_sink["id"] = kSpareSink.filter;
    spare_sink["kind"] = "user_sink";
    spare_sink["pins"] = json::array({spare_in});
    spare_conn["from"] = kSpareSource.filter + "." + kSpareSource.pin;
    spare_conn["to"] = kSpareSink.filter + "." + kSpareSink.pin;
    filters.push_back(spare_src);
    filters.push_back(spare_sink);
    connections.push_back(spare_conn);

    json top = json::object();
    top["ksim_topology"] = 1;
    top["name"] = "e2e-bench";
    top["filters"] = filters;
    top["connections"] = connections;
    return top.dump(2);
}

}  // namespace

BenchStack::BenchStack(StackOptions options) : options_(options) {
    if (!start()) pairs_.clear();
}

bool BenchStack::start() {
    const std::vector<std::uint32_t>& sizes = kFrameSizes;
    std::string tmpl = (std::filesystem::temp_directory_path() / "ksim-e2e-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) return error_ = "mkdtemp", false;
    dir_ = tmpl;
    const auto config = dir_ / "bench.json";
    std::ofstream(config) << topology(sizes);
    const std::string socket = (dir_ / "ksimd.sock").string();

    std::vector<std::string> argv{KSIM_BENCH_KSIMD, "--config",      config.string(),         "--socket",
                                  socket,           "--runtime-dir", (dir_ / "run").string(), "--log-level",
                                  "error"};
    if (options_.busy_poll) argv.push_back("--busy-poll-drain");
    // An A/B of ksimd's streaming-thread time slice (docs/performance.md, "Capture under CPU
    // load") without another build: KSIM_BENCH_STREAMING_SLICE_US=<us> is passed on.
    if (const char* slice = std::getenv("KSIM_BENCH_STREAMING_SLICE_US")) {
        argv.emplace_back("--streaming-slice-us");
        argv.emplace_back(slice);
    }
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    if (::posix_spawn(&daemon_, args[0], nullptr, nullptr, args.data(), environ) != 0)
        return error_ = "cannot start ksimd", false;
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, daemon_, 0));

    // Ready when it accepts the graph manager; poll the daemon's pidfd between attempts so a
    // crash ends the wait at once.
    client::ConnectOptions co;
    co.socket_path = socket;
    graphmgr::ManagerOptions mo;
    mo.socket_path = socket;
    mo.name = "e2e-bench-graphmgr";
    std::unique_ptr<graphmgr::GraphManager> manager;
    for (int attempt = 0; attempt < 500 && !manager; ++attempt) {
        auto m = graphmgr::GraphManager::connect(mo);
        if (m) {
            manager = std::move(*m);
            break;
        }
        pollfd p{pidfd, POLLIN, 0};
        if (::poll(&p, 1, 20) > 0) break;
    }
    if (pidfd >= 0) ::close(pidfd);
    if (!manager) return error_ = "ksimd did not become ready", false;
    auto pass = manager->negotiate_and_commit();
    if (!pass || pass->committed != 2 * sizes.size() + 1) return error_ = "negotiation/commit failed", false;
    manager.reset();  // a manager is only needed to commit

    auto c = client::Client::connect(co);
    if (!c) return error_ = c.error().message, false;
    client_ = std::make_unique<client::Client>(std::move(*c));
    for (auto size : sizes) {
        const std::string n = pin_name(size);
        const proto::PinRef src{"src_" + n, "out"}, sink{"sink_" + n, "in"};
        Pair pair;
        pair.frame_size = size;
        for (const auto& p : {sink, src})
            if (auto r = client_->set_state(p, proto::PinState::Acquire); !r)
                return error_ = r.error().message, false;
        const client::StreamOptions waits{.busy_poll = options_.busy_poll};
        auto consumer = client_->open_stream(sink, waits);
        auto producer = client_->open_stream(src, waits);
        if (!consumer || !producer) return error_ = "open_stream failed", false;
        pair.consumer = std::move(*consumer);
        pair.producer = std::move(*producer);
        for (const auto& p : {sink, src})
            if (auto r = client_->set_state(p, proto::PinState::Run); !r)
                return error_ = r.error().message, false;
        pairs_.push_back(std::move(pair));
    }
    const proto::PinRef spare{kSpareSource.filter, kSpareSource.pin};
    if (auto r = client_->set_state(spare, proto::PinState::Acquire); !r)
        return error_ = r.error().message, false;
    auto spare_producer = client_->open_stream(spare);
    if (!spare_producer) return error_ = spare_producer.error().message, false;
    spare_producer_ = std::move(*spare_producer);
    if (auto r = client_->set_state(spare, proto::PinState::Run); !r)
        return error_ = r.error().message, false;
    socket_ = socket;
    return true;
}

client::Stream* BenchStack::open_capture(std::uint32_t frame_size) {
    if (!client_) return nullptr;
    const proto::PinRef cam = camera_pin(frame_size), sink = camera_sink_pin(frame_size);
    for (const auto& p : {sink, cam})
        if (auto r = client_->set_state(p, proto::PinState::Acquire); !r)
            return error_ = r.error().message, nullptr;
    auto consumer = client_->open_stream(sink);
    if (!consumer) return error_ = consumer.error().message, nullptr;
    capture_ = std::move(*consumer);
    if (auto r = client_->set_state(sink, proto::PinState::Run); !r)
        return error_ = r.error().message, nullptr;
    if (auto r = client_->set_state(cam, proto::PinState::Pause); !r)
        return error_ = r.error().message, nullptr;
    return capture_.get();
}

bool BenchStack::resume_capture(std::uint32_t frame_size) {
    if (!client_) return false;
    if (auto r = client_->set_state(camera_pin(frame_size), proto::PinState::Run); !r)
        return error_ = r.error().message, false;
    return true;
}

bool BenchStack::pause_capture(std::uint32_t frame_size) {
    if (!client_) return false;
    if (auto r = client_->set_state(camera_pin(frame_size), proto::PinState::Pause); !r)
        return error_ = r.error().message, false;
    return true;
}

void BenchStack::close_capture(std::uint32_t frame_size) {
    if (!client_) return;
    for (const auto& p : {camera_pin(frame_size), camera_sink_pin(frame_size)})
        (void)client_->set_state(p, proto::PinState::Stop);
    capture_.reset();
}

Pair* BenchStack::pair(std::uint32_t frame_size) {
    for (auto& p : pairs_)
        if (p.frame_size == frame_size) return &p;
    return nullptr;
}

namespace {
std::unique_ptr<BenchStack> g_shared_stack;
std::unique_ptr<BenchStack> g_busy_poll_stack;
}  // namespace

BenchStack& shared_stack() {
    if (!g_shared_stack) g_shared_stack = std::make_unique<BenchStack>();
    return *g_shared_stack;
}

BenchStack& shared_busy_poll_stack() {
    if (!g_busy_poll_stack) g_busy_poll_stack = std::make_unique<BenchStack>(StackOptions{.busy_poll = true});
    return *g_busy_poll_stack;
}

void stop_shared_stack() {
    g_busy_poll_stack.reset();
    g_shared_stack.reset();
}

BenchStack::~BenchStack() {
    capture_.reset();
    spare_producer_.reset();
    pairs_.clear();
    client_.reset();
    if (daemon_ > 0) {
        ::kill(daemon_, SIGTERM);
        int status = 0;
        ::waitpid(daemon_, &status, 0);
    }
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

}  // namespace ksim::bench
