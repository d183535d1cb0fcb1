#include "pin_holders.hpp"

#include <algorithm>

namespace ksim::daemon {

std::string StateRequester::describe() const {
    if (client == kDaemon) return "the daemon";
    return "client " + std::to_string(client) + (name.empty() ? "" : " (" + name + ")");
}

void PinHolders::add(const StateRequester& requester) {
    if (requester.privileged || requester.client == kDaemon || contains(requester.client)) return;
    holders_.push_back(StateRequester{requester.client, requester.name, false});
}

bool PinHolders::remove(ClientId client) {
    return std::erase_if(holders_, [&](const StateRequester& h) { return h.client == client; }) > 0;
}

bool PinHolders::contains(ClientId client) const {
    return std::ranges::any_of(holders_, [&](const StateRequester& h) { return h.client == client; });
}

std::vector<ClientId> PinHolders::ids() const {
    std::vector<ClientId> out;
    for (const StateRequester& h : holders_) out.push_back(h.client);
    return out;
}

std::string PinHolders::describe() const {
    std::string out;
    for (const StateRequester& h : holders_) out += (out.empty() ? "" : ", ") + h.describe();
    return out;
}

}  // namespace ksim::daemon
