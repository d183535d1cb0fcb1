// A scripted stand-in for ksimd in the same process: listens on a unique socket path in a temp
// directory, accepts one client and runs a script (on its own thread) that reads requests and
// writes replies, events and descriptors exactly as the test wants — including misbehaviour.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <thread>

#include "ksim/shm/unique_fd.hpp"
#include "ksim/test_support/files.hpp"
#include "ksim/wire/codec.hpp"

namespace ksim::client::test {

class FakePeer {
public:
    explicit FakePeer(int fd) : fd_(fd) {}
    // The next complete message; a null json on EOF.
    nlohmann::json read();
    // Sends `message` with `fds` attached to its first byte.
    void send(const nlohmann::json& message, std::span<const int> fds = {});
    // Answers a welcome to the hello that must come first; returns the hello.
    nlohmann::json accept_hello(std::uint64_t client_id = 7);
    void close();

private:
    int fd_;
    wire::FrameDecoder decoder_;
};

class FakeDaemon {
public:
    using Script = std::function<void(FakePeer&)>;
    explicit FakeDaemon(Script script);
    ~FakeDaemon();  // joins the script thread, removes the socket and directory

    [[nodiscard]] const std::string& socket_path() const { return path_; }

private:
    std::filesystem::path dir_;
    std::string path_;
    shm::UniqueFd listener_;
    std::thread thread_;
};

using test_support::make_temp_dir;  // a unique, empty temp directory (mkdtemp)

}  // namespace ksim::client::test
