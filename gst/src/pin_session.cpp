#include "pin_session.hpp"

#include "ksim/client/socket_path.hpp"
#include "ksim/proto/topology.hpp"
#include "ksim/wire/messages.hpp"

namespace ksim::gst {
namespace {

std::unexpected<Error> failed(const std::string& step, Error e) {
    e.message = step + ": " + e.message;
    return std::unexpected(std::move(e));
}

}  // namespace

Result<std::unique_ptr<PinSession>> PinSession::open(const PinSessionOptions& options) {
    auto pin = proto::parse_pin_ref(options.pin);
    if (!pin)
        return failed("pin", Error{Errc::InvalidArgument, "expected FILTER.PIN, got '" + options.pin + "'"});
    client::ConnectOptions connect;
    connect.socket_path = client::resolve_socket_path(options.socket);
    connect.name = options.client_name;
    auto client = client::Client::connect(connect);
    if (!client) return failed("connect", client.error());
    std::unique_ptr<PinSession> session(new PinSession(std::move(*client), *pin));
    client::Client& c = session->client_;

    if (auto committed = c.wait_until_committed(*pin, options.commit_timeout); !committed)
        return failed("waiting for the graph manager to commit an allocator for " + options.pin,
                      committed.error());
    if (auto acquired = c.set_state(*pin, proto::PinState::Acquire); !acquired)
        return failed("acquire " + options.pin, acquired.error());
    auto stream = c.open_stream(*pin);
    if (!stream) return failed("open stream", stream.error());
    session->stream_ = std::move(*stream);
    const bool producer = options.role == PinRole::Producer;
    if (session->stream_->writable() != producer)
        return failed("pin " + options.pin,
                      Error{Errc::InvalidArgument,
                            producer ? "is a sink pin (it receives frames): read it with ksimsrc"
                                     : "is a source pin (it sends frames): feed it with ksimsink"});
    auto format = c.data_format(*pin);
    if (!format) return failed("data format of " + options.pin, format.error());
    session->format_ = *format;
    if (auto state = c.connection_state(*pin); state && state->peer) session->peer_ = state->peer;
    return session;
}

Result<void> PinSession::walk(proto::PinState state, bool peer_first) {
    auto order = peer_first ? std::pair{peer_.value_or(pin_), pin_} : std::pair{pin_, peer_.value_or(pin_)};
    for (const auto& p : {order.first, order.second})
        if (auto r = client_.set_state(p, state); !r)
            return failed(std::string(proto::to_string(state)) + " " + p.to_string(), r.error());
    return {};
}

Result<void> PinSession::run() {
    return walk(proto::PinState::Run, true);
}

Result<void> PinSession::pause() {
    return walk(proto::PinState::Pause, false);
}

PinSession::~PinSession() {
    (void)walk(proto::PinState::Stop, false);
}

}  // namespace ksim::gst
