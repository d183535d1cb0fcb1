// A minimal blocking protocol client for the daemon tests: raw bytes, requests matched by id,
// events buffered, descriptors received with SCM_RIGHTS. Every wait has a timeout.
#pragma once

#include <chrono>
#include <deque>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ksim/proto/error.hpp"
#include "ksim/shm/unique_fd.hpp"
#include "ksim/wire/codec.hpp"
#include "ksim/wire/message_table.hpp"

namespace ksim::test {

using namespace std::chrono_literals;

class TestClient {
public:
    static Result<TestClient> connect(const std::filesystem::path& socket,
                                      std::chrono::milliseconds timeout = 5s);

    // Sends bytes as they are (for malformed-input tests).
    Result<void> send_raw(std::string_view bytes);
    // Adds an id, sends, waits for the reply with that id (events that arrive meanwhile are kept).
    Result<nlohmann::json> request(nlohmann::json message, std::chrono::milliseconds timeout = 5s);
    // hello as `role`; returns the welcome.
    Result<nlohmann::json> hello(wire::Role role = wire::Role::Client, std::string name = "test");
    // The next message of any kind.
    Result<nlohmann::json> next_message(std::chrono::milliseconds timeout = 5s);
    // The next event (buffered first).
    Result<nlohmann::json> next_event(std::chrono::milliseconds timeout = 5s);
    // True once the daemon has closed the connection (reads and discards until EOF).
    bool wait_closed(std::chrono::milliseconds timeout = 5s);

    // Descriptors that arrived with the last reply returned by request().
    std::vector<shm::UniqueFd> fds;
    [[nodiscard]] int fd() const { return socket_.get(); }

private:
    explicit TestClient(shm::UniqueFd socket) : socket_(std::move(socket)) {}
    // Reads once (up to `timeout`); Disconnected on EOF.
    Result<void> read_some(std::chrono::milliseconds timeout);

    shm::UniqueFd socket_;
    wire::FrameDecoder decoder_;
    std::deque<nlohmann::json> events_;
    std::vector<shm::UniqueFd> pending_fds_;
    std::uint64_t next_id_ = 1;
};

}  // namespace ksim::test
