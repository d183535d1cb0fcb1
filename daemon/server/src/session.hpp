// Session: one accepted client socket. Reads length-prefixed messages, hands each to the
// RequestHandler, queues replies and events (with SCM_RIGHTS descriptors when a reply grants
// memory) and writes them without ever blocking the io_context. What a client makes the daemon
// hold is bounded two ways: requests wait (unread, in the socket) while a quarter of the outgoing
// queue's allowance holds unsent messages (backpressure: the replies a pipelining client has not
// read yet), and a queue that still overflows (events a subscriber does not read) disconnects the
// client rather than slowing anyone else.
// Runs on the io_context thread only; kept alive by shared_from_this while I/O is pending.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ksim/daemon/server/daemon_app.hpp"
#include "ksim/shm/unique_fd.hpp"
#include "ksim/wire/codec.hpp"
#include "ksim/wire/message_table.hpp"
#include "session_context.hpp"

namespace ksim::daemon::server {

class RequestHandler;
class SessionSet;

// How many requests one session handles before the io_context serves the others: a flooding
// client cannot hold the thread for longer than this many requests.
inline constexpr std::size_t kMessagesPerTurn = 16;

struct SessionLimits {
    std::size_t max_queued_messages = 1024;  // replies + events not yet written
    std::size_t max_queued_bytes = 16 * 1024 * 1024;

    // Backpressure: no request is handled (nor read) while the queue holds a quarter of either
    // allowance, and handling resumes once it is under an eighth. So the replies of a client that
    // pipelines without reading take at most a quarter of the allowance plus one reply, leaving
    // the rest for events, and the client is stalled, not disconnected.
    [[nodiscard]] bool backlogged(std::size_t messages, std::size_t bytes) const {
        return messages >= at_least_one(max_queued_messages / 4) ||
               bytes >= at_least_one(max_queued_bytes / 4);
    }
    [[nodiscard]] bool drained(std::size_t messages, std::size_t bytes) const {
        return messages < at_least_one(max_queued_messages / 8) && bytes < at_least_one(max_queued_bytes / 8);
    }

private:
    static constexpr std::size_t at_least_one(std::size_t n) { return n == 0 ? 1 : n; }
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(boost::asio::local::stream_protocol::socket socket, SessionContext context, SessionSet& sessions,
            RequestHandler& handler, SessionLimits limits);

    void start();
    // Queues one message; `fds` travel in the same sendmsg as its first byte.
    void send(const nlohmann::json& message, std::vector<shm::UniqueFd> fds = {});
    // Queues one event. An event that only states the newest value of something (see
    // coalescing_key) replaces a queued one with the same key that has not begun to be written,
    // so a flood of them costs a slow reader one queued message per pin, not one per change.
    void send_event(wire::MessageType type, const nlohmann::json& event);
    // Closes the socket and reports the client gone (once). Safe to call repeatedly.
    void stop(const std::string& reason);

    [[nodiscard]] const SessionContext& context() const { return context_; }
    [[nodiscard]] ClientId id() const { return context_.client_id; }
    [[nodiscard]] ClientUsage usage() const;

private:
    struct Outgoing {
        std::string bytes;
        std::size_t sent = 0;
        std::vector<shm::UniqueFd> fds;  // sent with the first chunk, then closed
        std::string coalescing_key;      // empty: never replaced
    };

    // Encodes `message`, or a small error in its place when it is too large; nullopt drops it.
    std::optional<std::string> encode(const nlohmann::json& message, std::vector<shm::UniqueFd>& fds);
    // False (and the session stopped) when `extra_messages` / `extra_bytes` more would overflow.
    bool fits(std::size_t extra_messages, std::size_t extra_bytes);
    void enqueue(std::string frame, std::vector<shm::UniqueFd> fds, std::string coalescing_key);

    void read_more();
    void on_bytes(std::size_t n);
    // Handles at most kMessagesPerTurn decoded messages, then yields; reads more when none is left.
    void handle_buffered();
    void handle_turn();
    void write_pending();
    void wait_writable();
    enum class SendResult { Progress, WouldBlock, Failed };
    // One sendmsg of what is queued; Failed has stopped the session.
    SendResult send_some();
    void pop_written();  // the front message, written in full
    // Backpressure: after a write, handles the requests that waited once the queue has drained.
    void resume_if_drained();
    void note_peaks();

    boost::asio::local::stream_protocol::socket socket_;
    SessionContext context_;
    SessionSet& sessions_;
    RequestHandler& handler_;
    SessionLimits limits_;
    wire::FrameDecoder decoder_;
    std::array<char, 64 * 1024> read_buffer_{};
    std::deque<Outgoing> queue_;  // push_back/pop_front keep references to the other elements
    // Queued, replaceable events by coalescing key (entries point into queue_).
    std::unordered_map<std::string, Outgoing*> coalescable_;
    std::size_t queued_bytes_ = 0;
    ClientUsage peaks_;  // only the peak_* fields
    bool waiting_writable_ = false;
    bool close_after_flush_ = false;
    bool in_turn_ = false;          // handling requests: writes wait for the end of the turn
    bool requests_paused_ = false;  // backpressure: no read, no request handled until drained
    bool stopped_ = false;
};

}  // namespace ksim::daemon::server
