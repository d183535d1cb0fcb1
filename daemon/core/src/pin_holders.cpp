#include "pin_holders.hpp"

#include <algorithm>

namespace ksim::daemon {

std::string StateRequester::describe() const {
    if (client == kDaemon) return "the daemon";
    return "client " + std::to_string(client) + (name.empty() ? "" : " (" + name + ")");
}

void PinHolders::claim(const StateRequester& requester, proto::PinState state) {
    if (requester.privileged || requester.client == kDaemon) return;
    for (Holder& h : holders_)
        if (h.who.client == requester.client) {
            h.claim = state;
            return;
        }
    holders_.push_back(Holder{StateRequester{requester.client, requester.name, false}, state});
}

bool PinHolders::remove(ClientId client) {
    return std::erase_if(holders_, [&](const Holder& h) { return h.who.client == client; }) > 0;
}

bool PinHolders::contains(ClientId client) const {
    return std::ranges::any_of(holders_, [&](const Holder& h) { return h.who.client == client; });
}

std::optional<proto::PinState> PinHolders::highest_claim(ClientId except) const {
    std::optional<proto::PinState> best;
    for (const Holder& h : holders_)
        if (h.who.client != except && (!best || h.claim > *best)) best = h.claim;
    return best;
}

std::vector<ClientId> PinHolders::ids() const {
    std::vector<ClientId> out;
    for (const Holder& h : holders_) out.push_back(h.who.client);
    return out;
}

std::string PinHolders::describe() const {
    std::string out;
    for (const Holder& h : holders_) out += (out.empty() ? "" : ", ") + h.who.describe();
    return out;
}

}  // namespace ksim::daemon
