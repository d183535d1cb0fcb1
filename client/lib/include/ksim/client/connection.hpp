// Connection: one control-socket session with ksimd. It performs the hello handshake (protocol
// version, role, client name), sends requests with unique ids and waits for the matching reply,
// receives the descriptors the daemon attaches to a reply (SCM_RIGHTS), and queues events.
//
// Thread-safety: a Connection is thread-safe. Any number of threads may call request() at the
// same time; each waits only for its own reply. Events are queued in arrival order and may be
// taken by next_event() from any thread, or delivered to an EventHandler instead. One internal
// reader thread owns the receiving side of the socket; the EventHandler runs on it, so a
// handler must not block and must not call request() (it would wait for itself).
//
// Frames never travel here: Stream (stream.hpp) moves them over shared-memory rings.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ksim/client/reconnect.hpp"
#include "ksim/proto/client_id.hpp"
#include "ksim/proto/error.hpp"
#include "ksim/shm/unique_fd.hpp"
#include "ksim/wire/message_table.hpp"

namespace ksim::client {

namespace detail {
struct ConnectionAccess;  // connection_state.hpp
}

using proto::ClientId;
using Timeout = std::chrono::milliseconds;

inline constexpr Timeout kDefaultTimeout{5000};

struct ConnectOptions {
    std::string socket_path;  // empty: resolve_socket_path("") (socket_path.hpp)
    wire::Role role = wire::Role::Client;
    std::string name = "libksim";       // shown by `ksimctl status` and in the daemon's log
    Timeout timeout = kDefaultTimeout;  // for connect + hello
    // Client::connect only (a bare Connection never reconnects): when set, a lost session is
    // resumed on a new connection (reconnect.hpp). The first connect is not retried.
    std::optional<ReconnectPolicy> reconnect;
};

// A successful reply: the JSON object (with "id", "type" and "ok" removed) and the descriptors
// that travelled with it, in the order the daemon sent them.
struct Reply {
    nlohmann::json body;
    std::vector<shm::UniqueFd> fds;
};

// An asynchronous event from a subscription: its type and its JSON body (without "type").
struct Event {
    wire::MessageType type;
    nlohmann::json body;
};

using EventHandler = std::function<void(const Event&)>;

class Connection {
public:
    // Connects to the daemon's socket and performs the handshake.
    // Errors: Disconnected ("cannot connect to ksimd at PATH: <strerror>") when nobody listens,
    // ProtocolError (version mismatch, garbage), PermissionDenied (refused by the daemon), Timeout.
    static Result<std::unique_ptr<Connection>> connect(const ConnectOptions& options);

    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Sends `type` with the fields of `body` (a JSON object, may be empty) and waits for the
    // reply. An error reply becomes its Errc and message; a lost connection is Disconnected; no
    // reply within `timeout` is Timeout (a late reply is then discarded, its descriptors closed).
    Result<Reply> request(wire::MessageType type, nlohmann::json body = nlohmann::json::object(),
                          Timeout timeout = kDefaultTimeout);

    // request() for replies that carry no descriptors: just the body.
    Result<nlohmann::json> call(wire::MessageType type, nlohmann::json body = nlohmann::json::object(),
                                Timeout timeout = kDefaultTimeout);

    // Asks the daemon to send events (all types). Events then queue up for next_event() unless a
    // handler is installed.
    Result<void> subscribe(Timeout timeout = kDefaultTimeout);

    // The oldest queued event; Timeout when none arrives in time; Disconnected once the socket is
    // closed and the queue is empty.
    Result<Event> next_event(Timeout timeout);

    // Delivers events to `handler` on the reader thread instead of queueing them (queued events
    // are handed to it first). Pass nullptr to go back to queueing.
    void set_event_handler(EventHandler handler);

    [[nodiscard]] ClientId client_id() const;
    [[nodiscard]] const std::string& daemon_version() const;
    [[nodiscard]] const std::string& socket_path() const;
    [[nodiscard]] wire::Role role() const;
    // False once the daemon closed the socket or a protocol error ended the session.
    [[nodiscard]] bool connected() const;
    // Why the session ended (meaningful once connected() is false).
    [[nodiscard]] Error disconnect_reason() const;
    // How many requests of `type` this connection has sent (diagnostics: e.g. that a producer's
    // frames travel on rings, not as acquire_frame requests).
    [[nodiscard]] std::uint64_t requests_sent(wire::MessageType type) const;

    // Closes the socket; pending requests fail with Disconnected. Idempotent; the destructor
    // calls it.
    void close();

    struct State;  // private; public only so that the implementation files can share it

private:
    friend struct detail::ConnectionAccess;  // streams share its region mappings and end hooks
    explicit Connection(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

}  // namespace ksim::client
