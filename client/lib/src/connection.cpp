#include "ksim/client/connection.hpp"

#include <sys/socket.h>

#include "connection_state.hpp"
#include "ksim/client/socket_path.hpp"
#include "ksim/wire/codec.hpp"
#include "unix_socket.hpp"

namespace ksim::client {

Connection::Connection(std::unique_ptr<State> state) : state_(std::move(state)) {}

Connection::~Connection() {
    close();
}

Result<std::unique_ptr<Connection>> Connection::connect(const ConnectOptions& options) {
    auto state = std::make_unique<State>();
    state->path = resolve_socket_path(options.socket_path);
    state->role = options.role;
    auto fd = detail::connect_unix(state->path);
    if (!fd) return std::unexpected(fd.error());
    state->socket = std::move(*fd);
    State* raw = state.get();
    state->reader = std::thread([raw] { raw->read_loop(); });
    std::unique_ptr<Connection> connection(new Connection(std::move(state)));

    nlohmann::json hello{{"protocol_version", wire::kProtocolVersion},
                         {"role", wire::to_string(options.role)},
                         {"client_name", options.name}};
    auto welcome = connection->call(wire::MessageType::Hello, std::move(hello), options.timeout);
    if (!welcome) {
        Error e = welcome.error();
        e.message = "handshake with ksimd at " + raw->path + " failed: " + e.message;
        return std::unexpected(std::move(e));
    }
    raw->client_id = welcome->value("client_id", ClientId{0});
    raw->daemon_version = welcome->value("daemon_version", std::string{});
    return connection;
}

Result<Reply> Connection::request(wire::MessageType type, nlohmann::json body, Timeout timeout) {
    State& s = *state_;
    if (body.is_null()) body = nlohmann::json::object();
    if (!body.is_object()) return fail(Errc::InvalidArgument, "request body must be a JSON object");
    std::uint64_t id;
    {
        std::unique_lock lock(s.mutex);
        if (!s.open) {
            Error why = s.reason;
            lock.unlock();
            // The reader may still be ending this connection's streams: finish that first, so that
            // whoever learns of the end here finds every stream ended too (a frame submitted next
            // fails instead of going onto a dead daemon's ring). end() is idempotent and returns
            // once the hooks have run.
            s.end_hooks->end();
            return std::unexpected(std::move(why));
        }
        id = s.next_id++;
        s.pending.emplace(id, std::nullopt);
        ++s.sent[type];
    }
    body["type"] = wire::to_string(type);
    body["id"] = id;
    auto frame = wire::encode_frame(body);
    Result<void> sent = frame ? Result<void>{} : Result<void>{std::unexpected(frame.error())};
    if (sent) {
        std::lock_guard write_lock(s.write_mutex);
        sent = detail::send_all(s.socket.get(), *frame);
    }

    std::unique_lock lock(s.mutex);
    auto slot = s.pending.find(id);
    if (!sent) {
        s.pending.erase(slot);
        // The daemon hung up before our request went out: the reader may still be reading why
        // (a refusal it sent first), so wait for it to end the session and report that.
        if (sent.error().code == Errc::Disconnected &&
            s.changed.wait_for(lock, timeout, [&] { return !s.open; }))
            return std::unexpected(s.reason);
        return std::unexpected(sent.error());
    }
    bool arrived = s.changed.wait_for(lock, timeout, [&] { return slot->second.has_value(); });
    if (!arrived) {
        s.pending.erase(slot);
        return fail(Errc::Timeout, "no reply to '" + std::string(wire::to_string(type)) +
                                       "' from ksimd within " + std::to_string(timeout.count()) + " ms");
    }
    Result<Reply> reply = std::move(*slot->second);
    s.pending.erase(slot);
    return reply;
}

std::uint64_t Connection::requests_sent(wire::MessageType type) const {
    std::lock_guard lock(state_->mutex);
    auto it = state_->sent.find(type);
    return it == state_->sent.end() ? 0 : it->second;
}

Result<nlohmann::json> Connection::call(wire::MessageType type, nlohmann::json body, Timeout timeout) {
    auto reply = request(type, std::move(body), timeout);
    if (!reply) return std::unexpected(reply.error());
    return std::move(reply->body);
}

Result<void> Connection::subscribe(Timeout timeout) {
    auto reply = call(wire::MessageType::Subscribe, nlohmann::json::object(), timeout);
    if (!reply) return std::unexpected(reply.error());
    return {};
}

Result<Event> Connection::next_event(Timeout timeout) {
    State& s = *state_;
    std::unique_lock lock(s.mutex);
    bool ready = s.changed.wait_for(lock, timeout, [&] { return !s.events.empty() || !s.open; });
    if (!s.events.empty()) {
        Event e = std::move(s.events.front());
        s.events.pop_front();
        return e;
    }
    if (!ready) return fail(Errc::Timeout, "no event within " + std::to_string(timeout.count()) + " ms");
    return std::unexpected(s.reason);
}

void Connection::set_event_handler(EventHandler handler) {
    State& s = *state_;
    std::deque<Event> backlog;
    {
        std::lock_guard lock(s.mutex);
        s.handler = handler;
        if (handler) backlog.swap(s.events);
    }
    for (const auto& e : backlog) handler(e);
}

ClientId Connection::client_id() const {
    return state_->client_id;
}
const std::string& Connection::daemon_version() const {
    return state_->daemon_version;
}
const std::string& Connection::socket_path() const {
    return state_->path;
}
wire::Role Connection::role() const {
    return state_->role;
}

bool Connection::connected() const {
    std::lock_guard lock(state_->mutex);
    return state_->open;
}

Error Connection::disconnect_reason() const {
    std::lock_guard lock(state_->mutex);
    return state_->reason;
}

void Connection::close() {
    if (!state_) return;
    State& s = *state_;
    {
        std::lock_guard lock(s.mutex);
        if (s.open) {
            s.open = false;
            s.closed_by_client = true;
            s.reason = Error{Errc::Disconnected, "connection closed by this client"};
        }
    }
    // Wakes the reader out of recvmsg; it then fails whatever is still pending.
    if (s.socket) ::shutdown(s.socket.get(), SHUT_RDWR);
    if (s.reader.joinable()) s.reader.join();
}

}  // namespace ksim::client
