// Stage 5b: choosing among candidate allocators. Order (docs/negotiation.md "Preference"):
//   1. on a kernel pipe, the allocator of a MUST_ALLOCATE pin: its vendor allocator if valid,
//      else the default allocator placed at that pin;
//   2. a valid vendor allocator, upstream pin first;
//   3. the fallback: the kernel default allocator, or on a user-mode connection the user-mode
//      allocator supplied by the upstream side.
// An allocator that is not selected is never initialized; its candidate entry says why.
#include <fmt/format.h>

#include "capability_checks.hpp"
#include "ksim/negotiation/rules.hpp"
#include "ksim/proto/memory_types.hpp"

namespace ksim::negotiation::detail {
namespace {

std::string describe_choice(const AllocatorChoice& c) {
    return fmt::format("{} of {}", c.name, c.pin);
}

AllocatorChoice fallback_choice(const PreparedGraph& g, const PipePlan& plan, const SideRequest& request,
                                std::optional<std::size_t> must_pos) {
    AllocatorChoice c;
    if (plan.mode == ConnectionMode::User) {
        // The upstream side supplies the user-mode allocator (KsProxy: the user-mode pin is an
        // allocator unconditionally; a kernel output pin gets the proxy's user-mode allocator).
        c.kind = AllocatorKind::User;
        c.name = "user";
        c.pin.assign(g.pins[plan.pins[request.plan_positions.front()]].id());
        c.mode = proto::AllocatorMode::User;
        c.memory_type = proto::memory_type::kUser;
        return c;
    }
    c.kind = AllocatorKind::Default;
    c.name = "default";
    c.pin.assign(g.pins[plan.pins[must_pos.value_or(request.default_provider)]].id());
    c.mode = proto::AllocatorMode::Kernel;
    // Pool memory only: a device-specific type is a vendor allocator's (the walk passes it over
    // for a single allocator; a side of a copy that lists only device memory gets non-paged pool).
    c.memory_type = request.memory_type.is_null() || !default_allocator_makes(request.memory_type)
                        ? proto::memory_type::kKernelNonPaged
                        : request.memory_type;
    return c;
}

// A kernel pin feeding a user-mode pin still has the class driver's default allocator; it is
// listed, rejected by the mode rule, so that "why not my pin's kernel pool?" has an answer. (A
// user-hosted upstream pin supplies the allocator unconditionally: no kernel pool is considered.)
void considered_kernel_pool(const PreparedGraph& g, const PipePlan& plan, const SideRequest& request,
                            RecordVector<Candidate>& candidates) {
    const PreparedPin& upstream = g.pins[plan.pins[request.plan_positions.front()]];
    if (!upstream.kernel()) return;
    std::string user_pins;
    for (std::size_t pos : request.plan_positions) {
        const PreparedPin& pin = g.pins[plan.pins[pos]];
        if (!pin.kernel()) user_pins += (user_pins.empty() ? "" : ", ") + pin.id();
    }
    Candidate& cand = candidates.emplace_back();
    const std::string& pin = upstream.id();
    cand.allocator = {AllocatorKind::Default, proto::AllocatorMode::Kernel,
                      proto::memory_type::kKernelNonPaged, RecordString("default"), RecordString(pin)};
    RecordString message = format_record(
        "the default allocator of {} makes kernel pool memory and the connection is user mode ({} is hosted "
        "in user mode); kernel memory never reaches a user-mode pin, so the user-mode allocator serves it",
        pin, user_pins);
    RecordString suggestion = format_record("host {} in kernel mode to use the pool of {}", user_pins, pin);
    RecordVector<ComparedValue> values;
    values.reserve(3);
    values.push_back({"connection_mode", std::string("user")});
    values.push_back({"allocator_mode", std::string("kernel")});
    values.push_back({"user_hosted_pins", std::move(user_pins)});
    cand.reasons.push_back(make_finding(rule::kKernelAllocatorOnUserConnection, std::move(message),
                                        std::move(values), std::move(suggestion)));
}

}  // namespace

SideResult select_allocator(const PreparedGraph& g, const PipePlan& plan, const SideRequest& request,
                            const ResultFraming& framing) {
    SideResult out;
    const CheckContext ctx{g, plan, request, framing};
    std::optional<std::size_t> must_pos;
    if (plan.mode == ConnectionMode::Kernel)
        for (std::size_t pos : request.plan_positions)
            if (g.pins[plan.pins[pos]].must_allocate) {
                must_pos = pos;
                break;
            }

    // Evaluate every vendor allocator; the valid ones are those without reasons, in pipe order.
    out.candidates.reserve(request.plan_positions.size() + 1);
    std::optional<std::size_t> first_valid;
    for (std::size_t pos : request.plan_positions) {
        const PreparedPin& pin = g.pins[plan.pins[pos]];
        if (!pin.input->allocator) continue;
        const auto& caps = *pin.input->allocator;
        Candidate& cand = out.candidates.emplace_back();
        cand.allocator = {AllocatorKind::Vendor, caps.mode, caps.memory_type, RecordString(caps.name),
                          RecordString(pin.id())};
        if (auto mode = check_mode(ctx, pos, caps))
            cand.reasons.push_back(std::move(*mode));
        else
            cand.reasons = check_capabilities(ctx, pos, caps);
        if (cand.reasons.empty() && !first_valid) first_valid = out.candidates.size() - 1;
    }
    const std::size_t vendors = out.candidates.size();
    if (plan.mode == ConnectionMode::User) considered_kernel_pool(g, plan, request, out.candidates);
    Candidate fallback;
    fallback.allocator = fallback_choice(g, plan, request, must_pos);

    // The winner: a must-allocate pin's own vendor allocator, else (if a pin must allocate)
    // the default allocator at that pin, else the first valid vendor, else the fallback.
    std::optional<std::size_t> winner;
    if (must_pos) {
        const std::string& must_pin = g.pins[plan.pins[*must_pos]].id();
        for (std::size_t i = 0; i < vendors; ++i)
            if (out.candidates[i].reasons.empty() &&
                std::string_view(out.candidates[i].allocator.pin) == must_pin)
                winner = i;
    } else {
        winner = first_valid;
    }
    const AllocatorChoice& chosen = winner ? out.candidates[*winner].allocator : fallback.allocator;
    for (std::size_t i = 0; i < vendors; ++i) {
        Candidate& loser = out.candidates[i];
        if ((winner && i == *winner) || !loser.reasons.empty()) continue;  // only valid losers get a reason
        RecordVector<ComparedValue> values;
        values.reserve(must_pos ? 2 : 1);
        values.push_back({"selected", describe_choice(chosen)});
        if (must_pos) {
            const std::string& must_pin = g.pins[plan.pins[*must_pos]].id();
            RecordString message = format_record(
                "{} could serve the pipe, but {} says MUST_ALLOCATE, so {} is used",
                describe_choice(loser.allocator), must_pin, std::get<RecordString>(values[0].value));
            values.push_back({"must_allocate_pin", must_pin});
            loser.reasons.push_back(
                make_finding(rule::kMustAllocateFirst, std::move(message), std::move(values)));
        } else {
            RecordString message =
                format_record("{} could serve the pipe, but {} belongs to a pin further upstream",
                              describe_choice(loser.allocator), std::get<RecordString>(values[0].value));
            loser.reasons.push_back(
                make_finding(rule::kUpstreamFirst, std::move(message), std::move(values)));
        }
    }
    for (Candidate& c : out.candidates) c.selected = c.reasons.empty();
    if (winner) {
        std::string selected = describe_choice(chosen);
        RecordString message =
            format_record("{} can serve the pipe, and a vendor allocator is preferred to the {} allocator",
                          selected, fallback.allocator.name);
        RecordVector<ComparedValue> values;
        values.push_back({"selected", selected});
        fallback.reasons.push_back(
            make_finding(rule::kVendorOverDefault, std::move(message), std::move(values)));
    } else {
        fallback.selected = true;
    }
    out.chosen = chosen;
    out.candidates.push_back(std::move(fallback));
    return out;
}

}  // namespace ksim::negotiation::detail
