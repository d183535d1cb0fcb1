#include "server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>

#include "ksim/wire/codec.hpp"
#include "ksim/wire/envelope.hpp"
#include "logging.hpp"
#include "request_handler.hpp"
#include "session_set.hpp"

namespace ksim::daemon::server {

namespace asio = boost::asio;
using asio::local::stream_protocol;

Server::Server(asio::io_context& io, ServerOptions options, SessionSet& sessions, RequestHandler& handler,
               std::function<void(int)> on_signal)
    : io_(io),
      options_(std::move(options)),
      sessions_(sessions),
      handler_(handler),
      on_signal_(std::move(on_signal)),
      acceptor_(io),
      signals_(io),
      accept_pause_(io) {}

Result<void> Server::listen() {
    // Signals first: a client may connect (and a supervisor signal) as soon as listen() returns,
    // and a SIGTERM/SIGINT before the handlers exist would kill ksimd without cleaning up.
    if (options_.handle_signals) {
        signals_.add(SIGTERM);
        signals_.add(SIGINT);
        signals_.async_wait([this](const boost::system::error_code& sec, int signo) {
            if (sec) return;
            logger("server")->info("signal {} received: shutting down", signo);
            on_signal_(signo);
        });
    }
    boost::system::error_code ec;
    stream_protocol::endpoint endpoint(options_.socket_path.string());
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return fail(Errc::Io, "listening on " + options_.socket_path.string() + ": " + ec.message());
    listening_ = true;
    // The file mode is a first gate; SO_PEERCRED is the one that counts.
    mode_t mode = 0600;
    if (const auto group = options_.access.group) {
        if (::chown(options_.socket_path.c_str(), static_cast<uid_t>(-1), *group) == 0)
            mode = 0660;
        else
            logger("server")->warn("cannot give group {} access to {}", *group,
                                   options_.socket_path.string());
    }
    ::chmod(options_.socket_path.c_str(), mode);

    logger("server")->info("listening on {}", options_.socket_path.string());
    accept_next();
    return {};
}

void Server::accept_next() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, stream_protocol::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (ec) return accept_failed(ec);
        next_pause_ = kAcceptBackoffFirst;
        on_accepted(std::move(socket));
        if (acceptor_.is_open()) accept_next();
    });
}

namespace {

// Errors that persist until something is released: retrying at once would spin on the pending
// connection.
bool out_of_resources(const boost::system::error_code& ec) {
    if (ec.category() != boost::system::system_category()) return false;
    switch (ec.value()) {
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
            return true;
        default:
            return false;
    }
}

}  // namespace

void Server::accept_failed(const boost::system::error_code& ec) {
    if (!acceptor_.is_open()) return;
    if (!out_of_resources(ec)) {
        log_limited("server", spdlog::level::warn, "accept", "accept failed: {}", ec.message());
        accept_next();
        return;
    }
    const auto pause = next_pause_;
    next_pause_ = std::min(next_pause_ * 2, kAcceptBackoffMax);
    log_limited("server", spdlog::level::warn, "accept-exhausted",
                "accept failed: {}; not accepting for {} ms ({} sessions open)", ec.message(), pause.count(),
                sessions_.size());
    accept_pause_.expires_after(pause);
    accept_pause_.async_wait([this](const boost::system::error_code& wec) {
        if (wec || !acceptor_.is_open()) return;
        accept_next();
    });
}

void Server::on_accepted(stream_protocol::socket socket) {
    auto creds = peer_credentials(socket.native_handle());
    if (!creds) {
        log_limited("server", spdlog::level::warn, "refusing", "refusing a connection: {}",
                    creds.error().message);
        return;  // the socket closes as it goes out of scope
    }
    if (options_.credentials_hook) options_.credentials_hook(*creds);
    if (auto refused = refusal_reason(*creds, options_.access)) {
        log_limited("server", spdlog::level::warn, "refused uid " + std::to_string(creds->uid), "{}",
                    *refused);
        refuse(socket, Error{Errc::PermissionDenied, *refused});
        return;
    }
    SessionContext context;
    context.client_id = next_client_id_++;
    context.peer = *creds;
    auto session = std::make_shared<Session>(std::move(socket), std::move(context), sessions_, handler_,
                                             options_.limits);
    sessions_.add(session);
    session->start();
}

void Server::refuse(stream_protocol::socket& socket, const Error& why) {
    // An unsolicited error (id 0) the client reports as the end of its session. One small frame
    // fits the empty socket buffer; if it does not go out, the client still sees the close.
    auto frame = wire::encode_frame(wire::make_error_reply(0, why));
    if (frame)
        (void)::send(socket.native_handle(), frame->data(), frame->size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

void Server::stop() {
    boost::system::error_code ec;
    signals_.cancel(ec);
    accept_pause_.cancel();
    acceptor_.close(ec);
    if (listening_) {
        ::unlink(options_.socket_path.c_str());
        listening_ = false;
        logger("server")->info("stopped listening; removed {}", options_.socket_path.string());
    }
}

}  // namespace ksim::daemon::server
