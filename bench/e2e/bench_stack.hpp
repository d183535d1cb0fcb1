// BenchStack: a real ksimd (spawned from the build tree, unique socket in a temp dir) running a
// generated topology with, per frame size, a user-source -> user-sink pair and a simulated
// camera (kernel-hosted video capture at 30 fps, a format whose image is exactly that size) ->
// user-sink pair; the graph manager's logic (ksim_graphmgr, in-process) negotiates and commits;
// one libksim client then hosts every user pin. Cameras stay stopped until start_capture, so
// only the one being measured renders frames.
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

class BenchStack {
public:
    // Starts everything for kFrameSizes; on failure error() says why and pair() finds nothing.
    BenchStack();
    ~BenchStack();

    [[nodiscard]] const std::string& error() const { return error_; }
    Pair* pair(std::uint32_t frame_size);

    // Runs the camera of `frame_size` and returns the stream of its user sink (nullptr and
    // error() on failure); stop_capture stops both pins again.
    client::Stream* start_capture(std::uint32_t frame_size);
    void stop_capture(std::uint32_t frame_size);

private:
    bool start();
    std::unique_ptr<client::Stream> capture_;

    std::filesystem::path dir_;
    pid_t daemon_ = -1;
    std::unique_ptr<client::Client> client_;
    std::vector<Pair> pairs_;
    std::string error_;
};

}  // namespace ksim::bench
