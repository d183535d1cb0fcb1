#include "verifier.hpp"

#include <fmt/format.h>

#include "logging.hpp"

namespace ksim::daemon {
namespace {

// One row per rule, in VerifierRule order (checked below). docs/minidriver.md, "Verifier".
constexpr std::array<VerifierRuleInfo, kVerifierRuleCount> kRules = {{
    {VerifierRule::UnlockUnlocked, "verifier.unlock-unlocked",
     "a stream pointer that is not locked was unlocked (KsStreamPointerUnlock, "
     "KsStreamPointerAdvanceOffsetsAndUnlock)",
     "unlock only what KsStreamPointerLock or a LOCKED edge gave you, once"},
    {VerifierRule::DeletedClone, "verifier.deleted-clone",
     "a stream-pointer routine was called with a clone that was already deleted (by "
     "KsStreamPointerDelete or by the flush at STOP)",
     "forget a clone once KsStreamPointerDelete returns; walk clones with "
     "KsPinGetFirstCloneStreamPointer"},
    {VerifierRule::AdvancePastEnd, "verifier.advance-past-end",
     "a stream pointer with no frame (already past the end of the queue) was advanced, or "
     "KsStreamPointerAdvanceOffsets was asked to move past the end of the frame",
     "stop when KsStreamPointerAdvance returns STATUS_DEVICE_NOT_READY; never use more than "
     "Offset->Remaining"},
    {VerifierRule::DataUsedBeyondFrame, "verifier.data-used-beyond-frame",
     "a frame completed with StreamHeader->DataUsed larger than its FrameExtent (ksim clamps it)",
     "DataUsed <= FrameExtent: write no more than the frame holds"},
    {VerifierRule::LockedAtFlush, "verifier.locked-at-flush",
     "the queue was flushed (PAUSE->ACQUIRE) while the driver still held locked stream pointers "
     "(a locked edge or clones); AVStream would wait for them and the stop would hang",
     "in SetDeviceState(PAUSE->ACQUIRE) delete every clone and unlock the edges"},
    {VerifierRule::PendStall, "verifier.pend-stall",
     "Process returned STATUS_PENDING and frames waited at the leading edge for several frame "
     "periods without a KsPinAttemptProcessing: the pin stalls",
     "call KsPinAttemptProcessing when the reason to pend is gone (e.g. from the timer that "
     "frees hardware), or return STATUS_SUCCESS"},
    {VerifierRule::AllocateDuplicate, "verifier.allocate-duplicate",
     "the allocator's Allocate returned a frame it had already handed out and not got back",
     "track which frames are out; return NULL when none is free"},
    {VerifierRule::AllocateForeignFrame, "verifier.allocate-foreign-frame",
     "the allocator's Allocate returned a frame that is not a whole frame of the negotiated size "
     "inside its common buffer, breaks the negotiated alignment, or is one frame more than "
     "negotiated",
     "carve Frames frames of FrameSize bytes, aligned to FileAlignment, out of the common buffer"},
    {VerifierRule::DeleteEdge, "verifier.delete-edge",
     "KsStreamPointerDelete was called on the leading or trailing edge (only clones are deleted)",
     "delete only pointers from KsStreamPointerClone"},
    {VerifierRule::RoutineInStop, "verifier.routine-in-stop",
     "a stream-pointer routine was called while the pin is in STOP (from Create, Close, "
     "SetDeviceState(STOP->ACQUIRE) or an allocator routine): the queue is empty and AVStream "
     "would not call the driver in a state where this makes sense",
     "use stream pointers in Process, timer and timeout callbacks, and in SetDeviceState out of "
     "ACQUIRE, PAUSE or RUN"},
}};

constexpr bool table_in_order() {
    for (std::size_t i = 0; i < kRules.size(); ++i)
        if (static_cast<std::size_t>(kRules[i].rule) != i) return false;
    return true;
}
static_assert(table_in_order(), "kRules must list the rules in VerifierRule order");

bool worth_logging(std::uint64_t n) {
    if (n <= Verifier::kLoggedPerRule) return true;
    while (n % 10 == 0) n /= 10;  // 10, 100, 1000, ...: a heartbeat for a driver that keeps at it
    return n == 1;
}

}  // namespace

std::span<const VerifierRuleInfo> verifier_rules() {
    return kRules;
}

const VerifierRuleInfo& rule_info(VerifierRule rule) {
    return kRules[static_cast<std::size_t>(rule)];
}

Verifier::Verifier(std::string driver, PinRef pin, const Clock& clock, FirstViolation on_first)
    : driver_(std::move(driver)), pin_(std::move(pin)), clock_(clock), on_first_(std::move(on_first)) {}

void Verifier::report(VerifierRule rule, std::string_view routine, std::string message) {
    const VerifierRuleInfo& info = rule_info(rule);
    const std::uint64_t n = ++counts_[static_cast<std::size_t>(rule)];
    ++total_;
    VerifierViolation v{std::string(info.id), std::string(routine), std::move(message), clock_.now(), n};
    if (worth_logging(n)) {
        logger("core.verifier")
            ->error("{} [{}] driver {} filter {} pin {}: {}: {} (hint: {}){}", info.id, n, driver_,
                    pin_.filter, pin_.pin, v.routine, v.message, info.hint,
                    n == kLoggedPerRule ? "; further violations of this rule on this pin are counted and "
                                          "logged only at 10, 100, 1000, ..."
                                        : "");
    }
    if (n == 1 && on_first_) on_first_(v);
    recent_.push_back(std::move(v));
    if (recent_.size() > kRecent) recent_.pop_front();
}

VerifierReport Verifier::snapshot() const {
    VerifierReport r;
    r.driver = driver_;
    r.pin = pin_;
    r.total = total_;
    for (const VerifierRuleInfo& info : kRules)
        if (const std::uint64_t c = counts_[static_cast<std::size_t>(info.rule)]; c != 0)
            r.counts.push_back(VerifierRuleCount{std::string(info.id), c, std::string(info.hint)});
    r.recent.assign(recent_.begin(), recent_.end());
    return r;
}

}  // namespace ksim::daemon
