// ClientSession: what a Client (and the Streams it opened) share — the current connection and,
// with ConnectOptions::reconnect, the record of what this client set up (pins it created and
// connected, states it set, streams it has open) and the recovery that redoes it on a new
// connection. Thread-safe. Recovery runs on the thread of the first call that finds the
// connection lost; callers that find it lost meanwhile wait for that recovery and use its
// result. Private to libksim.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "ksim/client/connection.hpp"
#include "ksim/client/stream.hpp"
#include "ksim/proto/topology.hpp"
#include "ksim/wire/messages.hpp"

namespace ksim::client::detail {

struct StreamCore;

// One open Stream as the session sees it: the core (mappings, rings) it is to use. Recovery puts
// a core opened on the new connection here; the Stream takes it on its own thread.
struct StreamSlot {
    proto::PinRef pin;
    StreamOptions options;  // as opened (the re-opened core gets them too)
    std::mutex mutex;
    std::shared_ptr<StreamCore> core;
};

class ClientSession {
public:
    // `options` carries the reconnect policy (none: the session ends with its connection).
    ClientSession(std::shared_ptr<Connection> connection, ConnectOptions options);

    // The current connection. Connections that were replaced stay alive (closed) as long as
    // the session, so a Connection& handed out earlier never dangles.
    [[nodiscard]] std::shared_ptr<Connection> connection() const;
    [[nodiscard]] bool reconnects() const { return options_.reconnect.has_value(); }

    // Runs `call(connection)` on the current connection; when it fails with Disconnected and the
    // session reconnects, resumes the session and runs it again on the new connection (the old
    // daemon is gone with everything the call did there). Until a recovery gives up.
    template <typename Call>
    auto with_recovery(Call&& call) -> decltype(call(std::shared_ptr<Connection>{})) {
        for (;;) {
            auto connection = this->connection();
            auto result = call(connection);
            if (result || result.error().code != Errc::Disconnected || !reconnects()) return result;
            if (auto resumed = recover(connection.get()); !resumed) return std::unexpected(resumed.error());
        }
    }

    // After `lost` ended: reconnects with the policy's backoff, redoes the recorded set-up, puts a
    // new core in every open stream's slot, then reports the gap (on_gap). Returns at once when
    // `lost` is no longer the current connection (another caller recovered already).
    // Errors: Disconnected when the session cannot be resumed (closed by this client, or no
    // attempt succeeded before give_up_after; the message says which and the last failure).
    Result<void> recover(const Connection* lost);

    // What to redo after a loss; recorded by the Client when the call succeeded.
    void record_created_pin(const wire::CreatePinRequest& request);
    void record_connected(const proto::PinRef& from, const proto::PinRef& to);
    void record_state(const proto::PinRef& pin, proto::PinState state);
    std::shared_ptr<StreamSlot> add_stream(const proto::PinRef& pin, std::shared_ptr<StreamCore> core);

private:
    struct SetUp {
        std::vector<wire::CreatePinRequest> created;
        std::vector<std::pair<proto::PinRef, proto::PinRef>> connected;
        // The last state set per pin, in the order of the last set_state (STOP: not listed), so
        // that replaying runs pins in the order the application ran them (the peer before us).
        std::vector<std::pair<proto::PinRef, proto::PinState>> states;
        std::vector<std::weak_ptr<StreamSlot>> streams;
    };
    struct Resumed {
        std::shared_ptr<Connection> connection;
        std::vector<std::pair<std::shared_ptr<StreamSlot>, std::shared_ptr<StreamCore>>> streams;
    };

    // One attempt: connect, then replay `setup` on the new connection before `deadline`.
    Result<Resumed> attempt(const SetUp& setup, std::chrono::steady_clock::time_point deadline) const;
    SetUp snapshot() const;

    const ConnectOptions options_;
    std::mutex recover_mutex_;  // one recovery at a time; held while it runs
    mutable std::mutex mutex_;  // guards what follows
    std::shared_ptr<Connection> current_;
    std::vector<std::shared_ptr<Connection>> retired_;
    std::optional<Error> given_up_;
    SetUp setup_;
};

}  // namespace ksim::client::detail
