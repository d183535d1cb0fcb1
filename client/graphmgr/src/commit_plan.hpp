// CommitPlan: turns the engine's pipe records into one commit request per pipe and decides, from
// what the daemon reports as committed, which pipes still need it. One commit per pipe is the
// transaction: ksimd applies a commit whole or not at all, so a manager killed between two
// commits leaves every pipe either fully committed or untouched.
#pragma once

#include <string>
#include <vector>

#include "daemon_snapshot.hpp"
#include "ksim/negotiation/record.hpp"
#include "ksim/wire/messages.hpp"

namespace ksim::graphmgr {

enum class PipeAction {
    Commit,            // not committed (or committed differently) and every pin is in STOP
    AlreadyCommitted,  // the daemon holds exactly this decision: nothing to do (resume)
    WaitForStop,       // differs from the committed decision but a pin is streaming
    Unsatisfied,       // the engine found no allocator; nothing to commit
};

struct PipePlan {
    std::string pipe;  // "pipe0", ...
    PipeAction action = PipeAction::Commit;
    wire::CommitRequest request;  // valid unless Unsatisfied
    std::string reason;           // Unsatisfied: rule and message; WaitForStop: which pin
    std::string rule;             // Unsatisfied: the engine's failing rule id (empty: none recorded)
    std::string message;          // Unsatisfied: that rule's message
};

std::vector<PipePlan> plan_commits(const negotiation::NegotiationResult& result,
                                   const DaemonSnapshot& snapshot);

// "pipe0 (cam.out->sink.in): vendor:dma from cam.out, 4 x 3110400 B, align 0x3f".
std::string describe(const PipePlan& plan);

std::string_view to_string(PipeAction a);

}  // namespace ksim::graphmgr
