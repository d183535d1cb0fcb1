#include "stream_core.hpp"

#include <algorithm>
#include <chrono>

#include "ksim/wire/envelope.hpp"

namespace ksim::client::detail {

void StreamCore::cancel_waits() {
    session_ended.store(true, std::memory_order_seq_cst);
    if (incoming) incoming->cancel_waits();
    if (outgoing) outgoing->cancel_waits();
    if (free_frames) free_frames->cancel_waits();
}

std::unexpected<Error> StreamCore::session_end_error() const {
    return std::unexpected(connection->disconnect_reason());
}

std::unexpected<Error> StreamCore::or_session_end(Error e) const {
    if (e.code == Errc::Disconnected && session_ended.load()) return session_end_error();
    return std::unexpected(std::move(e));
}

Result<const RegionFrames*> StreamCore::locate(const shm::FrameDescriptor& frame) const {
    const auto r = std::ranges::find(regions, frame.region, &RegionFrames::id);
    if (r == regions.end())
        return fail(Errc::ProtocolError, "frame in region " + std::to_string(frame.region) +
                                             ", which was not granted to stream " + pin.to_string());
    // open_stream checked that every region lists an offset (and a start) for each of `frames`.
    if (frame.index >= frames)
        return fail(Errc::ProtocolError, "frame index " + std::to_string(frame.index) + " of " +
                                             pin.to_string() + " is outside 0.." +
                                             std::to_string(frames - 1));
    return &*r;
}

// [[gnu::hot]] marks what every frame runs, so that it shares a few pages with the rest of the
// hand-off's code (docs/memory.md, "Code on the hot path").
[[gnu::hot]] Result<std::span<const std::byte>> StreamCore::readable(
    const shm::FrameDescriptor& frame) const {
    for (const RegionFrames& r : regions) {
        if (r.id != frame.region) continue;
        if (frame.index < frames) [[likely]] {
            if (const std::byte* start = r.starts[frame.index]) [[likely]]
                return std::span(start, frame_size);
        }
        break;
    }
    return unreadable(frame);
}

Result<std::span<const std::byte>> StreamCore::unreadable(const shm::FrameDescriptor& frame) const {
    auto r = locate(frame);
    if (!r) return std::unexpected(r.error());
    return fail(Errc::ProtocolError, "frame " + std::to_string(frame.index) + " at offset " +
                                         std::to_string((*r)->offsets[frame.index]) +
                                         " lies outside region " + std::to_string(frame.region));
}

Result<std::span<std::byte>> StreamCore::writable_bytes(const shm::FrameDescriptor& frame) const {
    auto r = locate(frame);
    if (!r) return std::unexpected(r.error());
    if (!(*r)->mapped->writable())
        return fail(Errc::PermissionDenied,
                    "region " + std::to_string(frame.region) + " is mapped read-only");
    auto bytes = (*r)->mapped->write_slice((*r)->offsets[frame.index], frame_size);
    if (bytes.empty())
        return fail(Errc::ProtocolError, "frame " + std::to_string(frame.index) + " lies outside region " +
                                             std::to_string(frame.region));
    return bytes;
}

std::uint64_t StreamCore::frames_in_flight() const {
    if (writable)  // being filled, or submitted and not yet taken by the daemon
        return outstanding.load() + (outgoing ? outgoing->size() : 0);
    return held.load() + (incoming ? incoming->size() : 0);
}

[[gnu::hot]] Result<void> StreamCore::give_back(const shm::FrameDescriptor& frame,
                                                const shm::ReleaseStamps& stamps) {
    if (writable && outstanding.load() > 0) --outstanding;  // a producer's unsubmitted frame
    // The pool of a daemon that is gone takes nothing back (a reconnected client has new pools).
    if (session_ended.load(std::memory_order_relaxed)) [[unlikely]]
        return session_end_error();
    // A producer's to_daemon ring carries submissions only: an unused frame goes back on the socket.
    if (outgoing && !writable) {
        std::lock_guard lock(outgoing_mutex);
        // Lazy release (docs/memory.md): quietly, ksimd takes it when it needs it - unless this
        // one puts half the pool on the ring, when whoever fills the pool may run short: then
        // ksimd is woken. The ring holds more entries than the pool has frames: it never waits.
        const bool pool_short = outgoing->size() + 1 >= std::max<std::uint32_t>(1, frames / 2);
        if (outgoing->push(shm::to_release_entry(frame, stamps), kDefaultTimeout,
                           pool_short ? shm::Publish::Wake : shm::Publish::Quietly))
            return {};
    }
    wire::ReleaseFrameRequest release{wire::to_frame_ref(frame)};
    if (stamps.taken != shm::PublishTime{})
        release.taken_ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(stamps.taken.time_since_epoch()).count();
    auto reply = connection->call(wire::MessageType::ReleaseFrame, nlohmann::json(release));
    if (!reply) return std::unexpected(reply.error());
    return {};
}

Result<shm::FrameDescriptor> StreamCore::ask_daemon(std::chrono::milliseconds timeout) {
    auto reply =
        connection->call(wire::MessageType::AcquireFrame, nlohmann::json(wire::AcquireFrameRequest{pin}),
                         std::max(timeout, std::chrono::milliseconds(1)));
    if (!reply) return std::unexpected(reply.error());
    auto acquired = wire::decode_body<wire::AcquireFrameReply>(*reply);
    if (!acquired) return std::unexpected(acquired.error());
    return wire::to_descriptor(acquired->frame);
}

Result<shm::FrameDescriptor> StreamCore::acquire_from_ring(Timeout timeout) {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + timeout;
    std::lock_guard lock(free_mutex);
    for (;;) {
        if (session_ended.load()) return session_end_error();
        if (auto entry = free_frames->try_pop()) {
            ++outstanding;
            return entry->frame;
        }
        if (free_frames->corrupted())
            return fail(Errc::ProtocolError, "the free-frame ring of " + pin.to_string() + " is corrupt");
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        if (outstanding.load() >= free_depth) {
            // We hold at least as many frames as the ring ever holds, so an empty ring says
            // nothing about the pool: ask. NoMoreEntries means the pool is exhausted, and its
            // next free frame is posted to the (empty) ring, so waiting there is right.
            auto frame = ask_daemon(left);
            if (frame) {
                ++outstanding;
                return frame;
            }
            if (frame.error().code != Errc::NoMoreEntries) return frame;
            left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        }
        // Fewer in hand than the depth: every frame we took since the ring was last topped up and
        // no longer hold went back (submitted or returned), and that makes the daemon top it up;
        // if the pool was exhausted then, its next free frame comes here.
        auto waited = left.count() > 0 ? free_frames->wait_for_data(left)
                                       : Result<void>(fail(Errc::Timeout, "deadline passed"));
        if (!waited) {
            if (waited.error().code != Errc::Timeout) return or_session_end(waited.error());
            return fail(Errc::Timeout, "no free frame in the pool of " + pin.to_string() + " (" +
                                           std::to_string(frames) + " frames, " +
                                           std::to_string(outstanding.load()) +
                                           " held by this client, the rest downstream) within " +
                                           std::to_string(timeout.count()) + " ms");
        }
    }
}

Result<shm::FrameDescriptor> StreamCore::acquire_waiting(Timeout timeout) {
    if (session_ended.load()) return session_end_error();
    if (free_frames) return acquire_from_ring(timeout);
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + timeout;
    auto ask = [&]() {
        return ask_daemon(std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()));
    };
    for (;;) {
        auto frame = ask();
        if (frame || frame.error().code != Errc::NoMoreEntries || !outgoing) return frame;
        // Exhausted. Raise the waiting flag, then ask once more: a frame freed after the
        // refusal either shows up in that answer or finds the flag raised and rings us.
        std::unique_lock lock(outgoing_mutex);
        (void)outgoing->arm_wait();
        lock.unlock();
        frame = ask();
        if (frame || frame.error().code != Errc::NoMoreEntries) {
            lock.lock();
            outgoing->disarm_wait();
            return frame;
        }
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        auto woke = left.count() > 0 ? outgoing->sleep_until_signalled(left)
                                     : Result<void>(fail(Errc::Timeout, "deadline passed"));
        lock.lock();
        outgoing->disarm_wait();
        lock.unlock();
        if (!woke) {
            if (woke.error().code != Errc::Timeout) return or_session_end(woke.error());
            return fail(Errc::Timeout, "no free frame in the pool of " + pin.to_string() + " (" +
                                           std::to_string(frames) + " frames, all held downstream) within " +
                                           std::to_string(timeout.count()) + " ms");
        }
    }
}

Result<void> StreamCore::submit(const shm::FrameDescriptor& frame, const proto::StreamHeader& header) {
    if (outstanding.load() > 0) --outstanding;
    if (session_ended.load()) return session_end_error();
    if (outgoing) {
        const shm::RingEntry entry = shm::to_ring_entry(frame, header);
        std::lock_guard lock(outgoing_mutex);
        if (auto pushed = outgoing->push(entry, kDefaultTimeout); !pushed)
            return or_session_end(pushed.error());
        return {};
    }
    auto reply =
        connection->call(wire::MessageType::SubmitFrame,
                         nlohmann::json(wire::SubmitFrameRequest{pin, wire::to_frame_ref(frame), header}));
    if (!reply) return std::unexpected(reply.error());
    return {};
}

[[gnu::hot]] FrameView StreamCore::make_view(std::shared_ptr<StreamCore> core,
                                             const shm::FrameDescriptor& frame,
                                             std::span<const std::byte> bytes,
                                             const proto::StreamHeader& header,
                                             std::chrono::steady_clock::time_point delivered_at) {
    core->held.fetch_add(1, std::memory_order_relaxed);
    core->last_duration.store(header.duration, std::memory_order_relaxed);
    FrameView view;
    view.core_ = std::move(core);
    view.descriptor_ = frame;
    view.header_ = header;
    view.delivered_at_ = delivered_at;
    view.taken_at_ = std::chrono::steady_clock::now();
    view.bytes_ = bytes.first(std::min<std::size_t>(header.data_used, bytes.size()));
    return view;
}

WritableFrame StreamCore::make_writable(std::shared_ptr<StreamCore> core, const shm::FrameDescriptor& frame,
                                        std::span<std::byte> bytes) {
    WritableFrame w;
    w.core_ = std::move(core);
    w.descriptor_ = frame;
    w.bytes_ = bytes;
    w.header_.frame_extent = static_cast<std::uint32_t>(bytes.size());
    return w;
}

}  // namespace ksim::client::detail

namespace ksim::client {

[[gnu::hot]] FrameView::FrameView(FrameView&& other) noexcept
    : core_(std::move(other.core_)),
      bytes_(other.bytes_),
      header_(other.header_),
      descriptor_(other.descriptor_),
      delivered_at_(other.delivered_at_),
      taken_at_(other.taken_at_) {}

FrameView& FrameView::operator=(FrameView&& other) noexcept {
    if (this != &other) {
        (void)release();
        core_ = std::move(other.core_);
        bytes_ = other.bytes_;
        header_ = other.header_;
        descriptor_ = other.descriptor_;
        delivered_at_ = other.delivered_at_;
        taken_at_ = other.taken_at_;
    }
    return *this;
}

[[gnu::hot]] FrameView::~FrameView() {
    (void)release();
}

[[gnu::hot]] Result<void> FrameView::release() {
    if (!core_) return {};
    auto core = std::move(core_);
    core_.reset();
    bytes_ = {};
    core->held.fetch_sub(1, std::memory_order_relaxed);
    return core->give_back(descriptor_, {delivered_at_, taken_at_});
}

WritableFrame::WritableFrame(WritableFrame&& other) noexcept
    : core_(std::move(other.core_)),
      bytes_(other.bytes_),
      header_(other.header_),
      descriptor_(other.descriptor_) {}

WritableFrame& WritableFrame::operator=(WritableFrame&& other) noexcept {
    if (this != &other) {
        if (core_) (void)core_->give_back(descriptor_);
        core_ = std::move(other.core_);
        bytes_ = other.bytes_;
        header_ = other.header_;
        descriptor_ = other.descriptor_;
    }
    return *this;
}

WritableFrame::~WritableFrame() {
    if (core_) (void)core_->give_back(descriptor_);
}

Result<void> WritableFrame::submit(std::uint32_t data_used) {
    if (!core_) return fail(Errc::InvalidState, "frame already submitted or returned");
    if (data_used > bytes_.size())
        return fail(Errc::InvalidArgument, "data_used " + std::to_string(data_used) +
                                               " exceeds the frame size " + std::to_string(bytes_.size()));
    header_.data_used = data_used;
    header_.frame_extent = static_cast<std::uint32_t>(bytes_.size());
    auto core = std::move(core_);
    core_.reset();
    bytes_ = {};
    return core->submit(descriptor_, header_);
}

}  // namespace ksim::client
