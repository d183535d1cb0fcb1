#include "graph_manager.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "daemon_snapshot.hpp"
#include "graph_builder.hpp"
#include "ksim/log/logger.hpp"
#include "ksim/negotiation/negotiate.hpp"
#include "ksim/wire/envelope.hpp"

namespace ksim::graphmgr {
namespace {

std::shared_ptr<spdlog::logger> gm_log() {
    static auto logger = log::logger("graphmgr");
    return logger;
}

}  // namespace

GraphManager::GraphManager(ManagerOptions options, client::Client client)
    : options_(std::move(options)), client_(std::move(client)) {}

namespace {

client::ConnectOptions manager_connect_options(const ManagerOptions& options) {
    client::ConnectOptions co;
    co.socket_path = options.socket_path;
    co.role = wire::Role::GraphManager;
    co.name = options.name;
    return co;
}

// Sleeps `delay` in slices of `slice`, returning early (false) once `stop` is set: a signal
// does not interrupt the sleep.
bool sleep_unless_stopped(std::chrono::milliseconds delay, std::chrono::milliseconds slice,
                          const std::atomic<bool>& stop) {
    const auto until = std::chrono::steady_clock::now() + delay;
    while (!stop.load(std::memory_order_relaxed)) {
        const auto left = until - std::chrono::steady_clock::now();
        if (left <= std::chrono::steady_clock::duration::zero()) return true;
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, slice));
    }
    return false;
}

}  // namespace

Result<std::unique_ptr<GraphManager>> GraphManager::connect(ManagerOptions options) {
    auto c = client::Client::connect(manager_connect_options(options));
    if (!c) return std::unexpected(c.error());
    return std::unique_ptr<GraphManager>(new GraphManager(std::move(options), std::move(*c)));
}

Result<PassReport> GraphManager::negotiate_and_commit() {
    auto snapshot = read_snapshot(client_);
    if (!snapshot) return std::unexpected(snapshot.error());
    BuiltGraph built = build_graph(*snapshot);
    auto result = negotiation::negotiate(built.graph);
    // The daemon's own graph is always well formed; a failure here means it answered nonsense.
    if (!result)
        return fail(Errc::ProtocolError, "the daemon's graph is not negotiable: " + result.error().message);

    PassReport report;
    report.warnings = std::move(built.warnings);
    report.plans = plan_commits(*result, *snapshot);
    report.result = std::move(*result);
    for (auto& plan : report.plans) {
        switch (plan.action) {
            case PipeAction::AlreadyCommitted:
                ++report.unchanged;
                break;
            case PipeAction::WaitForStop:
                ++report.waiting;
                break;
            case PipeAction::Unsatisfied: {
                ++report.unsatisfied;
                // ksimd keeps why for `ksimctl status`; a daemon that predates the request
                // refuses it, which changes nothing here.
                auto r = client_.call<wire::EmptyReply>(
                    wire::ReportUnsatisfiedRequest{plan.request.connections, plan.rule, plan.message});
                if (!r && r.error().code == Errc::Disconnected) return std::unexpected(r.error());
                break;
            }
            case PipeAction::Commit: {
                auto r = client_.commit(plan.request);
                if (r) {
                    ++report.committed;
                } else if (r.error().code == Errc::Disconnected) {
                    return std::unexpected(r.error());
                } else if (r.error().code == Errc::InvalidState) {
                    // A pin started between our read and the commit; retried when it stops.
                    plan.action = PipeAction::WaitForStop;
                    plan.reason = r.error().message;
                    ++report.waiting;
                } else {
                    ++report.rejected;
                    plan.reason = std::string(ksim::to_string(r.error().code)) + ": " + r.error().message;
                }
                break;
            }
        }
    }
    waiting_for_stop_ = report.waiting > 0;
    return report;
}

Result<void> GraphManager::commit_pass_logged() {
    auto report = negotiate_and_commit();
    if (!report) {
        if (report.error().code == Errc::Disconnected) return std::unexpected(report.error());
        // The graph changed under us (a client left mid-read) or answered oddly: the next event
        // (or safety-net rescan) tries again; a long-running manager does not give up on one bad pass.
        gm_log()->error("pass failed: {} ({})", report.error().message, ksim::to_string(report.error().code));
        return {};
    }
    for (const auto& w : report->warnings) gm_log()->warn("{}", w);
    for (const auto& plan : report->plans) {
        switch (plan.action) {
            case PipeAction::Commit:
                if (plan.reason.empty())
                    gm_log()->info("committed {}", describe(plan));
                else
                    gm_log()->error("daemon refused {}: {}", describe(plan), plan.reason);
                break;
            case PipeAction::AlreadyCommitted:
                gm_log()->debug("unchanged {}", describe(plan));
                break;
            case PipeAction::WaitForStop:
                gm_log()->info("deferred {}: {}", describe(plan), plan.reason);
                break;
            case PipeAction::Unsatisfied:
                gm_log()->warn("{}", describe(plan));
                break;
        }
    }
    gm_log()->info("pass: {} committed, {} unchanged, {} waiting for STOP, {} unsatisfied, {} refused",
                   report->committed, report->unchanged, report->waiting, report->unsatisfied,
                   report->rejected);
    return {};
}

namespace {

// Events that can change what the negotiation would decide.
bool graph_changed(wire::MessageType type) {
    return type == wire::MessageType::FramingChanged || type == wire::MessageType::ConnectionChanged ||
           type == wire::MessageType::ClientGone;
}

}  // namespace

Result<void> GraphManager::run(const std::atomic<bool>& stop) {
    for (;;) {
        auto r = run_session(stop);
        if (r || !options_.reconnect || r.error().code != Errc::Disconnected) return r;
        gm_log()->warn("lost ksimd at {} ({}); reconnecting", options_.socket_path, r.error().message);
        if (!reconnect(stop)) break;
    }
    gm_log()->info("stopping");
    return {};
}

bool GraphManager::reconnect(const std::atomic<bool>& stop) {
    using Clock = std::chrono::steady_clock;
    const auto lost_at = Clock::now();
    auto delay = options_.reconnect_initial_delay;
    for (unsigned attempt = 1;; ++attempt) {
        if (!sleep_unless_stopped(delay, options_.stop_check_interval, stop)) return false;
        auto c = client::Client::connect(manager_connect_options(options_));
        if (c) {
            client_ = std::move(*c);
            waiting_for_stop_ = false;
            ++reconnects_;
            const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - lost_at);
            gm_log()->info("reconnected to ksimd at {} after {} ms ({} attempt(s)); re-committing",
                           options_.socket_path, gap.count(), attempt);
            return true;
        }
        // Busy too: the daemon may not have seen the old manager session end yet.
        gm_log()->debug("reconnect attempt {}: {}", attempt, c.error().message);
        delay = std::min(delay * 2, options_.reconnect_max_delay);
    }
}

Result<void> GraphManager::run_session(const std::atomic<bool>& stop) {
    // Subscribed before the first read, so no change between the read and the first wait is lost.
    if (auto r = client_.connection().subscribe(); !r) return r;
    if (auto r = commit_pass_logged(); !r) return r;
    const bool safety_net = options_.rescan_interval.count() > 0;
    std::vector<wire::ConnectionInfo> seen;
    auto next_rescan = std::chrono::steady_clock::now() + options_.rescan_interval;
    if (safety_net) {
        auto now = read_connections(client_);
        if (!now) return std::unexpected(now.error());
        seen = std::move(*now);
    }

    while (!stop.load(std::memory_order_relaxed)) {
        bool pass = false;
        auto wait = options_.stop_check_interval;
        if (safety_net)
            wait = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  next_rescan - std::chrono::steady_clock::now()),
                              std::chrono::milliseconds(0), wait);
        auto event = client_.connection().next_event(wait);
        if (event) {
            if (graph_changed(event->type)) {
                gm_log()->info("{} {}: renegotiating", wire::to_string(event->type), event->body.dump());
                pass = true;
            } else if (event->type == wire::MessageType::AllocatorFailed) {
                // No fallback: the decision stands until a pass commits another, so this is news
                // for the operator, not a reason to renegotiate.
                auto ev = wire::decode_body<wire::AllocatorFailedEvent>(event->body);
                gm_log()->warn("allocator_failed: {}", ev ? ev->detail : event->body.dump());
            } else if (event->type == wire::MessageType::StateChanged) {
                auto ev = wire::decode_body<wire::StateChangedEvent>(event->body);
                pass = waiting_for_stop_ && ev && ev->state == proto::PinState::Stop;
            }  // our own commits, drops, frames: nothing to negotiate
        } else if (event.error().code != Errc::Timeout) {
            return std::unexpected(event.error());
        }
        if (!pass && safety_net && std::chrono::steady_clock::now() >= next_rescan) {
            next_rescan = std::chrono::steady_clock::now() + options_.rescan_interval;
            auto now = read_connections(client_);
            if (!now) return std::unexpected(now.error());
            pass = !same_connections(*now, seen);
            if (pass) gm_log()->info("safety-net rescan: the connections changed since the last pass");
        }
        if (!pass) continue;
        if (auto r = commit_pass_logged(); !r) return r;
        if (safety_net) {
            auto now = read_connections(client_);
            if (!now) return std::unexpected(now.error());
            seen = std::move(*now);
        }
    }
    return {};
}

}  // namespace ksim::graphmgr
