// The live sessions: lookup by client id and event fan-out. io_context thread only.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ksim/daemon/kernel.hpp"
#include "ksim/daemon/server/daemon_app.hpp"
#include "ksim/wire/message_table.hpp"

namespace ksim::daemon::server {

class Session;

class SessionSet {
public:
    void add(std::shared_ptr<Session> session);
    void remove(ClientId id);
    std::shared_ptr<Session> find(ClientId id) const;
    // Sends `event` to every session subscribed to `type`.
    void broadcast(wire::MessageType type, const nlohmann::json& event);
    void stop_all(const std::string& reason);
    [[nodiscard]] std::vector<ClientUsage> usage() const;
    [[nodiscard]] std::size_t size() const { return sessions_.size(); }

private:
    std::map<ClientId, std::shared_ptr<Session>> sessions_;
};

}  // namespace ksim::daemon::server
