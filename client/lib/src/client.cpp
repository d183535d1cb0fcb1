#include "ksim/client/client.hpp"

#include <iterator>

#include "client_session.hpp"
#include "ksim/client/stream.hpp"
#include "stream_core.hpp"

namespace ksim::client {

Result<Client> Client::connect(const ConnectOptions& options) {
    auto connection = Connection::connect(options);
    if (!connection) return std::unexpected(connection.error());
    Client client(std::shared_ptr<Connection>(std::move(*connection)));
    if (options.reconnect)
        client.session_ = std::make_shared<detail::ClientSession>(client.shared_connection(), options);
    return client;
}

Client::Client(std::shared_ptr<Connection> connection)
    : session_(std::make_shared<detail::ClientSession>(std::move(connection), ConnectOptions{})) {}

Connection& Client::connection() const {
    return *session_->connection();  // the session keeps it alive
}

std::shared_ptr<Connection> Client::shared_connection() const {
    return session_->connection();
}

Result<nlohmann::json> Client::call_json(wire::MessageType type, nlohmann::json body, Timeout timeout) {
    return session_->with_recovery(
        [&](const std::shared_ptr<Connection>& c) { return c->call(type, body, timeout); });
}

Result<std::vector<wire::FilterInfo>> Client::list(std::optional<std::string> filter) {
    auto reply = list_reply(std::move(filter));
    if (!reply) return std::unexpected(reply.error());
    return std::move(reply->filters);
}

namespace {

// Follows a paged reply (list, connections, ledger; docs/protocol.md) from `request` to its last
// page: the first page with every later page's `items` appended. A next_offset that does not
// move forward is a ProtocolError (it would loop).
template <typename Reply, typename Request, typename Item>
Result<Reply> every_page(Client& client, Request request, std::vector<Item> Reply::*items) {
    auto whole = client.call<Reply>(request);
    if (!whole) return std::unexpected(whole.error());
    while (whole->next_offset) {
        const std::uint32_t offset = *whole->next_offset;
        if (offset <= request.offset.value_or(0))
            return fail(Errc::ProtocolError,
                        "ksimd's " + std::string(wire::to_string(Request::kType)) + " page at offset " +
                            std::to_string(request.offset.value_or(0)) + " names next_offset " +
                            std::to_string(offset) + ", which does not move forward");
        request.offset = offset;
        auto page = client.call<Reply>(request);
        if (!page) return std::unexpected(page.error());
        auto& into = (*whole).*items;
        auto& from = (*page).*items;
        std::move(from.begin(), from.end(), std::back_inserter(into));
        whole->next_offset = page->next_offset;
    }
    whole->more = false;
    return whole;
}

}  // namespace

Result<wire::ListReply> Client::list_reply(std::optional<std::string> filter) {
    return every_page(*this, wire::ListRequest{std::move(filter), std::nullopt, wire::kListMaxFilters},
                      &wire::ListReply::filters);
}

Result<wire::GetPropertyReply> Client::get_property(const proto::PinRef& pin, wire::PropertyId property) {
    return call<wire::GetPropertyReply>(wire::GetPropertyRequest{pin, property});
}

namespace {

// The one optional of a GetPropertyReply that `property` selects; the daemon must fill it.
template <typename T>
Result<T> take(Result<wire::GetPropertyReply> reply, std::optional<T> wire::GetPropertyReply::*member) {
    if (!reply) return std::unexpected(reply.error());
    auto& value = (*reply).*member;
    if (!value)
        return fail(Errc::ProtocolError, "ksimd answered " + std::string(wire::to_string(reply->property)) +
                                             " for " + reply->pin.to_string() + " without its value");
    return std::move(*value);
}

}  // namespace

Result<proto::AllocatorFramingEx> Client::allocator_framing_ex(const proto::PinRef& pin) {
    return take(get_property(pin, wire::PropertyId::AllocatorFramingEx), &wire::GetPropertyReply::framing);
}

Result<wire::StreamAllocatorStatus> Client::allocator_status(const proto::PinRef& pin) {
    return take(get_property(pin, wire::PropertyId::StreamAllocatorStatus), &wire::GetPropertyReply::status);
}

Result<wire::ConnectionState> Client::connection_state(const proto::PinRef& pin) {
    return take(get_property(pin, wire::PropertyId::ConnectionState), &wire::GetPropertyReply::connection);
}

Result<wire::PinStatistics> Client::statistics(const proto::PinRef& pin) {
    return take(get_property(pin, wire::PropertyId::Statistics), &wire::GetPropertyReply::statistics);
}

Result<proto::DataFormat> Client::data_format(const proto::PinRef& pin) {
    return take(get_property(pin, wire::PropertyId::DataFormat), &wire::GetPropertyReply::data_format);
}

Result<std::vector<wire::ConnectionInfo>> Client::connections() {
    auto reply = every_page(*this, wire::ConnectionsRequest{std::nullopt, wire::kConnectionsMaxPerPage},
                            &wire::ConnectionsReply::connections);
    if (!reply) return std::unexpected(reply.error());
    return std::move(reply->connections);
}

Result<std::vector<wire::LedgerEntry>> Client::ledger() {
    auto reply = every_page(*this, wire::LedgerRequest{std::nullopt, wire::kLedgerMaxPerPage},
                            &wire::LedgerReply::entries);
    if (!reply) return std::unexpected(reply.error());
    return std::move(reply->entries);
}

Result<proto::PinRef> Client::create_pin(const wire::CreatePinRequest& request) {
    auto reply = call<wire::CreatePinReply>(request);
    if (!reply) return std::unexpected(reply.error());
    session_->record_created_pin(request);
    return std::move(reply->pin);
}

Result<void> Client::connect_pins(const proto::PinRef& from, const proto::PinRef& to) {
    auto reply = call<wire::EmptyReply>(wire::ConnectRequest{from, to});
    if (!reply) return std::unexpected(reply.error());
    session_->record_connected(from, to);
    return {};
}

Result<proto::PinState> Client::set_state(const proto::PinRef& pin, proto::PinState state) {
    auto reply = call<wire::SetStateReply>(wire::SetStateRequest{pin, state});
    if (!reply) return std::unexpected(reply.error());
    session_->record_state(pin, reply->state);
    return reply->state;
}

Result<void> Client::wait_until_committed(const proto::PinRef& pin, Timeout timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    return session_->with_recovery([&](const std::shared_ptr<Connection>& c) -> Result<void> {
        if (auto s = c->subscribe(); !s) return s;
        for (;;) {
            // Checked after subscribing, so a commit in between is not missed.
            auto state =
                c->call(wire::MessageType::GetProperty,
                        nlohmann::json(wire::GetPropertyRequest{pin, wire::PropertyId::ConnectionState}));
            if (!state) return std::unexpected(state.error());
            auto reply = wire::decode_body<wire::GetPropertyReply>(*state);
            if (!reply) return std::unexpected(reply.error());
            if (reply->connection && reply->connection->committed) return {};
            auto left = std::chrono::duration_cast<Timeout>(deadline - std::chrono::steady_clock::now());
            if (left <= Timeout::zero())
                return fail(Errc::Timeout, "no allocator was committed for " + pin.to_string() + " within " +
                                               std::to_string(timeout.count()) +
                                               " ms (is ksim-graphmgr running?)");
            auto event = c->next_event(left);
            if (!event && event.error().code != Errc::Timeout) return std::unexpected(event.error());
        }
    });
}

Result<void> Client::commit(const wire::CommitRequest& request) {
    auto reply = call<wire::EmptyReply>(request);
    if (!reply) return std::unexpected(reply.error());
    return {};
}

Result<std::unique_ptr<Stream>> Client::open_stream(const proto::PinRef& pin, Timeout timeout) {
    return open_stream(pin, StreamOptions{}, timeout);
}

Result<std::unique_ptr<Stream>> Client::open_stream(const proto::PinRef& pin, const StreamOptions& options,
                                                    Timeout timeout) {
    auto core = session_->with_recovery([&](const std::shared_ptr<Connection>& c) {
        return detail::open_stream_core(c, pin, timeout, options);
    });
    if (!core) return std::unexpected(core.error());
    if (!session_->reconnects()) return std::unique_ptr<Stream>(new Stream(std::move(*core)));
    auto slot = session_->add_stream(pin, *core);
    return std::unique_ptr<Stream>(new Stream(std::move(*core), std::move(slot), session_));
}

}  // namespace ksim::client
