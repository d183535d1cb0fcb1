// What the request handler knows about one session: identity, role, subscriptions. Owned by
// the Session; read and written on the io_context thread only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ksim/daemon/kernel.hpp"
#include "ksim/daemon/server/peer_credentials.hpp"
#include "ksim/wire/message_table.hpp"
#include "logging.hpp"

namespace ksim::daemon::server {

struct SessionContext {
    ClientId client_id = 0;
    PeerCredentials peer;
    std::optional<wire::Role> role;  // set by a successful hello
    std::string client_name;
    std::size_t pins_created = 0;   // by create_pin, against the per-client cap
    std::size_t framing_bytes = 0;  // held by its live created pins, against the per-client cap
    bool subscribed = false;
    std::vector<wire::MessageType> subscriptions;  // empty while subscribed = every event

    [[nodiscard]] bool wants(wire::MessageType event) const {
        if (!subscribed) return false;
        if (subscriptions.empty()) return true;
        for (auto t : subscriptions)
            if (t == event) return true;
        return false;
    }
    // "client 3 (ksimctl)" for log lines and error messages; the name as loggable() makes it.
    [[nodiscard]] std::string name() const {
        return "client " + std::to_string(client_id) +
               (client_name.empty() ? "" : " (" + loggable(client_name) + ")");
    }
};

}  // namespace ksim::daemon::server
