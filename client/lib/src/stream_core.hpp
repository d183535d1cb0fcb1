// StreamCore: what a Stream and its frame views share — the connection, the mapped regions
// with the frame layout, and the two descriptor rings. Frame views hold a shared_ptr to it, so
// mappings outlive the Stream object while a view still points into them. Private to libksim.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "ksim/client/stream.hpp"
#include "ksim/shm/ring.hpp"
#include "ksim/wire/messages.hpp"
#include "region_cache.hpp"
#include "session_end.hpp"

namespace ksim::client::detail {

// How long next_frame checks its ring before it sleeps: a frame that the daemon hands on within
// this budget is seen without a wake-up (an eventfd write in ksimd and a sleep + wake here, a
// few microseconds each on a 2-CPU VM). Only with a second CPU to run the daemon meanwhile.
inline const std::chrono::nanoseconds kConsumerSpin = std::thread::hardware_concurrency() > 1
                                                          ? std::chrono::microseconds(20)
                                                          : std::chrono::microseconds(0);

// Where the frames of one granted region are: the byte offset of each frame by index, exactly as
// the daemon's allocator laid them out (open_stream's RegionGrant::frame_offsets), and the
// address each resolves to, worked out once at open_stream. Handing a frame out then reads one
// table entry: a viewer woken after 33 ms of sleep finds its caches cold, and every pointer
// chased between the wake-up and the frame costs it a miss.
struct RegionFrames {
    std::uint32_t id = 0;                  // the daemon's region id
    std::shared_ptr<MappedRegion> mapped;  // keeps the mapping alive
    std::vector<std::uint64_t> offsets;    // by frame index
    std::vector<const std::byte*> starts;  // by frame index; nullptr: the frame overruns the region
};

struct StreamCore {
    std::shared_ptr<Connection> connection;
    proto::PinRef pin;
    std::uint32_t frame_size = 0;
    std::uint32_t frames = 0;
    bool writable = false;
    StreamOptions options;              // as opened; a resumed stream is re-opened with them
    std::vector<RegionFrames> regions;  // as granted (a stream's frames come from one pool: one region)

    std::optional<shm::RingConsumer> incoming;  // to_client: completed (or free) frames
    std::optional<shm::RingProducer> outgoing;  // to_daemon: released / submitted frames
    std::mutex outgoing_mutex;                  // views may be released from any thread

    // Source streams whose daemon granted a free_frames ring: free frames, pre-acquired for us.
    std::optional<shm::RingConsumer> free_frames;
    std::uint32_t free_depth = 0;               // at most this many sit in the ring at once
    std::mutex free_mutex;                      // one acquirer pops at a time
    std::atomic<std::uint32_t> outstanding{0};  // frames acquired and not yet submitted/returned

    // Consumer: views handed out and not yet released, and the duration (100 ns units) of the
    // last frame seen. Only read when a session is lost, to tell how many frames the gap cost.
    std::atomic<std::uint32_t> held{0};
    std::atomic<std::int64_t> last_duration{0};
    // Frames of this stream that were in this client's hands or on its rings (see Gap).
    [[nodiscard]] std::uint64_t frames_in_flight() const;

    // Set (with every ring's cancel_waits) by the connection's reader thread when the session
    // ends: from then on every wait and frame call of this stream fails with the connection's
    // disconnect_reason() at once, instead of waiting for frames that will never come.
    std::atomic<bool> session_ended{false};
    void cancel_waits();
    // The connection's disconnect_reason() (kept out of the hot path).
    [[gnu::cold]] std::unexpected<Error> session_end_error() const;
    // `e`, or the connection's reason when `e` is a wait that cancel_waits() ended.
    [[gnu::cold]] std::unexpected<Error> or_session_end(Error e) const;

    // Last member: the hook goes before the rings it cancels (see SessionEndHooks::Subscription).
    SessionEndHooks::Subscription on_session_end;

    // Bytes of `frame` (at most frame_size); ProtocolError for a descriptor outside the grant.
    Result<std::span<const std::byte>> readable(const shm::FrameDescriptor& frame) const;
    Result<std::span<std::byte>> writable_bytes(const shm::FrameDescriptor& frame) const;

    // Gives a frame back unused (consumer release, or a producer's unsubmitted frame). A
    // consumer's release says when the frame was published to it and when it took it.
    Result<void> give_back(const shm::FrameDescriptor& frame, const shm::ReleaseStamps& stamps = {});
    // A free frame of a producer stream. With a free_frames ring: pops it, waiting on the ring's
    // wake-up up to `timeout`; only a client already holding `free_depth` frames or more asks
    // the daemon (the ring is topped up when frames come back, and those it holds are out).
    // Without one: asks the daemon (acquire_frame on the socket) and, while
    // the pool is exhausted, sleeps on the to_daemon ring's space wake-up, which the daemon
    // also rings when a frame goes back to this pin's pool. Errors: Timeout, the daemon's.
    Result<shm::FrameDescriptor> acquire_waiting(Timeout timeout);
    // Hands a filled frame downstream.
    Result<void> submit(const shm::FrameDescriptor& frame, const proto::StreamHeader& header);

    // Fills a view (friend access) — used by Stream.
    static FrameView make_view(std::shared_ptr<StreamCore> core, const shm::FrameDescriptor& frame,
                               std::span<const std::byte> bytes, const proto::StreamHeader& header,
                               std::chrono::steady_clock::time_point delivered_at);
    static WritableFrame make_writable(std::shared_ptr<StreamCore> core, const shm::FrameDescriptor& frame,
                                       std::span<std::byte> bytes);

private:
    Result<shm::FrameDescriptor> acquire_from_ring(Timeout timeout);
    Result<shm::FrameDescriptor> ask_daemon(std::chrono::milliseconds timeout);
    // The region of a granted frame, its index checked; ProtocolError otherwise.
    Result<const RegionFrames*> locate(const shm::FrameDescriptor& frame) const;
    // Why readable() refused `frame` (kept out of its hot path).
    [[gnu::cold]] Result<std::span<const std::byte>> unreadable(const shm::FrameDescriptor& frame) const;
};

// Sends open_stream for `pin` on `connection`, maps the granted regions (reusing the
// connection's mapping of a region it already mapped) and attaches to the rings. Errors as
// Stream::open.
Result<std::shared_ptr<StreamCore>> open_stream_core(std::shared_ptr<Connection> connection,
                                                     const proto::PinRef& pin, Timeout timeout,
                                                     const StreamOptions& options = {});

}  // namespace ksim::client::detail
