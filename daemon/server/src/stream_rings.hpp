// The shared-memory descriptor rings of client-hosted pins' streams (the data path). For a
// client sink pin: a to_client ring carries completed frames to the client and a to_daemon ring
// carries them back (release). For a client source pin: a to_daemon ring carries submitted
// frames, and, when the client asked for it, a free_frames ring on which the kernel posts free
// frames of the pool (at most `free_depth` at once; see docs/memory.md). Without it the client
// acquires free frames over the socket and sleeps on the to_daemon ring's space wake-up while
// the pool is exhausted. A to_daemon ring is drained by one thread per stream
// that calls the Kernel. The rings of a stream are also its DeliveryTarget: the kernel pushes
// completed frames to it directly (resolved once at open_stream, nothing looked up per frame).
// Thread-safe; owned by DaemonApp.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "ksim/daemon/kernel.hpp"
#include "ksim/shm/ring.hpp"
#include "ksim/wire/messages.hpp"

namespace ksim::daemon::server {

// Names of the drain threads (at most 15 characters): a sink stream's thread takes released
// frames back (and runs SCHED_BATCH, see stream_rings.cpp), a source stream's takes submitted ones.
inline constexpr const char* kReleaseThreadName = "ksim-release";
inline constexpr const char* kSubmitThreadName = "ksim-submit";
// How long a busy-polling drain thread polls after the last submission before it falls back to
// sleeping: bounds the CPU an idle or stopped stream burns to one second.
inline constexpr std::chrono::seconds kBusyPollIdle{1};

class StreamRings {
public:
    StreamRings() = default;
    ~StreamRings();
    StreamRings(const StreamRings&) = delete;
    StreamRings& operator=(const StreamRings&) = delete;

    void set_kernel(Kernel* kernel) { kernel_ = kernel; }
    // Busy-poll drain (ksimd --busy-poll-drain): the drain thread of every source stream opened
    // from now on polls its to_daemon ring instead of sleeping, for up to kBusyPollIdle after
    // the last submission; then it sleeps until the next one (docs/memory.md, "Busy-poll mode").
    // Sink streams keep their lazy release.
    void set_busy_poll_drain(bool on) { busy_poll_drain_ = on; }
    [[nodiscard]] bool busy_poll_drain() const { return busy_poll_drain_; }
    // Drain threads of that mode running now: from their start until they have returned (a
    // stream's close joins its thread first), for `status`.
    [[nodiscard]] std::uint64_t busy_poll_drains() const {
        return busy_poll_drains_.load(std::memory_order_relaxed);
    }

    struct Share {
        wire::RingDirection direction;
        shm::RingShare share;
        std::uint32_t capacity;
    };
    struct Opened {
        std::vector<Share> shares;               // the descriptors to grant
        std::shared_ptr<DeliveryTarget> target;  // for Kernel::attach_delivery
    };
    // Creates the rings for `pin` hosted by `client` (replacing earlier ones). `capacity` is
    // rounded up to a power of two by shm. `free_depth` > 0 (source pins only) adds a
    // free_frames ring holding at most that many frames.
    Result<Opened> open(ClientId client, const PinRef& pin, proto::PinDirection direction,
                        std::uint32_t capacity, std::uint32_t frame_size, std::uint32_t free_depth = 0);

    enum class Push { Delivered, Full, NoRing };
    // Kernel -> client hand-off by key, for pins the kernel has no DeliveryTarget for (the
    // keyed lookup copies the key; the attached target is the per-frame path).
    Push push(ClientId client, const PinRef& pin, const shm::FrameDescriptor& frame,
              const proto::StreamHeader& header);

    // Takes every release sink clients have put on their rings and not yet seen taken (lazy
    // release, lazy_release.hpp), now, in the calling thread: before a request is answered, so
    // that what it needs or shows (a free frame, the ledger, a state change) includes them.
    void take_releases();

    void client_connected(ClientId client);
    [[nodiscard]] bool client_live(ClientId client) const;
    // Stops the client's drain threads and drops its rings (before Kernel::client_gone).
    void close_client(ClientId client);
    void close_all();

    class Rings;    // one stream's rings (stream_rings.cpp)
    struct Stream;  // one stream: its rings, its drain thread and what that needs

private:
    using Key = std::pair<ClientId, PinRef>;

    Kernel* kernel_ = nullptr;
    bool busy_poll_drain_ = false;
    std::atomic<std::uint64_t> busy_poll_drains_{0};
    mutable std::mutex mutex_;
    std::map<Key, std::shared_ptr<Stream>> streams_;
    std::set<ClientId> live_clients_;
};

}  // namespace ksim::daemon::server
