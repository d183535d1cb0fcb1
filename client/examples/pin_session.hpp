// What both examples do before frames flow, written once. Read it top to bottom: it is the
// sequence every libksim program that streams from a pin goes through.
//
//   1. connect to ksimd (the socket from --socket, or the default path);
//   2. wait for the graph manager to commit an allocator for the pin's connection;
//   3. ACQUIRE the pin: the allocator and its pool exist from this state on;
//   4. open the stream: maps the pool (read-only for a consumer, writable for a producer);
//   5. RUN the peer pin (the other end of the connection), then ours.
//
// The session puts both pins back to STOP when it ends, however the program leaves. With
// --reconnect S, libksim itself resumes the session when ksimd goes away (ConnectOptions::
// reconnect): it reconnects with backoff, redoes steps 2-5 and reports the gap, which the session
// prints on stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "ksim/cli/command_line.hpp"
#include "ksim/client/client.hpp"
#include "ksim/client/socket_path.hpp"
#include "ksim/client/stream.hpp"
#include "ksim/proto/topology.hpp"

namespace ksim::examples {

// The options that say where the daemon and the pin are.
struct PinOptions {
    std::string socket;             // empty: the default socket (client/socket_path.hpp)
    std::string pin;                // FILTER.PIN
    double wait_seconds = 10;       // for the graph manager's commit
    double reconnect_seconds = 30;  // 0: a lost ksimd ends the program
};

inline void add_pin_options(CLI::App& app, PinOptions& options, const std::string& pin_help) {
    app.add_option("--socket", options.socket,
                   "ksimd socket (default: $KSIM_SOCKET, else $XDG_RUNTIME_DIR/ksim/ksimd.sock)");
    // A malformed pin is a usage error (exit 2), like any other bad argument.
    app.add_option("--pin", options.pin, pin_help + " (FILTER.PIN)")->check([](const std::string& text) {
        return proto::parse_pin_ref(text) ? std::string() : "expected FILTER.PIN, e.g. viewer.input";
    });
    app.add_option("--wait", options.wait_seconds, "seconds to wait for the graph manager's commit");
    app.add_option("--reconnect", options.reconnect_seconds,
                   "when ksimd goes away, reconnect for up to this many seconds (0: exit instead)");
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
        auto pin = proto::parse_pin_ref(options.pin);
        if (!pin)
            return failed("--pin", Error{Errc::InvalidArgument, "expected FILTER.PIN, got " + options.pin});

        client::ConnectOptions connect;
        connect.socket_path = client::resolve_socket_path(options.socket);
        connect.name = client_name;
        auto gaps = std::make_shared<unsigned>(0);
        if (options.reconnect_seconds > 0) connect.reconnect = report_gaps(client_name, options, gaps);
        auto client = client::Client::connect(connect);  // 1
        if (!client) return failed("connect", client.error());
        std::unique_ptr<PinSession> session(new PinSession(std::move(*client), *pin, gaps));
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
    // How many times libksim resumed the session after ksimd went away.
    [[nodiscard]] unsigned gaps() const { return *gaps_; }

private:
    PinSession(client::Client client, proto::PinRef pin, std::shared_ptr<unsigned> gaps)
        : client_(std::move(client)), pin_(std::move(pin)), gaps_(std::move(gaps)) {}

    // The libksim policy: retry after 100 ms, doubling up to 2 s, for --reconnect seconds; each
    // loss and each gap is a line on stderr. The callbacks run on the thread whose call found
    // ksimd gone (here the only one), so the counter needs no lock.
    static client::ReconnectPolicy report_gaps(const std::string& program, const PinOptions& options,
                                               std::shared_ptr<unsigned> gaps) {
        client::ReconnectPolicy policy;
        policy.give_up_after = std::chrono::milliseconds(static_cast<long>(options.reconnect_seconds * 1000));
        policy.on_lost = [program](const Error& why) {
            std::cerr << program << ": " << why.message << "; reconnecting\n";
        };
        policy.on_gap = [program, gaps](const client::Gap& gap) {
            ++*gaps;
            std::cerr << program << ": reconnected to ksimd after " << gap.duration.count() << " ms ("
                      << gap.attempts << " attempt(s)); frames in flight were lost (up to "
                      << gap.frames_possibly_lost << ")\n";
        };
        return policy;
    }

    client::Client client_;
    proto::PinRef pin_;
    std::shared_ptr<unsigned> gaps_;
    std::optional<proto::PinRef> peer_;
    std::unique_ptr<client::Stream> stream_;
};

}  // namespace ksim::examples
