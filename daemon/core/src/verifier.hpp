// Verifier: ksim's Driver Verifier for one hosted minidriver pin. DriverPin, DriverAllocator and
// the kernel call `report` at the point where the driver misuses the API (the call itself then
// fails; nothing else changes). The rule table (verifier.cpp) is the one definition of
// every rule: its stable id, what it means and a hint; docs/minidriver.md lists the same ids.
// Memory is bounded whatever the driver does: a count per rule and the last few violations.
// The log is rate-limited per rule, and the first violation of each rule on the pin goes to
// `on_first` (the kernel turns it into a VerifierViolation event).
// Called under the kernel lock only.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "ksim/daemon/clock.hpp"
#include "ksim/daemon/kernel.hpp"

namespace ksim::daemon {

enum class VerifierRule : unsigned {
    UnlockUnlocked,
    DeletedClone,
    AdvancePastEnd,
    DataUsedBeyondFrame,
    LockedAtFlush,
    PendStall,
    AllocateDuplicate,
    AllocateForeignFrame,
    DeleteEdge,
    RoutineInStop,
};
inline constexpr std::size_t kVerifierRuleCount = 10;

struct VerifierRuleInfo {
    VerifierRule rule;
    std::string_view id;       // "verifier.unlock-unlocked": stable, on the wire and in docs
    std::string_view meaning;  // what the driver did
    std::string_view hint;     // what a correct driver does instead
};
std::span<const VerifierRuleInfo> verifier_rules();
const VerifierRuleInfo& rule_info(VerifierRule rule);

class Verifier {
public:
    static constexpr std::size_t kRecent = 8;           // last violations kept per pin
    static constexpr std::uint64_t kLoggedPerRule = 5;  // then only every 10^n-th is logged

    using FirstViolation = std::function<void(const VerifierViolation&)>;
    // `driver`: the module path; `filter`/`pin`: the topology ids (PinRef).
    Verifier(std::string driver, PinRef pin, const ::ksim::daemon::Clock& clock, FirstViolation on_first);

    void report(VerifierRule rule, std::string_view routine, std::string message);

    [[nodiscard]] std::uint64_t count(VerifierRule rule) const {
        return counts_[static_cast<std::size_t>(rule)];
    }
    [[nodiscard]] std::uint64_t total() const { return total_; }
    [[nodiscard]] VerifierReport snapshot() const;

private:
    std::string driver_;
    PinRef pin_;
    const ::ksim::daemon::Clock& clock_;
    FirstViolation on_first_;
    std::array<std::uint64_t, kVerifierRuleCount> counts_{};
    std::uint64_t total_ = 0;
    std::deque<VerifierViolation> recent_;
};

}  // namespace ksim::daemon
