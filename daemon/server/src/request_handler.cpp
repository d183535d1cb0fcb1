// Dispatch, handshake and the inspection requests (list, get_property, connections, ledger).
#include "request_handler.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <tuple>

#include "ksim/wire/codec.hpp"
#include "logging.hpp"
#include "reply_page.hpp"
#include "stream_rings.hpp"

namespace ksim::daemon::server {

using nlohmann::json;

wire::AllocatorFailure to_wire(const AllocatorFailure& f) {
    // Ticks are 100 ns; the wire speaks nanoseconds like the latencies.
    return wire::AllocatorFailure{
        f.routine, f.status,   f.status_name, f.framing,
        f.caps,    f.provider, f.asked_by,    static_cast<std::uint64_t>(f.at) * 100u,
        f.fault,   f.message};
}

RequestHandler::RequestHandler(Kernel& kernel, StreamRings& rings, std::string daemon_version,
                               std::uint32_t ring_capacity, ClientCaps caps)
    : kernel_(kernel),
      rings_(rings),
      daemon_version_(std::move(daemon_version)),
      ring_capacity_(ring_capacity),
      caps_(caps) {}

Response RequestHandler::handle(SessionContext& session, const json& message) {
    auto env = wire::read_envelope(message);
    std::uint64_t id = 0;
    if (auto it = message.find("id"); it != message.end() && it->is_number_unsigned())
        id = it->get<std::uint64_t>();
    if (!env) return Response{wire::make_error_reply(id, env.error()), {}};
    if (env->direction != wire::Direction::Request)
        return Response{
            wire::make_error_reply(
                env->type, id,
                Error{Errc::ProtocolError,
                      "ksimd accepts requests only, not " +
                          std::string(env->direction == wire::Direction::Reply ? "replies" : "events")}),
            {}};
    const auto& info = wire::info(env->type);
    Result<Body> body = [&]() -> Result<Body> {
        if (!session.role && !info.before_hello)
            return fail(Errc::ProtocolError, "send 'hello' before '" + std::string(info.name) + "'");
        if (info.graph_manager_only && session.role != wire::Role::GraphManager)
            return fail(Errc::PermissionDenied,
                        "'" + std::string(info.name) + "' is reserved for the graph-manager role; " +
                            session.name() + " connected as '" +
                            std::string(wire::to_string(session.role.value_or(wire::Role::Client))) + "'");
        try {
            return dispatch(session, env->type, message);
        } catch (const std::exception& e) {
            // A bug, not bad input (bodies are decoded without exceptions escaping).
            logger("protocol")
                ->error("{}: '{}' threw: {}", session.name(), info.name,
                        loggable(e.what(), kLoggableMessageBytes));
            return fail(Errc::Internal, std::string("internal error: ") + e.what());
        }
    }();
    if (!body) {
        log_limited("protocol", spdlog::level::debug, "refused client " + std::to_string(session.client_id),
                    "{}: '{}' #{} failed: {} ({})", session.name(), info.name, id,
                    to_string(body.error().code), loggable(body.error().message, kLoggableMessageBytes));
        return Response{wire::make_error_reply(env->type, id, body.error()), {}};
    }
    return Response{wire::make_reply(env->type, id, body->json), std::move(body->fds),
                    std::move(body->events)};
}

Result<Body> RequestHandler::dispatch(SessionContext& session, wire::MessageType type, const json& message) {
    using T = wire::MessageType;
    // Releases are lazy (lazy_release.hpp): take them first, so that whatever this request
    // needs or shows (a free frame, the ledger, a state change, statistics) includes them.
    rings_.take_releases();
    switch (type) {
        case T::Hello:
            return on_hello(session, message);
        case T::List:
            return on_list(message);
        case T::GetProperty:
            return on_get_property(message);
        case T::Connections:
            return on_connections(message);
        case T::CreatePin:
            return on_create_pin(session, message);
        case T::Connect:
            return on_connect(session, message);
        case T::SetState:
            return on_set_state(session, message);
        case T::OpenStream:
            return on_open_stream(session, message);
        case T::Commit:
            return on_commit(message);
        case T::ReleaseFrame:
            return on_release_frame(session, message);
        case T::AcquireFrame:
            return on_acquire_frame(session, message);
        case T::SubmitFrame:
            return on_submit_frame(session, message);
        case T::Ledger:
            return on_ledger(message);
        case T::Subscribe:
            return on_subscribe(session, message);
        case T::Status:
            return on_status();
        case T::ReportUnsatisfied:
            return on_report_unsatisfied(message);
        case T::ResetStatistics:
            return on_reset_statistics(message);
        // No default: a new request type without a handler is a compile error (-Wswitch).
        // Events never reach here (read_envelope refuses them as requests).
        case T::StateChanged:
        case T::FrameDropped:
        case T::AllocatorCommitted:
        case T::ClientGone:
        case T::FramingChanged:
        case T::FrameReady:
        case T::ConnectionChanged:
        case T::AllocatorFailed:
        case T::VerifierViolation:
        case T::kCount:
            break;
    }
    return fail(Errc::Unsupported, "'" + std::string(wire::to_string(type)) + "' is not a request");
}

Result<Body> RequestHandler::on_hello(SessionContext& session, const json& message) {
    if (session.role) return fail(Errc::InvalidState, session.name() + " already completed 'hello'");
    auto hello = wire::decode_body<wire::Hello>(message);
    if (!hello) return std::unexpected(hello.error());
    if (hello->protocol_version != wire::kProtocolVersion)
        return fail(Errc::ProtocolError, "protocol version " + std::to_string(hello->protocol_version) +
                                             " is not supported; ksimd speaks version " +
                                             std::to_string(wire::kProtocolVersion));
    if (hello->role == wire::Role::Operator && session.peer.uid != daemon_uid_ && session.peer.uid != 0)
        return fail(Errc::PermissionDenied, "the operator role is only for ksimd's own uid " +
                                                std::to_string(daemon_uid_) + " and root; " + session.name() +
                                                " runs as uid " + std::to_string(session.peer.uid));
    if (hello->role == wire::Role::GraphManager) {
        if (graph_manager_)
            return fail(Errc::Busy, "a graph manager is already connected (client " +
                                        std::to_string(*graph_manager_) + ")");
        graph_manager_ = session.client_id;
        graph_manager_name_ = hello->client_name;
    }
    session.role = hello->role;
    session.client_name = hello->client_name;
    rings_.client_connected(session.client_id);
    logger("session")->info("{}: hello as {} ({})", session.name(), wire::to_string(hello->role),
                            session.peer.to_string());
    return Body{json(wire::Welcome{session.client_id, wire::kProtocolVersion, daemon_version_}), {}};
}

std::vector<Broadcast> RequestHandler::session_closed(const SessionContext& session,
                                                      const std::string& reason) {
    if (!session.role) return {};
    if (graph_manager_ == session.client_id) graph_manager_.reset();
    rings_.close_client(session.client_id);  // no ring thread touches the kernel for it any more
    const auto before = kernel_.connections();
    kernel_.client_gone(session.client_id);
    const auto after = kernel_.connections();
    std::vector<Broadcast> events;
    events.push_back(
        {wire::MessageType::ClientGone, wire::make_event(wire::ClientGoneEvent{session.client_id, reason})});
    // A connection that went away with the client's pins is announced, so that a graph manager
    // need not diff the graph to notice (the pins a client created go with it).
    // By set lookup, not by scanning `after` per connection: a client can leave thousands of
    // connections behind, and the quadratic diff kept ksimd busy for seconds at each close.
    const auto ends = [](const ConnectionSnapshot& c) { return std::tie(c.from, c.to); };
    const auto by_ends = [&](const ConnectionSnapshot* a, const ConnectionSnapshot* b) {
        return ends(*a) < ends(*b);
    };
    std::set<const ConnectionSnapshot*, decltype(by_ends)> kept_ones(by_ends);
    for (const auto& a : after) kept_ones.insert(&a);
    for (const auto& c : before) {
        const bool kept = kept_ones.contains(&c);
        if (!kept)
            events.push_back({wire::MessageType::ConnectionChanged,
                              wire::make_event(wire::ConnectionChangedEvent{c.from, c.to, false,
                                                                            session.name() + " went away"})});
    }
    return events;
}

wire::VerifierViolation to_wire(const VerifierViolation& v) {
    return wire::VerifierViolation{v.rule, v.routine, v.message,
                                   static_cast<std::uint64_t>(std::max<Ticks>(0, v.at)) * 100, v.nth};
}

namespace {

wire::VerifierStats to_wire(const VerifierReport& r) {
    wire::VerifierStats out{r.driver, r.total, {}, {}};
    for (const VerifierRuleCount& c : r.counts)
        out.rules.push_back(wire::VerifierRuleCount{c.rule, c.count, c.hint});
    for (const VerifierViolation& v : r.recent) out.recent.push_back(server::to_wire(v));
    return out;
}

std::optional<PinRef> peer_of(const std::vector<ConnectionSnapshot>& connections, const PinRef& pin) {
    for (const auto& c : connections) {
        if (c.from == pin) return c.to;
        if (c.to == pin) return c.from;
    }
    return std::nullopt;
}

wire::FilterInfo filter_info(const FilterSnapshot& f, const std::vector<ConnectionSnapshot>& connections) {
    wire::FilterInfo out{f.id, f.kind, {}, f.video, f.audio};
    for (const auto& p : f.pins) {
        wire::PinInfo pin;
        pin.id = p.key.pin;
        pin.direction = p.direction;
        pin.hosting = p.hosting;
        pin.state = p.state;
        pin.owner = p.owner;
        pin.framing_prop = p.legacy_framing ? proto::FramingProp::Old
                           : p.framing      ? proto::FramingProp::Ex
                                            : proto::FramingProp::None;
        pin.vendor_allocator = p.vendor_allocator;
        pin.vendor_allocator_caps = p.vendor_caps;
        pin.medium = p.medium;
        if (auto peer = peer_of(connections, p.key)) pin.connected_to = peer->to_string();
        if (!p.allocator.empty()) pin.allocator = p.allocator;
        out.pins.push_back(std::move(pin));
    }
    return out;
}

}  // namespace

// One page of filters (reply_page.hpp): a `list` reply never exceeds kMaxMessageBytes.
Result<Body> RequestHandler::on_list(const json& message) {
    auto request = wire::decode_body<wire::ListRequest>(message);
    if (!request) return std::unexpected(request.error());
    const auto connections = kernel_.connections();
    const auto filters = kernel_.filters();
    std::vector<const FilterSnapshot*> selected;
    for (const auto& f : filters)
        if (!request->filter || f.id == *request->filter) selected.push_back(&f);
    if (request->filter && selected.empty())
        return fail(Errc::NotFound, "no filter '" + *request->filter + "'");

    wire::ListReply reply;
    reply.topology = kernel_.topology_name();
    reply.memory_types = kernel_.memory_types();
    auto page = fill_page(
        {"list", page_frame_bytes(reply), request->offset.value_or(0),
         request->max_filters.value_or(wire::kListDefaultMaxFilters), selected.size()},
        [&](std::size_t i) { return json(filter_info(*selected[i], connections)); },
        [&](std::size_t i) { return "filter '" + selected[i]->id + "'"; });
    if (!page) return std::unexpected(page.error());
    reply.next_offset = page->next_offset;
    reply.more = page->next_offset.has_value();
    json body = reply;
    body["filters"] = std::move(page->entries);
    return Body{std::move(body), {}};
}

Result<Body> RequestHandler::on_get_property(const json& message) {
    auto request = wire::decode_body<wire::GetPropertyRequest>(message);
    if (!request) return std::unexpected(request.error());
    PinRef key = request->pin;
    auto pin = kernel_.pin(key);
    if (!pin) return std::unexpected(pin.error());
    wire::GetPropertyReply reply;
    reply.pin = request->pin;
    reply.property = request->property;
    switch (request->property) {
        case wire::PropertyId::AllocatorFramingEx: {
            auto framing = kernel_.allocator_framing_ex(key);
            if (!framing) return std::unexpected(framing.error());
            reply.framing = std::move(*framing);
            break;
        }
        case wire::PropertyId::AllocatorFraming: {
            auto framing = kernel_.allocator_framing(key);
            if (!framing) return std::unexpected(framing.error());
            reply.legacy_framing = *framing;
            break;
        }
        case wire::PropertyId::StreamAllocatorStatus: {
            auto status = kernel_.allocator_status(key);
            if (!status) return std::unexpected(status.error());
            reply.status = wire::StreamAllocatorStatus{status->framing, status->allocated_frames};
            break;
        }
        case wire::PropertyId::DataFormat: {
            auto format = kernel_.data_format(key);
            if (!format) return std::unexpected(format.error());
            reply.data_format = std::move(*format);
            break;
        }
        case wire::PropertyId::ConnectionState: {
            auto peer = peer_of(kernel_.connections(), key);
            reply.connection =
                wire::ConnectionState{pin->state, peer ? std::optional(*peer) : std::nullopt, pin->committed};
            break;
        }
        case wire::PropertyId::Statistics: {
            auto stats = kernel_.stats(key);
            if (!stats) return std::unexpected(stats.error());
            auto ns = [](double us) { return static_cast<std::uint64_t>(us * 1000.0); };
            reply.statistics = wire::PinStatistics{};
            wire::PinStatistics& out = *reply.statistics;
            out.completed = stats->completed;
            out.dropped = stats->dropped;
            out.in_flight = stats->in_flight;
            if (!stats->allocator.empty()) out.allocator = stats->allocator;
            out.latency_avg_ns = ns(stats->latency_avg_us);
            out.latency_max_ns = ns(stats->latency_max_us);
            out.hold_avg_ns = ns(stats->hold_avg_us);
            out.hold_max_ns = ns(stats->hold_max_us);
            if (stats->vendor_calls) {
                const auto& c = *stats->vendor_calls;
                reply.statistics->vendor_allocator = wire::VendorAllocatorStats{
                    stats->vendor_name, stats->vendor_initialized,
                    wire::VendorAllocatorCalls{c.initialize, c.allocate, c.free, c.remove}};
                if (stats->vendor_failure)
                    reply.statistics->vendor_allocator->last_failure = to_wire(*stats->vendor_failure);
            }
            if (auto v = kernel_.verifier_report(key)) reply.statistics->verifier = to_wire(*v);
            break;
        }
    }
    return Body{json(reply), {}};
}

// One page of connections, as `list` pages (reply_page.hpp).
Result<Body> RequestHandler::on_connections(const json& message) {
    auto request = wire::decode_body<wire::ConnectionsRequest>(message);
    if (!request) return std::unexpected(request.error());
    const auto connections = kernel_.connections();
    wire::ConnectionsReply reply;
    auto page = fill_page(
        {"connections", page_frame_bytes(reply), request->offset.value_or(0),
         request->max_connections.value_or(wire::kConnectionsMaxPerPage), connections.size()},
        [&](std::size_t i) {
            const auto& c = connections[i];
            wire::ConnectionInfo out{c.from, c.to, std::nullopt};
            if (c.decision)
                out.decision = wire::AllocatorDecision{c.decision->kind,        c.decision->provider,
                                                       c.decision->memory_type, c.decision->frame_size,
                                                       c.decision->frames,      c.decision->alignment_mask};
            if (c.allocator_failure) out.allocator_failure = to_wire(*c.allocator_failure);
            return json(out);
        },
        [&](std::size_t i) {
            return "connection " + connections[i].from.to_string() + " -> " + connections[i].to.to_string();
        });
    if (!page) return std::unexpected(page.error());
    reply.next_offset = page->next_offset;
    reply.more = page->next_offset.has_value();
    json body = reply;
    body["connections"] = std::move(page->entries);
    return Body{std::move(body), {}};
}

// One page of the ledger, as `list` pages (reply_page.hpp).
Result<Body> RequestHandler::on_ledger(const json& message) {
    auto request = wire::decode_body<wire::LedgerRequest>(message);
    if (!request) return std::unexpected(request.error());
    const auto ledger = kernel_.ledger();
    wire::LedgerReply reply;
    auto page = fill_page(
        {"ledger", page_frame_bytes(reply), request->offset.value_or(0),
         request->max_entries.value_or(wire::kLedgerMaxPerPage), ledger.size()},
        [&](std::size_t i) {
            const auto& e = ledger[i];
            std::string holder =
                e.owner != kDaemon ? "client " + std::to_string(e.owner) : e.holder.to_string();
            return json(wire::LedgerEntry{e.pipe, wire::to_frame_ref(e.frame), e.owner, std::move(holder)});
        },
        [&](std::size_t i) { return "the ledger entry of pool '" + ledger[i].pipe + "'"; });
    if (!page) return std::unexpected(page.error());
    reply.next_offset = page->next_offset;
    reply.more = page->next_offset.has_value();
    json body = reply;
    body["entries"] = std::move(page->entries);
    return Body{std::move(body), {}};
}

Result<Body> RequestHandler::on_subscribe(SessionContext& session, const json& message) {
    auto request = wire::decode_body<wire::SubscribeRequest>(message);
    if (!request) return std::unexpected(request.error());
    session.subscribed = true;
    // Kept once per type: a subscribe that names one type 100,000 times costs what naming it once does.
    session.subscriptions = request->events;
    std::ranges::sort(session.subscriptions);
    const auto repeated = std::ranges::unique(session.subscriptions);
    session.subscriptions.erase(repeated.begin(), repeated.end());
    return Body{};
}

}  // namespace ksim::daemon::server
