// The shared state behind a Connection: the socket, pending requests by id, the event queue and
// the descriptors received but not yet claimed by a reply. Guarded by `mutex`; the reader thread
// (reader.cpp) fills it, callers of request()/next_event() drain it. Private to libksim.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "ksim/client/connection.hpp"
#include "region_cache.hpp"
#include "session_end.hpp"

namespace ksim::client {

struct Connection::State {
    shm::UniqueFd socket;
    std::string path;
    wire::Role role = wire::Role::Client;
    ClientId client_id = 0;
    std::string daemon_version;

    std::mutex write_mutex;  // one writer at a time keeps length-prefixed messages whole

    mutable std::mutex mutex;
    std::condition_variable changed;  // a reply, an event or the disconnect arrived
    std::uint64_t next_id = 1;
    std::map<std::uint64_t, std::optional<Result<Reply>>> pending;  // id -> reply once it arrived
    std::deque<Event> events;
    EventHandler handler;
    std::map<wire::MessageType, std::uint64_t> sent;  // requests sent, by type
    std::deque<shm::UniqueFd> unclaimed_fds;          // arrived on the socket, not yet taken by a reply
    bool open = true;
    bool closed_by_client = false;  // close() ended it (a reconnecting Client then stays closed)
    Error reason{Errc::Disconnected, "connection closed"};
    // An error the daemon sent unasked (id 0) just before it closes the session: why it refused
    // us or hung up. It becomes the session's end reason.
    std::optional<Error> daemon_said;
    std::chrono::steady_clock::time_point ended_at{};  // when the daemon's end was seen (a gap starts)

    detail::RegionCache regions;  // frame regions mapped by this connection's streams
    // Run by end_session: wakes the ring waits of this connection's streams (stream_core.hpp).
    std::shared_ptr<detail::SessionEndHooks> end_hooks = std::make_shared<detail::SessionEndHooks>();

    std::thread reader;

    // Reader thread body: decodes messages until EOF/error, then fails every pending request and
    // wakes every wait of the connection's streams (end_hooks).
    void read_loop();
    void dispatch(nlohmann::json message);
    void end_session(Error why);
};

namespace detail {
// The State behind a Connection, for the other implementation files of libksim.
struct ConnectionAccess {
    static Connection::State& state(Connection& c) { return *c.state_; }
};
}  // namespace detail

// How many descriptors a reply carries (the daemon announces them in the reply itself; they
// are attached to the same sendmsg, so they are already received when the reply is decoded).
std::size_t announced_fd_count(const nlohmann::json& reply);

}  // namespace ksim::client
