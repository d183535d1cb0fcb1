// Stream::open (turning an open_stream grant into mappings and ring views), the frame calls, and
// how a stream of a reconnecting Client resumes on the new session.
#include "ksim/client/stream.hpp"

#include "client_session.hpp"
#include "connection_state.hpp"
#include "ksim/wire/envelope.hpp"
#include "stream_core.hpp"

namespace ksim::client {
namespace {

using detail::MappedRegion;
using detail::RegionFrames;
using detail::StreamCore;

Result<shm::UniqueFd> take_fd(std::vector<shm::UniqueFd>& fds, std::uint32_t index, std::string_view what) {
    if (index >= fds.size() || !fds[index])
        return fail(Errc::ProtocolError, "open_stream reply names descriptor " + std::to_string(index) +
                                             " for " + std::string(what) + " but " +
                                             std::to_string(fds.size()) + " arrived");
    return std::move(fds[index]);
}

Result<std::shared_ptr<MappedRegion>> map_region(detail::RegionCache& cache, const wire::RegionGrant& grant,
                                                 std::vector<shm::UniqueFd>& fds) {
    const shm::Access access = grant.access;
    auto fd = take_fd(fds, grant.fd_index, "region " + std::to_string(grant.id));
    if (!fd) return std::unexpected(fd.error());
    if (auto cached = cache.find(grant.id, access)) return cached;  // its new descriptor closes here
    auto region =
        shm::Region::adopt(std::move(*fd), grant.size, access, static_cast<shm::RegionId>(grant.id));
    if (!region) return std::unexpected(region.error());
    std::shared_ptr<MappedRegion> mapped;
    if (access == shm::Access::ReadWrite) {
        auto m = shm::WritableMapping::map(*region);
        if (!m) return std::unexpected(m.error());
        mapped = std::make_shared<MappedRegion>(std::move(*region), std::move(*m));
    } else {
        auto m = shm::ReadOnlyMapping::map(*region);
        if (!m) return std::unexpected(m.error());
        mapped = std::make_shared<MappedRegion>(std::move(*region), std::move(*m));
    }
    return cache.insert(grant.id, access, std::move(mapped));
}

Result<shm::RingShare> ring_share(const wire::RingGrant& grant, std::vector<shm::UniqueFd>& fds) {
    shm::RingShare share;
    share.size = grant.size;
    auto memory = take_fd(fds, grant.fd_index, "ring memory");
    if (!memory) return std::unexpected(memory.error());
    share.memory = std::move(*memory);
    if (!grant.wake_fd_index || !grant.peer_wake_fd_index)
        return fail(Errc::ProtocolError, "ring grant without its two wake-up descriptors");
    auto data_ready = take_fd(fds, *grant.wake_fd_index, "ring data wake-up");
    if (!data_ready) return std::unexpected(data_ready.error());
    auto space_ready = take_fd(fds, *grant.peer_wake_fd_index, "ring space wake-up");
    if (!space_ready) return std::unexpected(space_ready.error());
    share.data_ready = std::move(*data_ready);
    share.space_ready = std::move(*space_ready);
    return share;
}

// Resolves each frame's offset to its address in the mapping, once; an offset whose frame would
// overrun the region gets none, and handing that frame out fails (ProtocolError).
RegionFrames frame_table(std::uint32_t id, std::shared_ptr<MappedRegion> mapped,
                         const std::vector<std::uint64_t>& offsets, std::uint32_t frames,
                         std::uint32_t frame_size) {
    RegionFrames table;
    table.id = id;
    table.offsets.assign(offsets.begin(), offsets.begin() + frames);
    table.starts.reserve(frames);
    for (const std::uint64_t offset : table.offsets) {
        const auto bytes = mapped->read_slice(offset, frame_size);
        table.starts.push_back(bytes.empty() ? nullptr : bytes.data());
    }
    table.mapped = std::move(mapped);
    return table;
}

// The view of a frame handed to this consumer, or why it cannot be shown (the frame then goes
// straight back: a client never holds a frame it cannot show).
[[gnu::hot]] Result<FrameView> view_or_give_back(const std::shared_ptr<StreamCore>& core,
                                                 const shm::FrameDescriptor& frame,
                                                 const proto::StreamHeader& header,
                                                 shm::PublishTime delivered_at) {
    auto bytes = core->readable(frame);
    if (!bytes) [[unlikely]] {
        (void)core->give_back(frame);
        return std::unexpected(bytes.error());
    }
    return StreamCore::make_view(core, frame, *bytes, header, delivered_at);
}

// next_frame off its fast path: a producer stream (an error), or a stream without rings, whose
// frames arrive as frame_ready events on the socket; other events are left for next_event().
[[gnu::cold]] Result<FrameView> next_frame_slow(const std::shared_ptr<StreamCore>& core, Timeout timeout) {
    if (core->writable) return fail(Errc::InvalidState, core->pin.to_string() + " is a producer stream");
    for (;;) {
        auto event = core->connection->next_event(timeout);
        if (!event) return std::unexpected(event.error());
        if (event->type != wire::MessageType::FrameReady) continue;
        auto ready = wire::decode_body<wire::FrameReadyEvent>(event->body);
        if (!ready) return std::unexpected(ready.error());
        if (!(ready->pin == core->pin)) continue;
        return view_or_give_back(core, wire::to_descriptor(ready->frame), ready->header,
                                 std::chrono::steady_clock::now());
    }
}

}  // namespace

namespace detail {

Result<std::shared_ptr<StreamCore>> open_stream_core(std::shared_ptr<Connection> connection,
                                                     const proto::PinRef& pin, Timeout timeout,
                                                     const StreamOptions& options) {
    auto reply = connection->request(wire::MessageType::OpenStream,
                                     nlohmann::json(wire::OpenStreamRequest{pin, true}), timeout);
    if (!reply) return std::unexpected(reply.error());
    auto grant = wire::decode_body<wire::OpenStreamReply>(reply->body);
    if (!grant) return std::unexpected(grant.error());
    if (grant->frames == 0 || grant->frame_size == 0 || grant->regions.empty())
        return fail(Errc::ProtocolError, "open_stream for " + pin.to_string() + " granted no frames");

    auto core = std::make_shared<StreamCore>();
    core->connection = connection;
    core->pin = pin;
    core->frame_size = grant->frame_size;
    core->frames = grant->frames;
    core->writable = true;
    core->options = options;
    auto& state = ConnectionAccess::state(*connection);
    auto& cache = state.regions;
    for (const auto& g : grant->regions) {
        auto mapped = map_region(cache, g, reply->fds);
        if (!mapped) return std::unexpected(mapped.error());
        if (g.frame_offsets.size() < grant->frames)
            return fail(Errc::ProtocolError,
                        "open_stream for " + pin.to_string() + ": region " + std::to_string(g.id) +
                            " lists " + std::to_string(g.frame_offsets.size()) + " frame offsets for " +
                            std::to_string(grant->frames) + " frames");
        core->regions.push_back(frame_table(static_cast<std::uint32_t>(g.id), std::move(*mapped),
                                            g.frame_offsets, grant->frames, grant->frame_size));
        core->writable = core->writable && core->regions.back().mapped->writable();
    }
    for (const auto& r : grant->rings) {
        auto share = ring_share(r, reply->fds);
        if (!share) return std::unexpected(share.error());
        if (r.direction == wire::RingDirection::FreeFrames) {
            auto consumer = shm::RingConsumer::attach(std::move(*share));
            if (!consumer) return std::unexpected(consumer.error());
            if (options.busy_poll) consumer->set_spin_budget(shm::kSpinForever);
            core->free_frames.emplace(std::move(*consumer));
            core->free_depth = std::max<std::uint32_t>(r.depth.value_or(1), 1);
        } else if (r.direction == wire::RingDirection::ToClient) {
            auto consumer = shm::RingConsumer::attach(std::move(*share));
            if (!consumer) return std::unexpected(consumer.error());
            consumer->set_spin_budget(options.busy_poll ? shm::kSpinForever : detail::kConsumerSpin);
            core->incoming.emplace(std::move(*consumer));
        } else {
            auto producer = shm::RingProducer::attach(std::move(*share));
            if (!producer) return std::unexpected(producer.error());
            if (options.busy_poll) producer->set_spin_budget(shm::kSpinForever);
            core->outgoing.emplace(std::move(*producer));
        }
    }
    // From here on the end of the session (EOF, error, close()) wakes this stream's waits; a
    // session that already ended cancels them at once.
    core->on_session_end =
        SessionEndHooks::Subscription(state.end_hooks, [raw = core.get()] { raw->cancel_waits(); });
    return core;
}

}  // namespace detail

namespace {

[[gnu::hot]] Result<FrameView> receive(const std::shared_ptr<StreamCore>& core, Timeout timeout) {
    if (!core->incoming || core->writable) [[unlikely]]
        return next_frame_slow(core, timeout);
    // Frames still on the ring of a daemon that is gone are not handed out.
    if (core->session_ended.load(std::memory_order_relaxed)) [[unlikely]]
        return core->session_end_error();
    shm::PublishTime delivered_at{};
    auto entry = core->incoming->pop(timeout, &delivered_at);
    if (!entry) [[unlikely]]
        return core->or_session_end(entry.error());
    return view_or_give_back(core, entry->frame, shm::to_stream_header(*entry, core->frame_size),
                             delivered_at);
}

Result<WritableFrame> acquire(const std::shared_ptr<StreamCore>& core, Timeout timeout) {
    if (!core->writable) return fail(Errc::InvalidState, core->pin.to_string() + " is a read-only stream");
    auto acquired = core->acquire_waiting(timeout);
    if (!acquired) return std::unexpected(acquired.error());
    const shm::FrameDescriptor frame = *acquired;
    auto bytes = core->writable_bytes(frame);
    if (!bytes) {
        (void)core->give_back(frame);
        return std::unexpected(bytes.error());
    }
    return StreamCore::make_writable(core, frame, *bytes);
}

bool lost(const Error& e) {
    return e.code == Errc::Disconnected;
}

}  // namespace

Result<std::unique_ptr<Stream>> Stream::open(std::shared_ptr<Connection> connection, const proto::PinRef& pin,
                                             Timeout timeout) {
    return open(std::move(connection), pin, StreamOptions{}, timeout);
}

Result<std::unique_ptr<Stream>> Stream::open(std::shared_ptr<Connection> connection, const proto::PinRef& pin,
                                             const StreamOptions& options, Timeout timeout) {
    auto core = detail::open_stream_core(std::move(connection), pin, timeout, options);
    if (!core) return std::unexpected(core.error());
    return std::unique_ptr<Stream>(new Stream(std::move(*core)));
}

Stream::Stream(std::shared_ptr<detail::StreamCore> core, std::shared_ptr<detail::StreamSlot> slot,
               std::shared_ptr<detail::ClientSession> session)
    : pin_(core->pin), core_(std::move(core)), slot_(std::move(slot)), session_(std::move(session)) {}

Stream::~Stream() = default;

Result<void> Stream::resume() {
    for (;;) {
        auto current = session_->connection();
        if (core_->connection == current) {
            // Our connection is still the current one: the session has to be resumed first.
            if (auto r = session_->recover(current.get()); !r) return r;
            continue;
        }
        Result<void> reopened;
        {
            std::lock_guard lock(slot_->mutex);
            if (slot_->core->connection != current) {
                // Opened while the session was being resumed, too late for the recovery to see it.
                auto core = detail::open_stream_core(current, pin_, kDefaultTimeout, slot_->options);
                if (core)
                    slot_->core = std::move(*core);
                else
                    reopened = std::unexpected(core.error());
            }
            if (reopened) {
                core_ = slot_->core;
                return {};
            }
        }
        if (!lost(reopened.error())) return reopened;
        // The new session was lost too: resume it in turn (or learn that the Client gave up).
        if (auto r = session_->recover(current.get()); !r) return r;
    }
}

Result<FrameView> Stream::next_frame_after_loss(Timeout timeout) {
    for (;;) {
        if (auto r = resume(); !r) return std::unexpected(r.error());
        auto frame = receive(core_, timeout);
        if (frame || !lost(frame.error())) return frame;
    }
}

Result<WritableFrame> Stream::acquire_frame_after_loss(Timeout timeout) {
    for (;;) {
        if (auto r = resume(); !r) return std::unexpected(r.error());
        auto frame = acquire(core_, timeout);
        if (frame || !lost(frame.error())) return frame;
    }
}

// The hand-off's hot path: after a sleep of a frame period the caches are cold, so everything
// that is not the usual case (errors, the socket fallback) lives out of line, and these
// functions sit together in .text.hot (see docs/memory.md, "Code on the hot path").
[[gnu::hot]] Result<FrameView> Stream::next_frame(Timeout timeout) {
    auto frame = receive(core_, timeout);
    if (frame || !slot_ || !lost(frame.error())) [[likely]]
        return frame;
    return next_frame_after_loss(timeout);
}

Result<WritableFrame> Stream::acquire_frame(Timeout timeout) {
    auto frame = acquire(core_, timeout);
    if (frame || !slot_ || !lost(frame.error())) return frame;
    return acquire_frame_after_loss(timeout);
}

const proto::PinRef& Stream::pin() const {
    return pin_;
}
std::uint32_t Stream::frame_size() const {
    return core_->frame_size;
}
std::uint32_t Stream::frames() const {
    return core_->frames;
}
bool Stream::writable() const {
    return core_->writable;
}
bool Stream::uses_rings() const {
    return core_->incoming.has_value() || core_->outgoing.has_value();
}
bool Stream::uses_free_frame_ring() const {
    return core_->free_frames.has_value();
}
const StreamOptions& Stream::options() const {
    return core_->options;
}
Stream::RingSyscalls Stream::ring_syscalls() const {
    const detail::StreamCore& core = *core_;
    RingSyscalls counts;
    if (core.incoming) counts.to_client = core.incoming->syscalls();
    if (core.outgoing) counts.to_daemon = core.outgoing->syscalls();
    if (core.free_frames) counts.free_frames = core.free_frames->syscalls();
    return counts;
}

}  // namespace ksim::client
