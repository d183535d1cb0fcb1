// BenchStack: a real ksimd (spawned from the build tree, unique socket in a temp dir) running a
// generated topology with, per frame size, a user-source -> user-sink pair and a simulated
// camera (kernel-hosted video capture at 30 fps, a format whose image is exactly that size) ->
// user-sink pair; the graph manager's logic (ksim_graphmgr, in-process) negotiates and commits;
// one libksim client then hosts every user pin (StackOptions: how its pairs wait). Cameras stay stopped until
// open_capture and paused until resume_capture, so only the one being measured renders frames. A spare 1080p
// pair (kSpareSource/kSpareSink) has only its source hosted, for benches whose own connections
// or child processes host the sink.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ksim/client/client.hpp"
#include "ksim/client/stream.hpp"

namespace ksim::bench {

struct Pair {
    std::uint32_t frame_size = 0;
    std::unique_ptr<client::Stream> producer;
    std::unique_ptr<client::Stream> consumer;
};

// Frame sizes a camera can produce exactly: 4 KiB, 1 MiB and 8 MiB as YUY2 images, 1080p NV12.
inline constexpr std::uint32_t k4KiB = 4096;
inline constexpr std::uint32_t k1MiB = 1u << 20;
inline constexpr std::uint32_t k1080pNv12 = 1920 * 1080 * 3 / 2;
inline constexpr std::uint32_t k8MiB = 8u << 20;
inline const std::vector<std::uint32_t> kFrameSizes{k4KiB, k1MiB, k1080pNv12, k8MiB};
inline constexpr int kCameraFps = 30;
inline constexpr std::uint32_t kPoolFrames = 4;  // each pair's pool

// The spare pair: a 1080p NV12 pool of kSpareFrames frames whose source this process hosts (in
// RUN, so the pool exists) and whose sink nobody hosts: for benches where another connection or
// process opens the sink (attach, crash reclaim).
inline constexpr std::uint32_t kSpareFrames = 16;
inline const proto::PinRef kSpareSource{"spare_src", "out"};
inline const proto::PinRef kSpareSink{"spare_sink", "in"};

// How a stack's ping-pong pairs wait. busy_poll: ksimd runs with --busy-poll-drain and both
// streams of every pair are opened with StreamOptions::busy_poll (docs/memory.md, "Busy-poll mode").
struct StackOptions {
    bool busy_poll = false;
};

class BenchStack {
public:
    // Starts everything for kFrameSizes; on failure error() says why and pair() finds nothing.
    explicit BenchStack(StackOptions options = {});
    ~BenchStack();

    [[nodiscard]] const std::string& error() const { return error_; }
    Pair* pair(std::uint32_t frame_size);
    // ksimd's socket, for benches that connect their own clients.
    [[nodiscard]] const std::string& socket_path() const { return socket_; }
    // ksimd's process id (its CPU time: cpu_cost.hpp; its threads' scheduler figures:
    // sched_stats.hpp); -1 when it did not start.
    [[nodiscard]] pid_t daemon_pid() const { return daemon_; }
    // The spare pair's producer (nullptr when the stack did not start).
    [[nodiscard]] client::Stream* spare_producer() const { return spare_producer_.get(); }

    // Opens the capture pair of `frame_size` with the viewer (user sink) in RUN and the camera
    // in PAUSE, and returns the viewer's stream (nullptr and error() on failure). The camera
    // renders nothing until resume_capture; close_capture stops both pins again.
    client::Stream* open_capture(std::uint32_t frame_size);
    void close_capture(std::uint32_t frame_size);
    // PAUSE <-> RUN of the camera. RUN -> PAUSE ends ksimd's streaming thread of that pin (joined
    // before the reply), so a paused camera neither ticks nor publishes: the other side of an
    // interleaved measurement runs on a quiet daemon. False and error() on failure.
    bool resume_capture(std::uint32_t frame_size);
    bool pause_capture(std::uint32_t frame_size);

private:
    bool start();
    StackOptions options_;
    std::unique_ptr<client::Stream> capture_;
    std::unique_ptr<client::Stream> spare_producer_;
    std::string socket_;

    std::filesystem::path dir_;
    pid_t daemon_ = -1;
    std::unique_ptr<client::Client> client_;
    std::vector<Pair> pairs_;
    std::string error_;
};

// The process's BenchStacks, each started on first use (its error() says whether that worked):
// the blocking one for every row but the busy-poll ones, and a busy-poll one (its own ksimd with
// --busy-poll-drain) for those. stop_shared_stack() stops both ksimds; call it before main returns.
BenchStack& shared_stack();
BenchStack& shared_busy_poll_stack();
void stop_shared_stack();

}  // namespace ksim::bench
