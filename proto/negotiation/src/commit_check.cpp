// check_commit: the commit's connections must be exactly one pipe of the graph (as the engine
// plans and, where it must, splits pipes), its values well formed and inside every pin's
// framing, and its allocator one the mode and capability rules accept for that pipe.
#include "ksim/negotiation/commit_check.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "capability_checks.hpp"
#include "engine.hpp"
#include "ksim/negotiation/negotiate.hpp"
#include "ksim/negotiation/rules.hpp"
#include "ksim/proto/memory_types.hpp"

namespace ksim::negotiation {
namespace {

using namespace detail;

std::unexpected<Error> refuse(Errc code, std::string_view rule, std::string_view message) {
    return fail(code, fmt::format("{}: {}", rule, message));
}
std::unexpected<Error> refuse(const Finding& finding) {
    return refuse(Errc::NegotiationFailed, finding.rule, std::string_view(finding.message));
}

std::string label(const PreparedGraph& g, std::size_t connection) {
    const ConnectionState& c = g.connections[connection];
    return g.pins[c.from].id() + "->" + g.pins[c.to].id();
}

std::optional<std::size_t> find_connection(const PreparedGraph& g, const ConnectionInput& wanted) {
    for (std::size_t i = 0; i < g.connections.size(); ++i)
        if (g.pins[g.connections[i].from].id() == wanted.from &&
            g.pins[g.connections[i].to].id() == wanted.to)
            return i;
    return std::nullopt;
}

// What a pipe is, the engine decides: a kernel chain through in-place filters is one pipe unless
// negotiate() splits it into its connections (pipe.split). The plan returned is the engine's
// plan for the pipe that holds `connection`.
struct EnginePipe {
    std::vector<std::size_t> connections;
    PipePlan plan;
};
EnginePipe engine_pipe(const Graph& graph, const PreparedGraph& g, std::size_t connection) {
    EnginePipe out;
    PipePlanner planner(g);
    while (planner.next(out.plan))
        if (std::ranges::find(out.plan.connections, connection) != out.plan.connections.end()) break;
    out.connections = out.plan.connections;
    if (out.connections.size() > 1) {
        auto result = negotiate(graph);
        const std::string id = label(g, connection);
        const bool split =
            result && std::ranges::any_of(result->pipes, [&](const PipeRecord& p) {
                return p.connections.size() == 1 && std::string_view(p.connections.front()) == id;
            });
        if (split) {
            out.plan = single_connection_plan(g, connection);
            out.connections = {connection};
        }
    }
    return out;
}

Result<PipePlan> whole_pipe(const Graph& graph, const PreparedGraph& g, const CommitRequest& c) {
    if (c.connections.empty())
        return refuse(Errc::InvalidArgument, rule::kCommitMalformed, "the commit names no connection");
    std::vector<std::size_t> named;
    for (const ConnectionInput& conn : c.connections) {
        auto index = find_connection(g, conn);
        if (!index)
            return refuse(Errc::NotFound, rule::kCommitUnknownConnection,
                          fmt::format("{}->{} is not a connection of this graph", conn.from, conn.to));
        if (std::ranges::find(named, *index) == named.end()) named.push_back(*index);
    }
    EnginePipe pipe = engine_pipe(graph, g, named.front());
    for (std::size_t n : named)
        if (std::ranges::find(pipe.connections, n) == pipe.connections.end())
            return refuse(Errc::NegotiationFailed, rule::kCommitSpansPipes,
                          fmt::format("{} and {} belong to different pipes; commit each pipe on its own",
                                      label(g, named.front()), label(g, n)));
    for (std::size_t p : pipe.connections)
        if (std::ranges::find(named, p) == named.end())
            return refuse(Errc::NegotiationFailed, rule::kCommitPartialPipe,
                          fmt::format("the pipe of {} also holds {} (they share frames through an in-place "
                                      "filter); a commit covers every connection of its pipe",
                                      label(g, named.front()), label(g, p)));
    return std::move(pipe.plan);
}

Result<void> check_values(const CommitRequest& c) {
    const ResultFraming& f = c.framing;
    if (f.frame_size == 0 || f.frames == 0)
        return refuse(
            Errc::InvalidArgument, rule::kCommitMalformed,
            fmt::format("frame_size and frames must be > 0 (got {} and {})", f.frame_size, f.frames));
    if (!proto::is_alignment_mask(f.alignment_mask))
        return refuse(Errc::InvalidArgument, rule::kCommitMalformed,
                      fmt::format("alignment mask {:#x} is not of the form 2^n - 1 (e.g. 0x3f for 64 bytes)",
                                  f.alignment_mask));
    return {};
}

bool in_range(const proto::FramingRange& r, std::uint32_t size) {
    if (size < r.min_frame_size || size > r.max_frame_size) return false;
    return r.stepping <= 1 || (size - r.min_frame_size) % r.stepping == 0;
}

// The frame size must lie in a physical range of the pin (any item usable on its bus); frames and
// alignment must meet the item that applies to the committed memory type.
Result<void> check_pin(const PreparedPin& pin, std::size_t item_index, const ResultFraming& f) {
    const auto& items = pin.framing().items;
    const bool size_ok = std::ranges::any_of(items, [&](const proto::FramingItem& i) {
        return bus_compatible(i, *pin.input) && in_range(i.physical_range, f.frame_size);
    });
    if (!size_ok) {
        const auto& r = items[item_index].physical_range;
        return refuse(Errc::NegotiationFailed, rule::kCommitFrameSizeOutsideRange,
                      fmt::format("frame size {} is outside the physical range of {} ([{}, {}] stepping {}); "
                                  "a size inside every pin's physical range is required",
                                  f.frame_size, pin.id(), r.min_frame_size, r.max_frame_size, r.stepping));
    }
    const proto::FramingItem& item = items[item_index];
    if (f.frames < item.frames)
        return refuse(
            Errc::NegotiationFailed, rule::kCommitTooFewFrames,
            fmt::format("{} frames committed but {} requires at least {}", f.frames, pin.id(), item.frames));
    if ((f.alignment_mask & item.file_alignment) != item.file_alignment)
        return refuse(Errc::NegotiationFailed, rule::kCommitAlignmentTooWeak,
                      fmt::format("alignment mask {:#x} is weaker than {:#x} required by {}",
                                  f.alignment_mask, item.file_alignment, pin.id()));
    return {};
}

Result<void> check_vendor(const CheckContext& ctx, std::size_t pos, const CommitRequest& c) {
    const PreparedPin& provider = ctx.g.pins[ctx.plan.pins[pos]];
    if (!provider.input->allocator)
        return refuse(
            Errc::InvalidArgument, rule::kCommitNoVendorAllocator,
            fmt::format("{} declares no vendor allocator (KSPIN_DISPATCH.Allocator)", provider.id()));
    const proto::VendorAllocatorCaps& caps = *provider.input->allocator;
    if (auto mode = check_mode(ctx, pos, caps)) return refuse(*mode);
    if (!c.memory_type.is_null() && c.memory_type != caps.memory_type)
        return refuse(Errc::NegotiationFailed, rule::kCapsMemoryType,
                      fmt::format("{} of {} allocates {} memory, {} committed", caps.name, provider.id(),
                                  memory_label(ctx.g, caps.memory_type), memory_label(ctx.g, c.memory_type)));
    if (auto caps_findings = check_capabilities(ctx, pos, caps); !caps_findings.empty())
        return refuse(caps_findings.front());
    return {};
}

// The default (kernel pool) and user-mode allocators: each serves one connection mode, and a
// client never maps kernel memory.
Result<void> check_pool(const CheckContext& ctx, const CommitRequest& c) {
    const bool user_pipe = ctx.plan.mode == ConnectionMode::User;
    if (c.kind == AllocatorKind::Default && user_pipe)
        return refuse(Errc::NegotiationFailed, rule::kKernelAllocatorOnUserConnection,
                      "the default allocator makes kernel pool memory, and the connection is user mode; "
                      "a user-mode connection is served by the user-mode allocator");
    if (c.kind == AllocatorKind::User && !user_pipe)
        return refuse(Errc::NegotiationFailed, rule::kUserAllocatorOnKernelConnection,
                      "the user-mode allocator serves user-mode connections, and every pin of the pipe is "
                      "kernel-hosted");
    if (c.kind == AllocatorKind::Default && !default_allocator_makes(c.memory_type))
        return refuse(
            Errc::NegotiationFailed, rule::kCommitDefaultAllocatorPoolOnly,
            fmt::format("the default allocator makes pool memory only (paged or non-paged), not {}; "
                        "device memory is a vendor allocator's",
                        memory_label(ctx.g, c.memory_type)));
    if (user_pipe && proto::classify_memory_type(c.memory_type) == proto::MemoryClass::Kernel) {
        std::string user_pin;
        for (std::size_t p : ctx.plan.pins)
            if (!ctx.g.pins[p].kernel()) user_pin = ctx.g.pins[p].id();
        return refuse(Errc::NegotiationFailed, rule::kCommitKernelMemoryOnUserPipe,
                      fmt::format("memory type {} is kernel memory, which a client never maps, but {} is "
                                  "user-hosted; use USER or SYSTEM memory for this pipe",
                                  memory_label(ctx.g, c.memory_type), user_pin));
    }
    return {};
}

}  // namespace

Result<void> check_commit(const Graph& graph, const CommitRequest& c) {
    auto prepared = prepare(graph);
    if (!prepared) return std::unexpected(prepared.error());
    const PreparedGraph& g = *prepared;
    auto plan = whole_pipe(graph, g, c);
    if (!plan) return std::unexpected(plan.error());
    if (auto r = check_values(c); !r) return r;

    const auto provider =
        std::ranges::find_if(plan->pins, [&](std::size_t p) { return g.pins[p].id() == c.provider; });
    if (provider == plan->pins.end())
        return refuse(Errc::InvalidArgument, rule::kCommitProviderOutsidePipe,
                      fmt::format("allocator provider {} is not a pin of the committed pipe", c.provider));
    const auto provider_pos = static_cast<std::size_t>(provider - plan->pins.begin());

    // The memory type the allocator will make, and the item of each pin that applies to it.
    proto::Guid memory = c.memory_type;
    if (c.kind == AllocatorKind::Vendor && memory.is_null() && g.pins[*provider].input->allocator)
        memory = g.pins[*provider].input->allocator->memory_type;
    std::vector<std::size_t> items;
    std::vector<std::size_t> positions;
    for (std::size_t pos = 0; pos < plan->pins.size(); ++pos) {
        items.push_back(item_for_memory(g.pins[plan->pins[pos]], memory));
        positions.push_back(pos);
    }
    for (std::size_t pos = 0; pos < plan->pins.size(); ++pos)
        if (auto r = check_pin(g.pins[plan->pins[pos]], items[pos], c.framing); !r) return r;

    const SideRequest request{positions, items, memory, provider_pos};
    const CheckContext ctx{g, *plan, request, c.framing};
    if (c.kind == AllocatorKind::Vendor) return check_vendor(ctx, provider_pos, c);
    return check_pool(ctx, c);
}

}  // namespace ksim::negotiation
