#include "session_set.hpp"

#include <vector>

#include "session.hpp"

namespace ksim::daemon::server {

void SessionSet::add(std::shared_ptr<Session> session) {
    sessions_[session->id()] = std::move(session);
}

void SessionSet::remove(ClientId id) {
    sessions_.erase(id);
}

std::shared_ptr<Session> SessionSet::find(ClientId id) const {
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second;
}

void SessionSet::broadcast(wire::MessageType type, const nlohmann::json& event) {
    // Copy first: a send that overflows a queue stops that session, which removes it from the map.
    std::vector<std::shared_ptr<Session>> targets;
    for (const auto& [id, s] : sessions_)
        if (s->context().wants(type)) targets.push_back(s);
    for (const auto& s : targets) s->send_event(type, event);
}

std::vector<ClientUsage> SessionSet::usage() const {
    std::vector<ClientUsage> out;
    for (const auto& [id, s] : sessions_) out.push_back(s->usage());
    return out;
}

void SessionSet::stop_all(const std::string& reason) {
    std::vector<std::shared_ptr<Session>> all;
    for (const auto& [id, s] : sessions_) all.push_back(s);
    for (const auto& s : all) s->stop(reason);
}

}  // namespace ksim::daemon::server
