// When ksimd takes a sink client's releases (docs/memory.md, "Lazy release"). A client puts a
// frame it is done with on its to_daemon ring quietly: no syscall, no wake-up. ksimd takes it
//   - whenever it answers a request (StreamRings::take_releases): an acquire_frame, a state
//     change, the ledger and every inspection then see every frame the client gave back;
//   - when the client has put half its pool on the ring (it publishes that one with a wake-up:
//     the pool is running short for whoever fills it);
//   - on the drain thread's own schedule otherwise: kReleaseLag after the stream's next
//     expected delivery (so at a steady frame rate one timed sleep per frame, and none of the
//     client's), and within kReleaseBound of any release (the bound `ksimctl ledger` and the
//     pool's statistics lag by, at most);
//   - when the stream closes or its client goes (the drain thread's last pass).
// Pure arithmetic on steady_clock nanoseconds, so the policy is tested without threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>

namespace ksim::daemon::server {

// How long after a frame's delivery (or, with frames outstanding, after its last look) the drain
// thread looks for releases, and the most a release ever waits for it.
inline constexpr std::chrono::milliseconds kReleaseLag{10};
inline constexpr std::chrono::milliseconds kReleaseBound{20};
// "Sleep until a delivery says otherwise."
inline constexpr std::int64_t kNoDeadline = std::numeric_limits<std::int64_t>::max();

constexpr std::int64_t nanos(std::chrono::nanoseconds d) {
    return d.count();
}

// When the drain thread, looking now, should look again: soon while the client holds frames of
// this stream (`outstanding` > 0), otherwise kReleaseLag after the next delivery the stream's
// last interval predicts, or never (a delivery wakes it: see needs_wake) when the stream is
// idle or its next frame is overdue.
constexpr std::int64_t next_look(std::int64_t now, std::int64_t outstanding, std::int64_t last_delivery,
                                 std::int64_t interval) {
    if (outstanding > 0) return now + nanos(kReleaseLag);
    if (last_delivery <= 0 || interval <= 0) return kNoDeadline;
    const std::int64_t at = last_delivery + interval + nanos(kReleaseLag);
    return at > now ? at : kNoDeadline;
}

// Whether a delivery at `now` must wake the drain thread, whose sleep ends at `look_at`: the
// frame may be released at once, and must be taken within kReleaseBound.
constexpr bool needs_wake(std::int64_t now, std::int64_t look_at) {
    return look_at > now + nanos(kReleaseBound);
}

}  // namespace ksim::daemon::server
