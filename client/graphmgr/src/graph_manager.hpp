// GraphManager: the KS proxy's allocator role as a separate process. It connects to ksimd with
// the graph-manager role (the daemon admits one at a time), reads every pin's framing and driver
// facts over the protocol, runs the negotiation engine and commits one decision per pipe. In
// run() it keeps going, driven by ksimd's events: it renegotiates when a pin's framing changes,
// a connection is made or removed, or a client goes away, and commits decisions that had to wait
// for a pin to return to STOP.
//
// Thread: one thread owns a GraphManager (run() blocks on it); the stop flag may be set from a
// signal handler.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "commit_plan.hpp"
#include "ksim/client/client.hpp"
#include "ksim/negotiation/record.hpp"

namespace ksim::graphmgr {

struct ManagerOptions {
    std::string socket_path;  // empty: the default path (client::default_socket_path)
    std::string name = "ksim-graphmgr";
    // Safety net only: every rescan_interval run() also re-reads `connections` and runs a pass
    // when they differ from the last pass. 0 = off (the default): ksimd announces every change
    // as an event (connection_changed, framing_changed, client_gone), which triggers a pass at once.
    std::chrono::milliseconds rescan_interval{0};
    // How long run() waits for an event before it looks at the stop flag again (a signal does not
    // interrupt the wait). Not a poll of the daemon: nothing is sent when it expires.
    std::chrono::milliseconds stop_check_interval{200};
    // When ksimd goes away, run() reconnects instead of returning Disconnected: it tries again
    // after reconnect_initial_delay, doubling the delay up to reconnect_max_delay, then subscribes
    // and runs a full pass against the daemon that came back (re-committing every pipe).
    bool reconnect = false;
    std::chrono::milliseconds reconnect_initial_delay{100};
    std::chrono::milliseconds reconnect_max_delay{2000};
};

// What one negotiation pass did.
struct PassReport {
    negotiation::NegotiationResult result;
    std::vector<PipePlan> plans;
    std::vector<std::string> warnings;
    std::size_t committed = 0;  // commits the daemon accepted in this pass
    std::size_t rejected = 0;   // commits the daemon refused (its re-validation)
    std::size_t unchanged = 0;  // already committed (resumed)
    std::size_t waiting = 0;    // waiting for STOP
    std::size_t unsatisfied = 0;

    [[nodiscard]] bool complete() const { return rejected == 0 && waiting == 0 && unsatisfied == 0; }
};

class GraphManager {
public:
    // Connects as graph manager. Errors: Busy (another manager is connected), Disconnected
    // (no daemon at the path), ProtocolError, Timeout.
    static Result<std::unique_ptr<GraphManager>> connect(ManagerOptions options);

    // Reads the graph, negotiates every connection, commits what is not committed yet.
    // Errors only for a failed exchange with the daemon (Disconnected, ...); unsatisfied or
    // refused pipes are counted in the report.
    Result<PassReport> negotiate_and_commit();

    // Subscribes to events, runs a pass, then reacts to framing changes, new pins and
    // connections and pins returning to STOP until `stop` is set (returns {}) or the daemon goes
    // away (returns Disconnected; with options.reconnect it reconnects and goes on instead).
    Result<void> run(const std::atomic<bool>& stop);

    [[nodiscard]] client::Client& client() { return client_; }
    // How many times run() reconnected to ksimd.
    [[nodiscard]] unsigned reconnects() const { return reconnects_; }

private:
    GraphManager(ManagerOptions options, client::Client client);
    // One session: run() until `stop` or the daemon goes away.
    Result<void> run_session(const std::atomic<bool>& stop);
    // Connects again with back-off; false when `stop` was set first.
    bool reconnect(const std::atomic<bool>& stop);
    Result<void> commit_pass_logged();

    ManagerOptions options_;
    client::Client client_;
    bool waiting_for_stop_ = false;
    unsigned reconnects_ = 0;
};

}  // namespace ksim::graphmgr
