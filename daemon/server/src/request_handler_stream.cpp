// Graph building, states, commit and the stream requests (open_stream and the socket slow path
// for frames).
#include <algorithm>

#include "ksim/proto/assert.hpp"
#include "ksim/shm/fd_passing.hpp"
#include "logging.hpp"
#include "request_handler.hpp"
#include "stream_rings.hpp"

namespace ksim::daemon::server {

using nlohmann::json;

namespace {
// How many free frames sit pre-acquired in a source's free_frames ring: enough that a producer
// never waits on the daemon in steady state, few enough that the pool always keeps at least one
// frame that is not pre-acquired (frames - 1), and never more than 4 (a producer that wants more
// in hand at once asks with acquire_frame).
std::uint32_t free_frame_depth(std::uint32_t frames) {
    return frames <= 2 ? 1 : std::min<std::uint32_t>(frames - 1, 4);
}
}  // namespace

Result<Body> RequestHandler::on_create_pin(SessionContext& session, const json& message) {
    auto request = wire::decode_body<wire::CreatePinRequest>(message);
    if (!request) return std::unexpected(request.error());
    if (session.pins_created >= caps_.max_pins)
        return fail(Errc::TooLarge, session.name() + " has created " + std::to_string(session.pins_created) +
                                        " pins, the most one client may (max_pins_per_client " +
                                        std::to_string(caps_.max_pins) + ")");
    const std::size_t items = request->framing ? request->framing->items.size() : 0;
    if (items > kMaxFramingItemsPerPin)
        return fail(Errc::TooLarge,
                    "the framing of pin '" + loggable(request->id) + "' has " + std::to_string(items) +
                        " items; a pin may have at most " + std::to_string(kMaxFramingItemsPerPin) +
                        " (max_framing_items_per_pin " + std::to_string(kMaxFramingItemsPerPin) + ")");
    const std::size_t framing_bytes = request->framing ? request->framing->ks_size() : 0;
    if (session.framing_bytes + framing_bytes > caps_.max_framing_bytes)
        return fail(Errc::TooLarge, session.name() + " holds " + std::to_string(session.framing_bytes) +
                                        " bytes of framing in the pins it created; pin '" +
                                        loggable(request->id) + "' (" + std::to_string(items) + " items, " +
                                        std::to_string(framing_bytes) + " bytes) would take it over the " +
                                        std::to_string(caps_.max_framing_bytes) +
                                        " bytes one client may hold (max_framing_bytes_per_client " +
                                        std::to_string(caps_.max_framing_bytes) + ")");
    proto::PinDescriptor pin;
    pin.id = request->id;
    pin.direction = request->direction;
    pin.hosting = proto::PinHosting::User;
    pin.framing = request->framing;
    pin.pointer = "create_pin from " + session.name();
    auto key = kernel_.create_user_pin(session.client_id, pin, request->filter);
    if (!key) return std::unexpected(key.error());
    ++session.pins_created;
    session.framing_bytes += framing_bytes;
    logger("session")->info("{}: hosts pin {}", session.name(), loggable(key->to_string()));
    return Body{json(wire::CreatePinReply{*key}), {}};
}

Result<Body> RequestHandler::on_connect(const SessionContext& session, const json& message) {
    auto request = wire::decode_body<wire::ConnectRequest>(message);
    if (!request) return std::unexpected(request.error());
    if (auto r = kernel_.connect(session.client_id, request->from, request->to); !r)
        return std::unexpected(r.error());
    // The graph manager negotiates new connections when it hears of them, instead of polling.
    Body body;
    body.events.push_back({wire::MessageType::ConnectionChanged,
                           wire::make_event(wire::ConnectionChangedEvent{request->from, request->to, true,
                                                                         "connected by " + session.name()})});
    return body;
}

Result<Body> RequestHandler::on_set_state(const SessionContext& session, const json& message) {
    auto request = wire::decode_body<wire::SetStateRequest>(message);
    if (!request) return std::unexpected(request.error());
    PinRef key = request->pin;
    // The graph manager and operators act for the whole graph: they may change any pin and never
    // hold one (docs/protocol.md, "Handshake and roles").
    const bool privileged = session.role == wire::Role::GraphManager || session.role == wire::Role::Operator;
    if (auto r = kernel_.set_state(key, request->state,
                                   StateRequester{session.client_id, session.client_name, privileged});
        !r)
        return std::unexpected(r.error());
    auto pin = kernel_.pin(key);
    if (!pin) return std::unexpected(pin.error());
    return Body{json(wire::SetStateReply{request->pin, pin->state}), {}};
}

Result<Body> RequestHandler::on_commit(const json& message) {
    auto request = wire::decode_body<wire::CommitRequest>(message);
    if (!request) return std::unexpected(request.error());
    AllocatorCommit commit;
    for (const auto& [from, to] : request->connections) commit.connections.emplace_back(from, to);
    const auto& d = request->decision;
    commit.kind = d.kind;
    commit.provider = d.provider;
    commit.memory_type = d.memory_type;
    commit.frame_size = d.frame_size;
    commit.frames = d.frames;
    commit.alignment_mask = d.alignment_mask;
    if (auto r = kernel_.commit(commit); !r) {
        remember_uncommitted(request->connections,
                             {std::string(to_string(r.error().code)), r.error().message, "ksimd"});
        return std::unexpected(r.error());
    }
    forget_uncommitted(request->connections);
    return Body{};
}

Result<Body> RequestHandler::on_open_stream(const SessionContext& session, const json& message) {
    auto request = wire::decode_body<wire::OpenStreamRequest>(message);
    if (!request) return std::unexpected(request.error());
    PinRef key = request->pin;
    auto pin = kernel_.pin(key);
    if (!pin) return std::unexpected(pin.error());
    auto grant = kernel_.open_stream(session.client_id, key);
    if (!grant) return std::unexpected(grant.error());

    wire::OpenStreamReply reply;
    reply.pin = request->pin;
    reply.frame_size = grant->frame_size;
    reply.frames = grant->frames;
    Body body;
    for (const auto& r : grant->regions) {
        KSIM_ASSERT(r.region, "Kernel::open_stream granted a region without its shm::Region");
        auto fd = r.region->share(r.access);
        if (!fd) return std::unexpected(fd.error());
        wire::RegionGrant region;
        region.id = r.region_id;
        region.size = r.size;
        region.access = r.access;
        region.fd_index = static_cast<std::uint32_t>(body.fds.size());
        region.frame_offsets = r.frame_offsets;
        reply.regions.push_back(std::move(region));
        body.fds.push_back(std::move(*fd));
    }
    // Rings only for a pin this client hosts (open_stream may just have made it the host of a
    // topology-declared user pin): those are the pins the kernel delivers to through
    // UserPinPort. Anything else streams over the socket slow path.
    pin = kernel_.pin(key);
    if (!pin) return std::unexpected(pin.error());
    if (pin->hosting == proto::PinHosting::User && pin->owner == session.client_id) {
        // More slots than the pool has frames (pool + 1, cf. iceoryx2#571), so a ring never
        // refuses a frame the pool could hand out: a client holds at most the whole pool (it
        // borrows nothing else), and with lazy release all of it may sit on its ring at once.
        const std::uint32_t capacity = std::max(ring_capacity_, grant->frames + 1);
        const std::uint32_t free_depth = request->free_frames && pin->direction == proto::PinDirection::Out
                                             ? free_frame_depth(grant->frames)
                                             : 0;
        auto opened =
            rings_.open(session.client_id, key, pin->direction, capacity, grant->frame_size, free_depth);
        if (!opened) return std::unexpected(opened.error());
        if (auto r = kernel_.attach_delivery(session.client_id, key, opened->target); !r)
            return std::unexpected(r.error());
        for (auto& s : opened->shares) {
            wire::RingGrant ring;
            ring.direction = s.direction;
            ring.size = s.share.size;
            ring.capacity = s.capacity;
            ring.fd_index = static_cast<std::uint32_t>(body.fds.size());
            body.fds.push_back(std::move(s.share.memory));
            // wake_fd_index: the eventfd the producer signals (data_ready); peer_wake_fd_index:
            // the one the consumer signals (space_ready).
            ring.wake_fd_index = static_cast<std::uint32_t>(body.fds.size());
            body.fds.push_back(std::move(s.share.data_ready));
            ring.peer_wake_fd_index = static_cast<std::uint32_t>(body.fds.size());
            body.fds.push_back(std::move(s.share.space_ready));
            if (s.direction == wire::RingDirection::FreeFrames) ring.depth = free_depth;
            reply.rings.push_back(ring);
        }
    }
    if (body.fds.size() > shm::kMaxFdsPerMessage)
        return fail(Errc::InsufficientResources,
                    "stream of " + key.to_string() + " needs " + std::to_string(body.fds.size()) +
                        " descriptors; at most " + std::to_string(shm::kMaxFdsPerMessage) +
                        " fit one message");
    reply.fd_count = static_cast<std::uint32_t>(body.fds.size());
    body.json = reply;
    logger("session")->info("{}: opened stream {} ({} regions, {} rings)", session.name(),
                            loggable(key.to_string()), reply.regions.size(), reply.rings.size());
    return body;
}

Result<Body> RequestHandler::on_release_frame(const SessionContext& session, const json& message) {
    auto request = wire::decode_body<wire::ReleaseFrameRequest>(message);
    if (!request) return std::unexpected(request.error());
    ReleaseTimes times;  // the socket path: the release is now, the client says when it took it
    if (request->taken_ns)
        times.taken =
            to_ticks(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(*request->taken_ns)));
    if (auto r = kernel_.release_frame(session.client_id, wire::to_descriptor(request->frame), times); !r)
        return std::unexpected(r.error());
    return Body{};
}

Result<Body> RequestHandler::on_acquire_frame(const SessionContext& session, const json& message) {
    auto request = wire::decode_body<wire::AcquireFrameRequest>(message);
    if (!request) return std::unexpected(request.error());
    auto frame = kernel_.acquire_frame(session.client_id, request->pin);
    if (!frame) return std::unexpected(frame.error());
    return Body{json(wire::AcquireFrameReply{wire::to_frame_ref(*frame)}), {}};
}

Result<Body> RequestHandler::on_submit_frame(const SessionContext& session, const json& message) {
    auto request = wire::decode_body<wire::SubmitFrameRequest>(message);
    if (!request) return std::unexpected(request.error());
    if (auto r = kernel_.submit_frame(session.client_id, request->pin, wire::to_descriptor(request->frame),
                                      request->header);
        !r)
        return std::unexpected(r.error());
    return Body{};
}

}  // namespace ksim::daemon::server
