#include "commit_plan.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ksim::graphmgr {
namespace {

proto::PinRef pin_ref(std::string_view id) {
    auto ref = proto::parse_pin_ref(id);
    return ref ? *ref : proto::PinRef{std::string(id), ""};  // engine ids come from the daemon: always "f.p"
}

bool same(const wire::AllocatorDecision& a, const wire::AllocatorDecision& b) {
    return a.kind == b.kind && a.provider == b.provider && a.memory_type == b.memory_type &&
           a.frame_size == b.frame_size && a.frames == b.frames && a.alignment_mask == b.alignment_mask;
}

const wire::ConnectionInfo* find_connection(const DaemonSnapshot& s, const proto::PinRef& from,
                                            const proto::PinRef& to) {
    for (const auto& c : s.connections)
        if (c.from == from && c.to == to) return &c;
    return nullptr;
}

const negotiation::ConnectionRecord* find_record(const negotiation::NegotiationResult& r,
                                                 std::string_view id) {
    for (const auto& c : r.connections)
        if (c.id == id) return &c;
    return nullptr;
}

PipePlan plan_pipe(const negotiation::NegotiationResult& result, const negotiation::PipeRecord& pipe,
                   const DaemonSnapshot& snapshot) {
    PipePlan plan;
    plan.pipe = pipe.id;
    for (const auto& id : pipe.connections)
        if (const auto* rec = find_record(result, id))
            plan.request.connections.emplace_back(pin_ref(rec->from), pin_ref(rec->to));

    const negotiation::Decision& d = pipe.decision;
    if (d.status == negotiation::Status::Failed || !d.allocator) {
        plan.action = PipeAction::Unsatisfied;
        plan.rule = d.failure ? std::string(d.failure->rule) : std::string();
        plan.message = d.failure ? std::string(d.failure->message) : "no allocator satisfies the pipe";
        plan.reason = d.failure ? fmt::format("{}: {}", plan.rule, plan.message) : plan.message;
        return plan;
    }
    plan.request.decision =
        wire::AllocatorDecision{d.allocator->kind,    pin_ref(d.allocator->pin), d.allocator->memory_type,
                                d.framing.frame_size, d.framing.frames,          d.framing.alignment_mask};

    const bool committed = std::ranges::all_of(plan.request.connections, [&](const auto& c) {
        const auto* info = find_connection(snapshot, c.first, c.second);
        return info && info->decision && same(*info->decision, plan.request.decision);
    });
    if (committed) {
        plan.action = PipeAction::AlreadyCommitted;
        return plan;
    }
    for (const auto& pin_id : pipe.pins) {
        const wire::PinInfo* pin = snapshot.find_pin(std::string(pin_id));
        if (pin && pin->state != proto::PinState::Stop) {
            plan.action = PipeAction::WaitForStop;
            plan.reason = fmt::format("{} is in {}; the decision is committed once it is back in STOP",
                                      pin_id, proto::to_string(pin->state));
            return plan;
        }
    }
    plan.action = PipeAction::Commit;
    return plan;
}

}  // namespace

std::vector<PipePlan> plan_commits(const negotiation::NegotiationResult& result,
                                   const DaemonSnapshot& snapshot) {
    std::vector<PipePlan> plans;
    plans.reserve(result.pipes.size());
    for (const auto& pipe : result.pipes) plans.push_back(plan_pipe(result, pipe, snapshot));
    return plans;
}

std::string describe(const PipePlan& plan) {
    std::string conns;
    for (const auto& [from, to] : plan.request.connections)
        conns += (conns.empty() ? "" : ", ") + from.to_string() + "->" + to.to_string();
    if (plan.action == PipeAction::Unsatisfied)
        return fmt::format("{} ({}): unsatisfied: {}", plan.pipe, conns, plan.reason);
    const auto& d = plan.request.decision;
    return fmt::format("{} ({}): {} allocator from {}, {} x {} B, align {:#x}, memory {}", plan.pipe, conns,
                       wire::to_string(d.kind), d.provider.to_string(), d.frames, d.frame_size,
                       d.alignment_mask, d.memory_type.to_string());
}

std::string_view to_string(PipeAction a) {
    switch (a) {
        case PipeAction::Commit:
            return "commit";
        case PipeAction::AlreadyCommitted:
            return "already-committed";
        case PipeAction::WaitForStop:
            return "wait-for-stop";
        case PipeAction::Unsatisfied:
            return "unsatisfied";
    }
    return "?";
}

}  // namespace ksim::graphmgr
