// Client: the typed API of libksim over one Connection. Each call is one request/reply with the
// protocol's message bodies (ksim/wire/messages.hpp) and returns the daemon's error code as a
// ksim::Error on failure.
//
// Thread-safety: like Connection, a Client may be used from several threads at once. Streams
// (stream.hpp) it opens are independent objects with their own rules.
//
// Reconnecting (ConnectOptions::reconnect, reconnect.hpp): when a call, a wait or a stream of
// this client finds the connection lost, it reconnects with backoff and redoes the set-up made
// through this Client — the pins it created and connected, the states it set (after the graph
// manager committed again), the streams it has open — then continues on the new session; each
// gap is reported to ReconnectPolicy::on_gap. A call that was in flight is sent again on the new
// session. Frames of the old session stay readable but belong to no pool (stream.hpp). Copies of
// a Client share one session.
#pragma once

#include <memory>
#include <vector>

#include "ksim/client/connection.hpp"
#include "ksim/proto/framing.hpp"
#include "ksim/proto/stream_header.hpp"
#include "ksim/proto/topology.hpp"
#include "ksim/wire/envelope.hpp"
#include "ksim/wire/messages.hpp"

namespace ksim::client {

class Stream;
struct StreamOptions;  // stream.hpp
namespace detail {
class ClientSession;  // client_session.hpp
}

class Client {
public:
    // Connection::connect + wrap, with options.reconnect's policy. Errors as Connection::connect
    // (the first connection is not retried).
    static Result<Client> connect(const ConnectOptions& options);
    // Over an existing connection; never reconnects.
    explicit Client(std::shared_ptr<Connection> connection);

    // The current session's connection (a new one after each gap; an old one stays valid,
    // closed, as long as the Client).
    [[nodiscard]] Connection& connection() const;
    [[nodiscard]] std::shared_ptr<Connection> shared_connection() const;

    // Filters, pins, states and committed allocators (optionally one filter). ksimd answers
    // `list` in pages that each fit in one message; this follows them (one request per page) and
    // returns every filter.
    Result<std::vector<wire::FilterInfo>> list(std::optional<std::string> filter = std::nullopt);
    // The same, with the reply's driver facts (topology, memory types): every page merged into
    // one ListReply whose next_offset is empty. Errors: those of a page; ProtocolError when
    // ksimd's next_offset does not move forward.
    Result<wire::ListReply> list_reply(std::optional<std::string> filter = std::nullopt);

    // The pin's current KSPROPERTY_CONNECTION_ALLOCATORFRAMING_EX.
    Result<proto::AllocatorFramingEx> allocator_framing_ex(const proto::PinRef& pin);
    // KSPROPERTY_STREAMALLOCATOR_STATUS.
    Result<wire::StreamAllocatorStatus> allocator_status(const proto::PinRef& pin);
    Result<wire::ConnectionState> connection_state(const proto::PinRef& pin);
    Result<wire::PinStatistics> statistics(const proto::PinRef& pin);
    // KSPROPERTY_CONNECTION_DATAFORMAT: the video or audio format of the data crossing the pin.
    // Errors: NotFound (no such pin, or no format known for its data), ProtocolError from a
    // daemon that does not know the property.
    Result<proto::DataFormat> data_format(const proto::PinRef& pin);
    // Any property, as the daemon answers it (exactly one optional of the reply is set).
    Result<wire::GetPropertyReply> get_property(const proto::PinRef& pin, wire::PropertyId property);

    // Connections with the allocator decisions actually committed. Like list, follows ksimd's
    // pages (one request each) and returns every connection.
    Result<std::vector<wire::ConnectionInfo>> connections();
    // Who holds which frames of which pool, every page of it.
    Result<std::vector<wire::LedgerEntry>> ledger();

    // A user-hosted pin on a user_source / user_sink filter, hosted by this connection: when the
    // connection closes the daemon stops the pin and reclaims its frames.
    Result<proto::PinRef> create_pin(const wire::CreatePinRequest& request);
    Result<void> connect_pins(const proto::PinRef& from, const proto::PinRef& to);
    // Walks STOP/ACQUIRE/PAUSE/RUN one step at a time; returns the state reached.
    Result<proto::PinState> set_state(const proto::PinRef& pin, proto::PinState state);

    // Waits until an allocator decision covers `pin` (the graph manager committed it): subscribes
    // to events and re-checks on each one. Consumes events from the connection's queue.
    // Errors: Timeout, Disconnected, NotFound.
    Result<void> wait_until_committed(const proto::PinRef& pin, Timeout timeout);

    // Graph-manager role only (PermissionDenied otherwise).
    Result<void> commit(const wire::CommitRequest& request);

    // Starts receiving (consumer pin) or producing (user-hosted source pin) frames: maps the
    // pin's regions once and attaches to its descriptor rings. See stream.hpp.
    Result<std::unique_ptr<Stream>> open_stream(const proto::PinRef& pin, Timeout timeout = kDefaultTimeout);
    // The same with `options` (StreamOptions: e.g. busy_poll), kept when the stream is resumed.
    Result<std::unique_ptr<Stream>> open_stream(const proto::PinRef& pin, const StreamOptions& options,
                                                Timeout timeout = kDefaultTimeout);

    // Sends `request` and decodes the reply body as `ReplyBody`.
    template <typename ReplyBody, typename Request>
    Result<ReplyBody> call(const Request& request, Timeout timeout = kDefaultTimeout) {
        auto reply = call_json(Request::kType, nlohmann::json(request), timeout);
        if (!reply) return std::unexpected(reply.error());
        return wire::decode_body<ReplyBody>(*reply);
    }

private:
    // Connection::call on the current connection, resumed and sent again after a loss.
    Result<nlohmann::json> call_json(wire::MessageType type, nlohmann::json body, Timeout timeout);

    std::shared_ptr<detail::ClientSession> session_;
};

}  // namespace ksim::client
