// RequestHandler: maps decoded protocol messages onto Kernel calls and builds the replies. No
// I/O: it returns the reply (and any descriptors to attach) for the Session to send. Enforces
// the handshake (hello first, protocol version), roles (commit is graph-manager only; one graph
// manager at a time; operator only from ksimd's own uid) and turns every failure into an error reply with a
// stable Errc code. Called on the io_context thread only.
#pragma once

#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ksim/daemon/kernel.hpp"
#include "ksim/daemon/server/daemon_app.hpp"
#include "ksim/shm/unique_fd.hpp"
#include "ksim/wire/envelope.hpp"
#include "session_context.hpp"

namespace ksim::daemon::server {

class StreamRings;

// An event the session broadcasts to every subscriber of `type` once the reply is queued.
struct Broadcast {
    wire::MessageType type;
    nlohmann::json event;  // the full event (envelope + body)
};

struct Response {
    Response(nlohmann::json m, std::vector<shm::UniqueFd> f = {}, std::vector<Broadcast> e = {})
        : message(std::move(m)), fds(std::move(f)), events(std::move(e)) {}
    nlohmann::json message;          // the full reply (envelope + body)
    std::vector<shm::UniqueFd> fds;  // SCM_RIGHTS, in fd_index order
    std::vector<Broadcast> events;   // what the request changed that subscribers must hear about
};

// A reply body plus descriptors, before the envelope is added.
struct Body {
    Body() = default;
    explicit Body(nlohmann::json j, std::vector<shm::UniqueFd> f = {})
        : json(std::move(j)), fds(std::move(f)) {}
    nlohmann::json json = nlohmann::json::object();
    std::vector<shm::UniqueFd> fds;
    std::vector<Broadcast> events;
};

// What one client may make the daemon hold through create_pin (DaemonOptions).
struct ClientCaps {
    std::size_t max_pins = kMaxPinsPerClient;
    std::size_t max_framing_bytes = kMaxFramingBytesPerClient;
};

// Why a connection has no committed pipe, as `status` reports it (wire::UncommittedConnection).
struct UncommittedWhy {
    std::string rule;
    std::string reason;
    std::string source;  // "graph-manager" (report_unsatisfied) or "ksimd" (a refused commit)
};

class RequestHandler {
public:
    RequestHandler(Kernel& kernel, StreamRings& rings, std::string daemon_version,
                   std::uint32_t ring_capacity = 64, ClientCaps caps = {});

    Response handle(SessionContext& session, const nlohmann::json& message);
    // The session ended: reclaim everything the client held. Returns the events to broadcast:
    // client_gone, then connection_changed for each connection that went with its pins (none
    // for a session that never completed hello).
    std::vector<Broadcast> session_closed(const SessionContext& session, const std::string& reason);

private:
    Result<Body> dispatch(SessionContext& session, wire::MessageType type, const nlohmann::json& message);
    Result<Body> on_hello(SessionContext& session, const nlohmann::json& message);
    Result<Body> on_list(const nlohmann::json& message);
    Result<Body> on_get_property(const nlohmann::json& message);
    Result<Body> on_connections(const nlohmann::json& message);
    Result<Body> on_create_pin(SessionContext& session, const nlohmann::json& message);
    Result<Body> on_connect(const SessionContext& session, const nlohmann::json& message);
    Result<Body> on_set_state(const SessionContext& session, const nlohmann::json& message);
    Result<Body> on_commit(const nlohmann::json& message);
    Result<Body> on_open_stream(const SessionContext& session, const nlohmann::json& message);
    Result<Body> on_release_frame(const SessionContext& session, const nlohmann::json& message);
    Result<Body> on_acquire_frame(const SessionContext& session, const nlohmann::json& message);
    Result<Body> on_submit_frame(const SessionContext& session, const nlohmann::json& message);
    Result<Body> on_ledger(const nlohmann::json& message);
    Result<Body> on_subscribe(SessionContext& session, const nlohmann::json& message);
    Result<Body> on_status() const;
    Result<Body> on_report_unsatisfied(const nlohmann::json& message);
    Result<Body> on_reset_statistics(const nlohmann::json& message);
    // Remembers why `connections` have no committed pipe (for `status`), dropping what is kept
    // for connections that no longer exist; forget() once a commit covers them.
    void remember_uncommitted(const std::vector<std::pair<proto::PinRef, proto::PinRef>>& connections,
                              const UncommittedWhy& why);
    void forget_uncommitted(const std::vector<std::pair<proto::PinRef, proto::PinRef>>& connections);

    Kernel& kernel_;
    StreamRings& rings_;
    std::string daemon_version_;
    std::uint32_t ring_capacity_;
    ClientCaps caps_;
    std::optional<ClientId> graph_manager_;
    std::string graph_manager_name_;
    std::map<std::string, UncommittedWhy> uncommitted_why_;  // by "from->to"
    uid_t daemon_uid_ = ::geteuid();                         // the operator role is for this uid only
};

// Conversions between wire and daemon types (also used by the kernel bridge).
wire::AllocatorFailure to_wire(const AllocatorFailure& failure);
wire::VerifierViolation to_wire(const VerifierViolation& violation);

}  // namespace ksim::daemon::server
