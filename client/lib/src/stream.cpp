// Stream::open (turning an open_stream grant into mappings and ring views) and the frame calls.
#include "ksim/client/stream.hpp"

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
        return fail(Errc::ProtocolError, "open_stream reply names descriptor " + std::to_string(index) + " for " +
                                             std::string(what) + " but " + std::to_string(fds.size()) +
                                             " arrived");
    return std::move(fds[index]);
}

Result<std::shared_ptr<MappedRegion>> map_region(detail::RegionCache& cache, const wire::RegionGrant& grant,
                                                 std::vector<shm::UniqueFd>& fds) {
    const auto access = grant.access == wire::Access::ReadWrite ? shm::Access::ReadWrite : shm::Access::ReadOnly;
    auto fd = take_fd(fds, grant.fd_index, "region " + std::to_string(grant.id));
    if (!fd) return std::unexpected(fd.error());
    if (auto cached = cache.find(grant.id, access)) return cached;  // its new descriptor closes here
    auto region = shm::Region::adopt(std::move(*fd), grant.size, access, static_cast<shm::RegionId>(grant.id));
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

}  // namespace

Result<std::unique_ptr<Stream>> Stream::open(std::shared_ptr<Connection> connection, const proto::PinRef& pin,
                                             Timeout timeout) {
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
    auto& cache = connection->state_->regions;
    for (const auto& g : grant->regions) {
        auto mapped = map_region(cache, g, reply->fds);
        if (!mapped) return std::unexpected(mapped.error());
        RegionFrames frames;
        frames.mapped = std::move(*mapped);
        if (g.frame_offsets.size() < grant->frames)
            return fail(Errc::ProtocolError, "open_stream for " + pin.to_string() + ": region " +
                                                 std::to_string(g.id) + " lists " +
                                                 std::to_string(g.frame_offsets.size()) + " frame offsets for " +
                                                 std::to_string(grant->frames) + " frames");
        frames.offsets = g.frame_offsets;
        core->writable = core->writable && frames.mapped->writable();
        core->regions.emplace(static_cast<std::uint32_t>(g.id), std::move(frames));
    }
    for (const auto& r : grant->rings) {
        auto share = ring_share(r, reply->fds);
        if (!share) return std::unexpected(share.error());
        if (r.direction == wire::RingDirection::FreeFrames) {
            auto consumer = shm::RingConsumer::attach(std::move(*share));
            if (!consumer) return std::unexpected(consumer.error());
            core->free_frames.emplace(std::move(*consumer));
            core->free_depth = std::max<std::uint32_t>(r.depth.value_or(1), 1);
        } else if (r.direction == wire::RingDirection::ToClient) {
            auto consumer = shm::RingConsumer::attach(std::move(*share));
            if (!consumer) return std::unexpected(consumer.error());
            consumer->set_spin_budget(detail::kConsumerSpin);
            core->incoming.emplace(std::move(*consumer));
        } else {
            auto producer = shm::RingProducer::attach(std::move(*share));
            if (!producer) return std::unexpected(producer.error());
            core->outgoing.emplace(std::move(*producer));
        }
    }
    return std::unique_ptr<Stream>(new Stream(std::move(core)));
}

Stream::~Stream() = default;

Result<FrameView> Stream::next_frame(Timeout timeout) {
    if (core_->writable) return fail(Errc::InvalidState, core_->pin.to_string() + " is a producer stream");
    shm::FrameDescriptor frame;
    proto::StreamHeader header;
    shm::PublishTime delivered_at{};
    if (core_->incoming) {
        auto entry = core_->incoming->pop(timeout, &delivered_at);
        if (!entry) {
            if (entry.error().code == Errc::Timeout && !core_->connection->connected())
                return std::unexpected(core_->connection->disconnect_reason());
            return std::unexpected(entry.error());
        }
        frame = entry->frame;
        header = shm::to_stream_header(*entry, core_->frame_size);
    } else {
        // Socket fallback: frame_ready events; other events are left for next_event() users.
        for (;;) {
            auto event = core_->connection->next_event(timeout);
            if (!event) return std::unexpected(event.error());
            if (event->type != wire::MessageType::FrameReady) continue;
            auto ready = wire::decode_body<wire::FrameReadyEvent>(event->body);
            if (!ready) return std::unexpected(ready.error());
            if (!(ready->pin == core_->pin)) continue;
            frame = detail::to_descriptor(ready->frame);
            header = ready->header;
            delivered_at = std::chrono::steady_clock::now();
            break;
        }
    }
    auto bytes = core_->readable(frame);
    if (!bytes) {
        (void)core_->give_back(frame);  // never hold a frame we cannot show
        return std::unexpected(bytes.error());
    }
    return StreamCore::make_view(core_, frame, *bytes, header, delivered_at);
}

Result<WritableFrame> Stream::acquire_frame(Timeout timeout) {
    if (!core_->writable) return fail(Errc::InvalidState, core_->pin.to_string() + " is a read-only stream");
    auto acquired = core_->acquire_waiting(timeout);
    if (!acquired) return std::unexpected(acquired.error());
    const shm::FrameDescriptor frame = *acquired;
    auto bytes = core_->writable_bytes(frame);
    if (!bytes) {
        (void)core_->give_back(frame);
        return std::unexpected(bytes.error());
    }
    return StreamCore::make_writable(core_, frame, *bytes);
}

const proto::PinRef& Stream::pin() const { return core_->pin; }
std::uint32_t Stream::frame_size() const { return core_->frame_size; }
std::uint32_t Stream::frames() const { return core_->frames; }
bool Stream::writable() const { return core_->writable; }
bool Stream::uses_rings() const { return core_->incoming.has_value() || core_->outgoing.has_value(); }
bool Stream::uses_free_frame_ring() const { return core_->free_frames.has_value(); }

}  // namespace ksim::client
