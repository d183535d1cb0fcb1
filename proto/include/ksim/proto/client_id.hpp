// Who a session is: the id ksimd gives a client in its hello reply, named in replies, events,
// ledgers and logs. The one ClientId of daemon, wire and libksim.
#pragma once

#include <cstdint>

namespace ksim::proto {

using ClientId = std::uint64_t;

// Never a client's id: stands for ksimd itself (a frame held inside the daemon, a pin no client
// hosts, a request the daemon makes on its own behalf).
inline constexpr ClientId kDaemon = 0;

}  // namespace ksim::proto
