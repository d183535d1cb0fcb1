// What both examples do before frames flow, written once. Read it top to bottom: it is the
// sequence every libksim program that streams from a pin goes through.
//
//   1. connect to ksimd (the socket from --socket, or the default path);
//   2. wait for the graph manager to commit an allocator for the pin's connection;
//   3. ACQUIRE the pin: the allocator and its pool exist from this state on;
//   4. open the stream: maps the pool (read-only for a consumer, writable for a producer);
//   5. RUN the peer pin (the other end of the connection), then ours.
//
// The session puts both pins back to STOP when it ends, however the program leaves.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "ksim/client/client.hpp"
#include "ksim/client/socket_path.hpp"
#include "ksim/client/stream.hpp"

namespace ksim::examples {

// The options that say where the daemon and the pin are.
struct PinOptions {
    std::string socket;        // empty: the default socket (client/socket_path.hpp)
    std::string pin;           // FILTER.PIN
    double wait_seconds = 10;  // for the graph manager's commit
};

inline void add_pin_options(CLI::App& app, PinOptions& options, const std::string& pin_help) {
    app.add_option("--socket", options.socket, "ksimd socket (default: $XDG_RUNTIME_DIR/ksim/ksimd.sock)");
    app.add_option("--pin", options.pin, pin_help + " (FILTER.PIN)");
    app.add_option("--wait", options.wait_seconds, "seconds to wait for the graph manager's commit");
}

// Prints "program: what: message" on stderr; returns the exit status for main.
inline int fail_with(const std::string& program, const std::string& what, const Error& e) {
    std::cerr << program << ": " << what << ": " << e.message << "\n";
    return 1;
}

// One client, one running pin and its open stream.
class PinSession {
public:
    // Steps 1-5 above. The error names the step that failed ("acquire: ...").
    static Result<std::unique_ptr<PinSession>> start(const PinOptions& options,
                                                     const std::string& client_name) {
        auto failed = [](const std::string& step, Error e) {
            e.message = step + ": " + e.message;
            return std::unexpected(std::move(e));
        };
        auto pin = wire::parse_pin_ref(options.pin);
        if (!pin)
            return failed("--pin", Error{Errc::InvalidArgument, "expected FILTER.PIN, got " + options.pin});

        client::ConnectOptions connect;
        connect.socket_path = client::resolve_socket_path(options.socket);
        connect.name = client_name;
        auto client = client::Client::connect(connect);  // 1
        if (!client) return failed("connect", client.error());
        std::unique_ptr<PinSession> session(new PinSession(std::move(*client), *pin));
        client::Client& c = session->client_;

        const auto wait = std::chrono::milliseconds(static_cast<long>(options.wait_seconds * 1000));
        if (auto committed = c.wait_until_committed(*pin, wait); !committed)  // 2
            return failed("waiting for an allocator", committed.error());
        if (auto acquired = c.set_state(*pin, proto::PinState::Acquire); !acquired)  // 3
            return failed("acquire", acquired.error());
        auto stream = c.open_stream(*pin);  // 4
        if (!stream) return failed("open stream", stream.error());
        session->stream_ = std::move(*stream);

        if (auto state = c.connection_state(*pin); state && state->peer) session->peer_ = state->peer;
        for (const auto& p : {session->peer_.value_or(*pin), *pin})  // 5
            if (auto run = c.set_state(p, proto::PinState::Run); !run)
                return failed("run " + p.to_string(), run.error());
        return session;
    }

    // Our pin first, so it stops taking (or giving) frames before its peer stops.
    ~PinSession() {
        for (const auto& p : {pin_, peer_.value_or(pin_)}) (void)client_.set_state(p, proto::PinState::Stop);
    }
    PinSession(const PinSession&) = delete;
    PinSession& operator=(const PinSession&) = delete;

    [[nodiscard]] client::Client& client() { return client_; }
    [[nodiscard]] client::Stream& stream() { return *stream_; }
    // The pin at the other end of the connection, when it has one.
    [[nodiscard]] const std::optional<proto::PinRef>& peer() const { return peer_; }

private:
    PinSession(client::Client client, proto::PinRef pin) : client_(std::move(client)), pin_(std::move(pin)) {}

    client::Client client_;
    proto::PinRef pin_;
    std::optional<proto::PinRef> peer_;
    std::unique_ptr<client::Stream> stream_;
};

// After ksimd went away: starts a new session (steps 1-5 against the daemon that comes back),
// trying again after 100 ms, doubling the delay up to 2 s, for at most `give_up_after`. Prints
// the gap on stderr ("reconnected after N ms; frames in flight were lost"). The old session must
// be gone first (its pins are the daemon's to reset).
inline Result<std::unique_ptr<PinSession>> restart_after_loss(const PinOptions& options,
                                                              const std::string& program,
                                                              std::chrono::milliseconds give_up_after) {
    using Clock = std::chrono::steady_clock;
    const auto lost_at = Clock::now();
    auto delay = std::chrono::milliseconds(100);
    for (unsigned attempt = 1;; ++attempt) {
        std::this_thread::sleep_for(delay);  // back-off between attempts, not synchronisation
        auto session = PinSession::start(options, program);
        const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - lost_at);
        if (session) {
            std::cerr << program << ": reconnected to ksimd after " << gap.count() << " ms (" << attempt
                      << " attempt(s)); frames in flight were lost\n";
            return session;
        }
        if (gap >= give_up_after) return session;
        delay = std::min(delay * 2, std::chrono::milliseconds(2000));
    }
}

}  // namespace ksim::examples
