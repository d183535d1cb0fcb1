// status, report_unsatisfied and reset_statistics: what an operator asks when nothing streams,
// and the counters it may zero.
#include <fmt/format.h>

#include "request_handler.hpp"

namespace ksim::daemon::server {
namespace {

using nlohmann::json;

std::string connection_key(const proto::PinRef& from, const proto::PinRef& to) {
    return from.to_string() + "->" + to.to_string();
}

}  // namespace

Result<Body> RequestHandler::on_status() const {
    wire::StatusReply reply;
    reply.daemon_version = daemon_version_;
    reply.topology = kernel_.topology_name();
    if (graph_manager_) reply.graph_manager = wire::GraphManagerInfo{*graph_manager_, graph_manager_name_};
    reply.busy_poll_drain = rings_.busy_poll_drain();
    reply.busy_poll_drains = rings_.busy_poll_drains();
    const auto connections = kernel_.connections();
    reply.connections = connections.size();
    for (const auto& c : connections) {
        if (c.decision) {
            ++reply.committed_connections;
            continue;
        }
        ++reply.uncommitted_total;
        if (reply.uncommitted.size() >= wire::kStatusMaxUncommitted) continue;
        wire::UncommittedConnection u{c.from, c.to, {}, {}, {}};
        if (auto it = uncommitted_why_.find(connection_key(u.from, u.to)); it != uncommitted_why_.end()) {
            u.rule = it->second.rule;
            u.reason = it->second.reason;
            u.source = it->second.source;
        }
        reply.uncommitted.push_back(std::move(u));
    }
    return Body{json(reply)};
}

Result<Body> RequestHandler::on_report_unsatisfied(const json& message) {
    auto request = wire::decode_body<wire::ReportUnsatisfiedRequest>(message);
    if (!request) return std::unexpected(request.error());
    remember_uncommitted(
        request->connections,
        {loggable(request->rule), loggable(request->message, kLoggableMessageBytes), "graph-manager"});
    return Body{};
}

void RequestHandler::remember_uncommitted(
    const std::vector<std::pair<proto::PinRef, proto::PinRef>>& connections, const UncommittedWhy& why) {
    // Bounded by the live connections: what is kept for a connection that went away goes now.
    std::map<std::string, UncommittedWhy> kept;
    for (const auto& c : kernel_.connections()) {
        const std::string key = connection_key(c.from, c.to);
        const bool named = std::ranges::any_of(
            connections, [&](const auto& p) { return connection_key(p.first, p.second) == key; });
        if (named)
            kept.emplace(key, why);
        else if (auto it = uncommitted_why_.find(key); it != uncommitted_why_.end())
            kept.emplace(key, std::move(it->second));
    }
    uncommitted_why_ = std::move(kept);
}

void RequestHandler::forget_uncommitted(
    const std::vector<std::pair<proto::PinRef, proto::PinRef>>& connections) {
    for (const auto& [from, to] : connections) uncommitted_why_.erase(connection_key(from, to));
}

Result<Body> RequestHandler::on_reset_statistics(const json& message) {
    auto request = wire::decode_body<wire::ResetStatisticsRequest>(message);
    if (!request) return std::unexpected(request.error());
    std::optional<proto::PinRef> only;
    if (request->pin) only = *request->pin;
    auto reset = kernel_.reset_stats(only);
    if (!reset) return std::unexpected(reset.error());
    return Body{json(wire::ResetStatisticsReply{*reset})};
}

}  // namespace ksim::daemon::server
