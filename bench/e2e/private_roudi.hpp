// A private Eclipse iceoryx RouDi for the e2e bench. iceoryx 2.0 fixes its resource names at
// build time (/dev/shm/iceoryx_mgmt, a payload segment named after the user's group,
// /tmp/roudi, /tmp/iox-unique-roudi.lock) and has no domain id, so two RouDis on one machine
// collide. The bench therefore runs RouDi and both ping-pong processes in a mount namespace of
// their own, with fresh tmpfs on /dev/shm and /tmp: the names cannot meet another RouDi or a
// parallel run, and whatever RouDi leaves, even when killed, disappears with the namespace.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ksim::bench {

// Moves the calling process, which must be single-threaded (fork first), into a new mount
// namespace (inside a user namespace unless it runs as root) and mounts fresh tmpfs on /dev/shm
// and /tmp. Children forked afterwards share it. An empty string on success, else why not.
std::string enter_private_ipc_namespace();

// The iceoryx shm objects and sockets RouDi creates (names under /dev/shm and /tmp).
std::vector<std::filesystem::path> iceoryx_resource_paths();

class PrivateRoudi {
public:
    // Mempools for payloads up to each of `payload_sizes` (one pool per size, `chunks` each).
    PrivateRoudi(std::filesystem::path roudi_binary, const std::vector<std::uint32_t>& payload_sizes,
                 std::uint32_t chunks);
    ~PrivateRoudi();  // stop()
    PrivateRoudi(const PrivateRoudi&) = delete;
    PrivateRoudi& operator=(const PrivateRoudi&) = delete;

    // Only in a private namespace (enter_private_ipc_namespace): stop() removes iceoryx's fixed
    // names. Writes the config, starts RouDi and polls until its socket accepts a connection (it binds
    // it after creating the shared memory) or `timeout` passes or RouDi exits. False and error().
    bool start(std::chrono::milliseconds timeout);
    // SIGTERM, waitpid; SIGKILL after `grace`. Then removes what a killed RouDi leaves behind.
    // True when RouDi exited on SIGTERM by itself.
    bool stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] const std::string& error() const { return error_; }
    [[nodiscard]] std::string config_text() const;

private:
    std::filesystem::path binary_;
    std::vector<std::uint32_t> payload_sizes_;
    std::uint32_t chunks_;
    std::filesystem::path config_;
    pid_t pid_ = -1;
    std::string error_;
};

}  // namespace ksim::bench
