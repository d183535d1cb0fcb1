// PinHolders: the plain clients that moved one pin out of STOP, like the open handles of a KS pin
// instance. A pin returns to STOP when its last holder's session ends and no live client hosts it
// (Kernel::client_gone). Kept by the Pin; guarded by the Kernel's lock.
#pragma once

#include <string>
#include <vector>

#include "ksim/daemon/kernel.hpp"

namespace ksim::daemon {

class PinHolders {
public:
    // Records `requester` (once). Privileged requesters are never recorded.
    void add(const StateRequester& requester);
    // True if `client` was a holder.
    bool remove(ClientId client);
    [[nodiscard]] bool contains(ClientId client) const;
    [[nodiscard]] bool empty() const { return holders_.empty(); }
    void clear() { holders_.clear(); }
    [[nodiscard]] std::vector<ClientId> ids() const;
    // "client 3 (viewer)" or "client 3 (viewer), client 5"; "" when empty.
    [[nodiscard]] std::string describe() const;

private:
    std::vector<StateRequester> holders_;
};

}  // namespace ksim::daemon
