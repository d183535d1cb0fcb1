// ReconnectPolicy: how a Client (client.hpp) outlives its daemon. With
// ConnectOptions::reconnect set, a call or a frame wait that finds the connection lost
// (Disconnected) blocks while it reconnects on the same socket with backoff, redoes what this client had set
// up and carries on; each such gap is reported once through on_gap. See docs/client.md, "Reconnecting".
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "ksim/proto/error.hpp"

namespace ksim::client {

// One lost-and-resumed session, as on_gap reports it.
struct Gap {
    Error cause;                            // why the old session ended ("ksimd closed the connection")
    std::chrono::milliseconds duration{0};  // from the end of the old session to the set-up redone
    unsigned attempts = 0;                  // connection attempts it took
    // Frames this client's streams held or had waiting on their rings when the session ended
    // (gone with the old pools), plus, for a consumer that had seen frames, the frames its
    // source would have produced during the gap (duration / the last frame's duration).
    std::uint64_t frames_possibly_lost = 0;
};

struct ReconnectPolicy {
    // Delay before the first attempt; doubled after each failed attempt up to max_delay.
    std::chrono::milliseconds initial_delay{100};
    std::chrono::milliseconds max_delay{2000};
    // Attempts stop this long after the loss was noticed (this includes waiting for the graph
    // manager to commit again); then every call fails with Disconnected for good.
    std::chrono::milliseconds give_up_after{30000};
    // Called when a loss is noticed, before the first attempt, on the thread that will
    // reconnect (e.g. to say "reconnecting" while that thread's call blocks). It must not call
    // the Client (its calls would wait for this recovery).
    std::function<void(const Error& cause)> on_lost;
    // Called once per gap, on the thread that reconnected, after the set-up was redone and
    // before that thread's call continues (other threads may already use the new session). It
    // may call the Client, e.g. to subscribe again on connection().
    std::function<void(const Gap&)> on_gap;
};

}  // namespace ksim::client
