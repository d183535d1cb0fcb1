// Stream: the data path of one pin for this client. open() asks the daemon for the pin's frame
// regions and descriptor rings (open_stream), maps each region once per connection — read-only
// for a consumer, so a stray write faults — and attaches to the rings. From then on frames move
// as 64-byte ring entries carrying the frame's header (times, flags, KS_FRAME_INFO picture
// number and drop count): no frame bytes and no JSON per consumed frame on the socket.
//
//   consumer (a user-hosted sink):   auto f = stream->next_frame(100ms);  use f->bytes();
//                                    the frame goes back to its pool when `f` is destroyed.
//   producer (a user-hosted source): auto f = stream->acquire_frame(100ms);  fill f->bytes();
//                                    f->submit(bytes_used);  (destroying it unsubmitted returns it)
//
// When the daemon grants no rings for a pin, frames arrive as frame_ready events and go back as
// release_frame / submit_frame requests on the socket (slower, same API).
//
// Thread-safety: next_frame() and acquire_frame() must be called by one thread at a time (the
// rings are single-producer/single-consumer). Frame views may be released or submitted from any
// thread, and may outlive the Stream object (the mappings stay until the last view is gone).
//
// Across a lost session: a frame view belongs to the session (mappings, pool) it came from.
// Once that session ended — the daemon went away — its bytes stay mapped and readable until
// the view is destroyed (so code still reading them does not fault), but the frame is in no
// pool: release() and submit() return Disconnected and send nothing, and nothing it holds is
// ever handed to the new session. A stream opened by a reconnecting Client (client.hpp) resumes
// in next_frame() / acquire_frame(): they wait for the Client to reconnect, take the stream's
// new mappings and rings and then wait up to `timeout` for a frame of the new session; frames
// of the old session never reappear. frame_size() and frames() describe the current session.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>

#include "ksim/client/connection.hpp"
#include "ksim/proto/stream_header.hpp"
#include "ksim/proto/topology.hpp"
#include "ksim/shm/frame.hpp"
#include "ksim/shm/ring.hpp"

namespace ksim::client {

namespace detail {
struct StreamCore;  // shared by a Stream and its frame views (stream_core.hpp)
struct StreamSlot;  // where a reconnecting Client puts the stream's new core (client_session.hpp)
class ClientSession;
}  // namespace detail

class Client;

// A read-only frame delivered to a consumer. Move-only; returns the frame when destroyed.
class FrameView {
public:
    FrameView() = default;
    FrameView(FrameView&&) noexcept;
    FrameView& operator=(FrameView&&) noexcept;
    FrameView(const FrameView&) = delete;
    FrameView& operator=(const FrameView&) = delete;
    ~FrameView();

    // The valid bytes (header().data_used of them), straight from the shared region.
    [[nodiscard]] std::span<const std::byte> bytes() const { return bytes_; }
    [[nodiscard]] const proto::StreamHeader& header() const { return header_; }
    [[nodiscard]] const shm::FrameDescriptor& descriptor() const { return descriptor_; }
    [[nodiscard]] bool valid() const { return core_ != nullptr; }
    // When ksimd handed the frame to this stream (put it on its ring), on steady_clock, which on
    // Linux is one clock for all processes: `steady_clock::now() - delivered_at()` is how long
    // the frame took to reach the caller. Without rings: when the frame_ready event was read.
    [[nodiscard]] std::chrono::steady_clock::time_point delivered_at() const { return delivered_at_; }

    // Returns the frame now (the destructor does it otherwise, ignoring errors).
    Result<void> release();

private:
    friend struct detail::StreamCore;
    std::shared_ptr<detail::StreamCore> core_;
    std::span<const std::byte> bytes_;
    proto::StreamHeader header_{};
    shm::FrameDescriptor descriptor_{};
    std::chrono::steady_clock::time_point delivered_at_{};
    // When the caller got the view: the release tells ksimd, which counts published -> taken as
    // hand-off latency and taken -> released as hold time (STATISTICS).
    std::chrono::steady_clock::time_point taken_at_{};
};

// A writable frame of a user-hosted source. Move-only; fill bytes(), set header fields, submit().
// Destroyed without submit(), the frame is returned to its pool unused.
class WritableFrame {
public:
    WritableFrame() = default;
    WritableFrame(WritableFrame&&) noexcept;
    WritableFrame& operator=(WritableFrame&&) noexcept;
    WritableFrame(const WritableFrame&) = delete;
    WritableFrame& operator=(const WritableFrame&) = delete;
    ~WritableFrame();

    // The whole frame (the negotiated frame size).
    [[nodiscard]] std::span<std::byte> bytes() const { return bytes_; }
    // Sent with the frame; data_used and frame_extent are set by submit().
    [[nodiscard]] proto::StreamHeader& header() { return header_; }
    [[nodiscard]] const shm::FrameDescriptor& descriptor() const { return descriptor_; }
    [[nodiscard]] bool valid() const { return core_ != nullptr; }

    // Hands the first `data_used` bytes downstream. Errors: InvalidArgument (data_used larger
    // than the frame), InvalidState (already submitted), the daemon's error (StaleDescriptor...).
    Result<void> submit(std::uint32_t data_used);

private:
    friend struct detail::StreamCore;
    std::shared_ptr<detail::StreamCore> core_;
    std::span<std::byte> bytes_;
    proto::StreamHeader header_{};
    shm::FrameDescriptor descriptor_{};
};

// How a stream waits (Stream::open, Client::open_stream). The default suits most users.
struct StreamOptions {
    // Busy-poll: the stream's ring waits (next_frame, acquire_frame on the free-frame ring, a
    // submit or release that finds its ring full) poll the ring without ever sleeping, for users
    // who give a CPU to latency: a frame is seen within a cache miss of being published, with no
    // wake-up syscall on either side. The waiting thread keeps its CPU busy for the whole wait
    // (it yields it to other runnable threads every thousand looks); the wait still ends on its
    // timeout, and at once when the session ends (the daemon's socket closes) or the stream is
    // closed. Off by default: then a wait spins ~20 us (on 2+ CPUs) and sleeps. See
    // docs/memory.md, "Busy-poll mode".
    bool busy_poll = false;
};

class Stream {
public:
    // Sends open_stream for `pin`, adopts and maps the granted regions (reusing this
    // connection's mapping of a region already mapped) and attaches to the rings.
    // Errors: the daemon's (NotFound, NotCommitted, PermissionDenied...), ProtocolError when the
    // grant is inconsistent (missing descriptors, frames outside a region), Io (mmap).
    static Result<std::unique_ptr<Stream>> open(std::shared_ptr<Connection> connection,
                                                const proto::PinRef& pin, Timeout timeout = kDefaultTimeout);
    // The same, with `options` (how the stream waits).
    static Result<std::unique_ptr<Stream>> open(std::shared_ptr<Connection> connection,
                                                const proto::PinRef& pin, const StreamOptions& options,
                                                Timeout timeout = kDefaultTimeout);
    ~Stream();
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    // Consumer: the next completed frame. Errors: Timeout, Disconnected (with reconnect: once the
    // Client gave up), ProtocolError (corrupt ring or a descriptor outside the granted regions),
    // InvalidState (not a consumer stream).
    Result<FrameView> next_frame(Timeout timeout);

    // Producer: an empty frame to fill. While the pool is exhausted (every frame downstream) it
    // waits for one to come back, up to `timeout`, sleeping on the ring's wake-up (no polling;
    // the socket fallback without rings fails at once with NoMoreEntries). Errors: Timeout (no
    // free frame in time), InvalidState (not a writable stream), the daemon's errors.
    Result<WritableFrame> acquire_frame(Timeout timeout);

    [[nodiscard]] const proto::PinRef& pin() const;
    [[nodiscard]] std::uint32_t frame_size() const;
    [[nodiscard]] std::uint32_t frames() const;
    // True when the regions are mapped writable (a producer stream).
    [[nodiscard]] bool writable() const;
    // True when frames travel through shared-memory rings (false: socket fallback).
    [[nodiscard]] bool uses_rings() const;
    // True when a producer stream pops free frames from a ring the daemon keeps topped up
    // (false: each acquire_frame is a request on the socket, as with an older daemon).
    [[nodiscard]] bool uses_free_frame_ring() const;
    // The options it was opened with.
    [[nodiscard]] const StreamOptions& options() const;

    // The wake-up and sleep syscalls made so far on this stream's rings, by both ends (ksimd's
    // and this process's), as the rings count them (docs/memory.md); zero for a ring the
    // stream does not have. For benchmarks and diagnostics: ksimd can write the counters.
    struct RingSyscalls {
        shm::RingSyscalls to_client;    // completed frames (consumer) / unused (producer)
        shm::RingSyscalls to_daemon;    // released (consumer) or submitted (producer) frames
        shm::RingSyscalls free_frames;  // free frames posted to a producer
    };
    [[nodiscard]] RingSyscalls ring_syscalls() const;

private:
    friend class Client;  // opens streams that resume with it
    explicit Stream(std::shared_ptr<detail::StreamCore> core,
                    std::shared_ptr<detail::StreamSlot> slot = nullptr,
                    std::shared_ptr<detail::ClientSession> session = nullptr);
    // After a Disconnected: waits for the Client to resume the session and takes this stream's
    // core on the new connection. Errors: the Client's give-up.
    Result<void> resume();
    [[gnu::cold]] Result<FrameView> next_frame_after_loss(Timeout timeout);
    [[gnu::cold]] Result<WritableFrame> acquire_frame_after_loss(Timeout timeout);

    proto::PinRef pin_;
    std::shared_ptr<detail::StreamCore> core_;  // the current session's; swapped by resume()
    std::shared_ptr<detail::StreamSlot> slot_;  // null: the stream ends with its connection
    std::shared_ptr<detail::ClientSession> session_;
};

}  // namespace ksim::client
