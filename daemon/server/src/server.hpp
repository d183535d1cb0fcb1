// Server: the listening socket and the signals. Accepts connections, refuses peers whose
// credentials are not allowed (an error message with the reason goes to the peer, then the
// connection closes; logged with uid/pid), and starts a Session for the rest. Out of
// descriptors (EMFILE, ENFILE, ...) it stops accepting for a back-off period instead of retrying
// at once: the pending connection keeps the socket readable, so retrying would spin. SIGTERM
// and SIGINT call the shutdown callback. io_context thread only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>

#include "ksim/daemon/server/peer_credentials.hpp"
#include "ksim/proto/error.hpp"
#include "session.hpp"

namespace ksim::daemon::server {

class RequestHandler;
class SessionSet;

// How long the acceptor pauses after running out of descriptors: the first pause, doubled while
// it persists, up to the last; an accepted connection resets it.
inline constexpr std::chrono::milliseconds kAcceptBackoffFirst{100};
inline constexpr std::chrono::milliseconds kAcceptBackoffMax{1000};

struct ServerOptions {
    std::filesystem::path socket_path;
    AccessRule access;  // who may connect (peer_credentials.hpp)
    // Tests only: rewrites what SO_PEERCRED said about a peer (a refusal without a second user).
    std::function<void(PeerCredentials&)> credentials_hook;
    bool handle_signals = true;
    SessionLimits limits;
};

class Server {
public:
    Server(boost::asio::io_context& io, ServerOptions options, SessionSet& sessions, RequestHandler& handler,
           std::function<void(int signal)> on_signal);

    // Binds and listens (the path must have been claimed). Errors: Io.
    Result<void> listen();
    // Stops accepting, stops watching signals and removes the socket file. Idempotent.
    void stop();

private:
    void accept_next();
    // After an accept error: pause (resource exhaustion) or retry at once.
    void accept_failed(const boost::system::error_code& ec);
    void on_accepted(boost::asio::local::stream_protocol::socket socket);
    // Tells a refused peer why, before its socket closes.
    static void refuse(boost::asio::local::stream_protocol::socket& socket, const Error& why);

    boost::asio::io_context& io_;
    ServerOptions options_;
    SessionSet& sessions_;
    RequestHandler& handler_;
    std::function<void(int)> on_signal_;
    boost::asio::local::stream_protocol::acceptor acceptor_;
    boost::asio::signal_set signals_;
    boost::asio::steady_timer accept_pause_;
    std::chrono::milliseconds next_pause_ = kAcceptBackoffFirst;
    ClientId next_client_id_ = 1;
    bool listening_ = false;
};

}  // namespace ksim::daemon::server
