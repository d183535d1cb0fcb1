// PinHolders: the plain clients that hold one pin out of STOP, each at the state it last asked
// for (its claim), like the open handles of a KS pin instance. When a holder's session ends the
// pin walks down to the highest state another live holder claims, or to STOP when none does and
// no live client hosts it (Kernel::client_gone). Kept by the Pin; guarded by the Kernel's lock.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ksim/daemon/kernel.hpp"

namespace ksim::daemon {

class PinHolders {
public:
    // Records `requester`'s claim at `state` (once per client; a later call replaces its claim).
    // Privileged requesters are never recorded.
    void claim(const StateRequester& requester, proto::PinState state);
    // True if `client` was a holder.
    bool remove(ClientId client);
    [[nodiscard]] bool contains(ClientId client) const;
    [[nodiscard]] bool empty() const { return holders_.empty(); }
    void clear() { holders_.clear(); }
    // The highest state a holder other than `except` claims; nullopt when there is none.
    [[nodiscard]] std::optional<proto::PinState> highest_claim(ClientId except = kDaemon) const;
    [[nodiscard]] std::vector<ClientId> ids() const;
    // "client 3 (viewer)" or "client 3 (viewer), client 5"; "" when empty.
    [[nodiscard]] std::string describe() const;

private:
    struct Holder {
        StateRequester who;
        proto::PinState claim = proto::PinState::Stop;
    };
    std::vector<Holder> holders_;
};

}  // namespace ksim::daemon
