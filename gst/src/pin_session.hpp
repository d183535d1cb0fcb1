// PinSession: one element's hold on one user-hosted pin of ksimd — the libksim set-up both
// elements share, in the order every libksim program follows (docs/client.md):
//   open():  connect, wait for the graph manager's commit, ACQUIRE (the pool exists from here),
//            open the stream (maps the pool: read-only for ksimsrc, writable for ksimsink),
//            ask the pin's data format (KSPROPERTY_CONNECTION_DATAFORMAT);
//   run():   the peer pin, then ours, to RUN (the element going to PLAYING);
//   pause(): ours, then the peer, to PAUSE (PLAYING -> PAUSED);
//   destroyed: ours, then the peer, back to STOP (the element leaving PAUSED for READY / NULL).
// It does not reconnect: a lost ksimd is an element error (the pipeline decides what next).
// Used from the element's state-change thread; stream() from its streaming thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "ksim/client/client.hpp"
#include "ksim/client/stream.hpp"

namespace ksim::gst {

enum class PinRole { Consumer, Producer };  // ksimsrc reads a sink pin; ksimsink feeds a source pin

struct PinSessionOptions {
    std::string socket;  // empty: libksim's default socket
    std::string pin;     // FILTER.PIN
    std::string client_name;
    PinRole role = PinRole::Consumer;
    std::chrono::milliseconds commit_timeout{10'000};
};

class PinSession {
public:
    // Errors name the step that failed ("connect: cannot connect to ksimd at ...").
    static Result<std::unique_ptr<PinSession>> open(const PinSessionOptions& options);
    ~PinSession();
    PinSession(const PinSession&) = delete;
    PinSession& operator=(const PinSession&) = delete;

    Result<void> run();
    Result<void> pause();

    [[nodiscard]] client::Stream& stream() { return *stream_; }
    [[nodiscard]] client::Client& client() { return client_; }
    [[nodiscard]] const proto::PinRef& pin() const { return pin_; }
    [[nodiscard]] const proto::DataFormat& format() const { return format_; }

private:
    PinSession(client::Client client, proto::PinRef pin) : client_(std::move(client)), pin_(std::move(pin)) {}
    Result<void> walk(proto::PinState state, bool peer_first);

    client::Client client_;
    proto::PinRef pin_;
    std::optional<proto::PinRef> peer_;
    std::unique_ptr<client::Stream> stream_;
    proto::DataFormat format_;
};

}  // namespace ksim::gst
