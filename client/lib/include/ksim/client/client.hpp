// Client: the typed API of libksim over one Connection. Each call is one request/reply with the
// protocol's message bodies (ksim/wire/messages.hpp) and returns the daemon's error code as a
// ksim::Error on failure.
//
// Thread-safety: like Connection, a Client may be used from several threads at once. Streams
// (stream.hpp) it opens are independent objects with their own rules.
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

class Client {
public:
    // Connection::connect + wrap. Errors as Connection::connect.
    static Result<Client> connect(const ConnectOptions& options);
    explicit Client(std::shared_ptr<Connection> connection) : connection_(std::move(connection)) {}

    [[nodiscard]] Connection& connection() const { return *connection_; }
    [[nodiscard]] const std::shared_ptr<Connection>& shared_connection() const { return connection_; }

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

    // Sends `request` and decodes the reply body as `ReplyBody`.
    template <typename ReplyBody, typename Request>
    Result<ReplyBody> call(const Request& request, Timeout timeout = kDefaultTimeout) {
        auto reply = connection_->call(Request::kType, nlohmann::json(request), timeout);
        if (!reply) return std::unexpected(reply.error());
        return wire::decode_body<ReplyBody>(*reply);
    }

private:
    std::shared_ptr<Connection> connection_;
};

}  // namespace ksim::client
