// The class driver's check of a commit. A graph manager (the KS proxy) decides; ksimd (the
// kernel) never trusts the decision blindly: it checks the commit against the same graph and the
// same rules the engine negotiates with, so a forged, stale or partial commit is refused with the
// rule id a record would show. ksimd builds the graph from its own pins (add_filter), the graph
// manager from ksimd's replies: both come from the same state.
#pragma once

#include <string>
#include <vector>

#include "ksim/negotiation/graph.hpp"
#include "ksim/negotiation/record.hpp"
#include "ksim/proto/error.hpp"

namespace ksim::negotiation {

// One pipe's allocator decision as a graph manager commits it.
struct CommitRequest {
    std::vector<ConnectionInput> connections;  // every connection of the pipe, "filter.pin" ids
    AllocatorKind kind = AllocatorKind::Default;
    std::string provider;       // the pin whose allocator serves the pipe
    proto::Guid memory_type{};  // null: the vendor allocator's own type, or non-paged pool
    ResultFraming framing;
};

// Refuses the commit with the first rule it breaks (rules.hpp: commit.*, and mode.* / caps.*
// where a negotiation rule applies); the message starts with the rule id. Codes: NotFound for a
// connection the graph does not have, InvalidArgument for a malformed commit or a graph that is
// not one, NegotiationFailed for a decision the rules refuse.
Result<void> check_commit(const Graph& graph, const CommitRequest& commit);

}  // namespace ksim::negotiation
