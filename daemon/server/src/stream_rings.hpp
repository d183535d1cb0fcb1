// The shared-memory descriptor rings of client-hosted pins' streams (the data path). For a
// client sink pin: a to_client ring carries completed frames to the client and a to_daemon ring
// carries them back (release). For a client source pin: a to_daemon ring carries submitted
// frames (the client acquires free frames over the socket). A to_daemon ring is drained by one
// thread per stream that calls the Kernel; kernel streaming threads push to to_client rings.
// Thread-safe; owned by DaemonApp.
#pragma once

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

class StreamRings {
public:
    StreamRings() = default;
    ~StreamRings();
    StreamRings(const StreamRings&) = delete;
    StreamRings& operator=(const StreamRings&) = delete;

    void set_kernel(Kernel* kernel) { kernel_ = kernel; }

    struct Share {
        wire::RingDirection direction;
        shm::RingShare share;
        std::uint32_t capacity;
    };
    // Creates the rings for `pin` hosted by `client` (replacing earlier ones) and returns the
    // descriptors to grant. `capacity` is rounded up to a power of two by shm.
    Result<std::vector<Share>> open(ClientId client, const PinKey& pin, proto::PinDirection direction,
                                    std::uint32_t capacity, std::uint32_t frame_size);

    enum class Push { Delivered, Full, NoRing };
    // Kernel -> client hand-off from a streaming thread.
    Push push(ClientId client, const PinKey& pin, const shm::FrameDescriptor& frame,
              const proto::StreamHeader& header);

    void client_connected(ClientId client);
    [[nodiscard]] bool client_live(ClientId client) const;
    // Stops the client's drain threads and drops its rings (before Kernel::client_gone).
    void close_client(ClientId client);
    void close_all();

private:
    struct Stream;
    using Key = std::pair<ClientId, PinKey>;

    Kernel* kernel_ = nullptr;
    mutable std::mutex mutex_;
    std::map<Key, std::shared_ptr<Stream>> streams_;
    std::set<ClientId> live_clients_;
};

}  // namespace ksim::daemon::server
