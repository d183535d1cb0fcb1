// The verifier (docs/minidriver.md, "Verifier"): each filter of the misbehaving test driver
// (tests/drivers/misbehaving_driver.c) breaks one rule of the driver API. Each test checks that
// the kernel names the rule and the routine (report, event), that the offending call failed
// without disturbing the pool (the pin still stops cleanly and gives every frame back), and
// that a built-in camera streaming in the same topology kept streaming.
#include <fmt/format.h>

#include <algorithm>

#include "driver_pin.hpp"
#include "kernel_fixture.hpp"
#include "ksim/ddk_host/driver_host.hpp"
#include "ksim/negotiation/negotiate.hpp"
#include "ksim/proto/topology_loader.hpp"

namespace ksim::daemon::testing {
namespace {

using proto::PinState;

constexpr int kPeriods = 12;  // more than DriverPin::kStallPeriods

// bad (the misbehaving driver's filter `mode`) -> sink; camera2 (built in) -> sink2.
std::string config(std::string_view mode) {
    constexpr std::string_view kSink = R"("pins": [{{"id": "input", "direction": "in", "hosting": "kernel",
        "framing": {{"simple": {{"memory_type": "DONT_CARE", "flags": ["PREFERENCES_ONLY"], "frames": 2,
        "alignment": "FILE_QUAD_ALIGNMENT", "min_frame_size": 0, "max_frame_size": 4294967295}}}}}}])";
    const std::string sink = fmt::format(fmt::runtime(kSink));
    return fmt::format(R"({{"ksim_topology": 1, "name": "verifier-test", "filters": [
        {{"id": "bad", "driver": {{"module": "{}", "filter": "{}"}},
          "video": {{"format": "NV12", "width": 64, "height": 48, "fps": [30, 1]}}}},
        {{"id": "sink", "kind": "kernel_sink", {}}},
        {{"id": "camera2", "kind": "video_capture",
          "video": {{"format": "NV12", "width": 64, "height": 48, "fps": [30, 1]}},
          "pins": [{{"id": "capture", "direction": "out", "hosting": "kernel",
            "framing": {{"simple": {{"memory_type": "KERNEL_NONPAGED", "flags": ["SYSTEM_MEMORY", "PREFERENCES_ONLY"],
              "frames": 3, "alignment": "FILE_BYTE_ALIGNMENT", "min_frame_size": {}, "max_frame_size": {}}}}}}}]}},
        {{"id": "sink2", "kind": "kernel_sink", {}}}],
        "connections": [{{"from": "bad.capture", "to": "sink.input"}},
                        {{"from": "camera2.capture", "to": "sink2.input"}}]}})",
                       KSIM_MISBEHAVING_DRIVER, mode, sink, kImage, kImage, sink);
}

class KernelVerifierTest : public KernelTest {
protected:
    // Loads the topology with filter `mode`, commits what negotiation decided, runs both pipes
    // for kPeriods frame periods and stops them.
    void run(std::string_view mode, int periods = kPeriods) {
        drivers = std::make_shared<ddk_host::DriverHost>();
        auto t = proto::load_topology_text(config(mode), "/tests/verifier-test.json",
                                           proto::LoadOptions{drivers.get()});
        ASSERT_TRUE(t.has_value()) << t.error().front().to_string();
        make(*t, drivers);
        const negotiation::NegotiationResult r = negotiation::negotiate(*t);
        for (const negotiation::ConnectionRecord& conn : r.connections) {
            const negotiation::Decision& d = r.pipes.at(conn.pipe_index).decision;
            ASSERT_TRUE(d.allocator.has_value()) << std::string(conn.id);
            AllocatorCommit c;
            c.connections = {
                {proto::parse_pin_ref(conn.from).value(), proto::parse_pin_ref(conn.to).value()}};
            c.kind = d.allocator->kind;
            c.provider = proto::parse_pin_ref(d.allocator->pin).value();
            c.memory_type = d.allocator->memory_type;
            c.frame_size = d.framing.frame_size;
            c.frames = d.framing.frames;
            c.alignment_mask = d.framing.alignment_mask;
            auto committed = kernel->commit(c);
            ASSERT_TRUE(committed.has_value()) << committed.error().message;
        }
        for (const PinRef& k : {sink, bad, sink2, camera2}) set(k, PinState::Run);
        run_periods(periods);
        other_completed = stats(sink2).completed;
        other_check_failures = stats(sink2).check_failures;
        bad_completed = stats(sink).completed;
        bad_check_failures = stats(sink).check_failures;
        for (const PinRef& k : {bad, sink, camera2, sink2}) set(k, PinState::Stop);
    }
    VerifierReport report() {
        auto r = kernel->verifier_report(bad);
        EXPECT_TRUE(r.has_value());
        return r.value_or(VerifierReport{});
    }
    static std::uint64_t count_of(const VerifierReport& r, std::string_view rule) {
        for (const VerifierRuleCount& c : r.counts)
            if (c.rule == rule) return c.count;
        return 0;
    }
    // The rule was reported, by `routine`, once as an event; nothing else was; the other pipe
    // streamed every period; the misbehaving pin stopped with every frame back in its pool.
    void expect_only(VerifierRule rule, std::string_view routine) {
        const std::string_view id = rule_info(rule).id;
        const VerifierReport r = report();
        EXPECT_EQ(r.driver, KSIM_MISBEHAVING_DRIVER);
        EXPECT_EQ(r.pin, bad);
        EXPECT_GE(count_of(r, id), 1u) << id;
        EXPECT_EQ(r.counts.size(), 1u) << (r.counts.empty() ? "none" : r.counts.front().rule);
        ASSERT_FALSE(r.recent.empty());
        EXPECT_EQ(r.recent.back().rule, id);
        EXPECT_EQ(r.recent.back().routine, routine);
        EXPECT_FALSE(r.recent.back().message.empty());
        EXPECT_EQ(stats(bad).verifier_violations, r.total);
        std::size_t events_for_rule = 0;
        for (const KernelEvent& e : events.of(KernelEvent::Type::VerifierViolation)) {
            EXPECT_EQ(e.pin, bad);
            if (e.detail.starts_with(fmt::format("{}: {}: ", id, routine))) ++events_for_rule;
        }
        EXPECT_EQ(events_for_rule, 1u) << "one event for the first violation, however many followed";
        EXPECT_EQ(other_completed, static_cast<std::uint64_t>(kPeriods))
            << "the built-in camera kept streaming";
        EXPECT_EQ(other_check_failures, 0u);
        EXPECT_TRUE(kernel->ledger().empty()) << "every frame went back to its pool";
    }

    std::shared_ptr<ddk_host::DriverHost> drivers;
    const PinRef bad{"bad", "capture"};
    const PinRef sink2{"sink2", "input"};
    const PinRef camera2{"camera2", "capture"};
    std::uint64_t other_completed = 0, other_check_failures = 0, bad_completed = 0, bad_check_failures = 0;
};

TEST_F(KernelVerifierTest, PoliteDriver_NoViolation_AndItStreams) {
    run("Polite");
    const VerifierReport r = report();
    EXPECT_EQ(r.total, 0u);
    EXPECT_TRUE(r.counts.empty());
    EXPECT_TRUE(events.of(KernelEvent::Type::VerifierViolation).empty());
    EXPECT_EQ(bad_completed, static_cast<std::uint64_t>(kPeriods));
    EXPECT_EQ(bad_check_failures, 0u);
    EXPECT_EQ(other_completed, static_cast<std::uint64_t>(kPeriods));
    EXPECT_TRUE(kernel->ledger().empty());
}

TEST_F(KernelVerifierTest, UnlockOfAnUnlockedEdge_IsReportedAndDoesNothing) {
    run("UnlockUnlocked");
    expect_only(VerifierRule::UnlockUnlocked, "KsStreamPointerUnlock");
    EXPECT_EQ(bad_completed, static_cast<std::uint64_t>(kPeriods)) << "the no-op unlock changed nothing";
}

TEST_F(KernelVerifierTest, DeleteOfADeletedClone_IsReportedAndTheFrameCompletesOnce) {
    run("DeletedClone");
    expect_only(VerifierRule::DeletedClone, "KsStreamPointerDelete");
    EXPECT_EQ(count_of(report(), "verifier.deleted-clone"),
              static_cast<std::uint64_t>(kPeriods));  // one per tick
    EXPECT_EQ(bad_completed, static_cast<std::uint64_t>(kPeriods));
}

TEST_F(KernelVerifierTest, AdvanceOfAnEdgePastTheEnd_IsReportedAndFails) {
    run("AdvancePastEnd");
    expect_only(VerifierRule::AdvancePastEnd, "KsStreamPointerAdvance");
    EXPECT_EQ(bad_completed, static_cast<std::uint64_t>(kPeriods));
}

TEST_F(KernelVerifierTest, AdvanceOffsetsBeyondRemaining_IsReportedUnderTheSameRule) {
    run("OffsetsPastEnd");
    expect_only(VerifierRule::AdvancePastEnd, "KsStreamPointerAdvanceOffsets");
    EXPECT_EQ(bad_completed, static_cast<std::uint64_t>(kPeriods)) << "the failed call left the clone alone";
}

TEST_F(KernelVerifierTest, DataUsedBeyondTheFrame_IsReportedNamingTheCompletingRoutine) {
    run("DataUsedBeyond");
    expect_only(VerifierRule::DataUsedBeyondFrame, "KsStreamPointerDelete");
    EXPECT_EQ(bad_completed, static_cast<std::uint64_t>(kPeriods));
    EXPECT_EQ(bad_check_failures, 0u) << "clamped to the frame";
}

TEST_F(KernelVerifierTest, ClonesStillHeldAtTheFlush_AreReportedAndFlushed) {
    run("LockedAtFlush");
    expect_only(VerifierRule::LockedAtFlush, "queue flush at PAUSE -> ACQUIRE");
    EXPECT_EQ(count_of(report(), "verifier.locked-at-flush"), 1u);  // once per flush, not once per clone
}

TEST_F(KernelVerifierTest, PendWithoutAttemptProcessing_IsReportedAsAStallOnce) {
    run("PendStall");
    expect_only(VerifierRule::PendStall, "Process");
    EXPECT_EQ(count_of(report(), "verifier.pend-stall"), 1u);
    EXPECT_EQ(bad_completed, 0u);
}

TEST_F(KernelVerifierTest, PendStall_IsNotReportedBeforeItsTime) {
    run("PendStall", static_cast<int>(DriverPin::kStallPeriods) - 2);
    EXPECT_EQ(report().total, 0u);
}

TEST_F(KernelVerifierTest, AllocateReturningAFrameTwice_IsReportedAndTheFrameNotUsedTwice) {
    run("AllocateDuplicate");
    expect_only(VerifierRule::AllocateDuplicate, "Allocate");
    EXPECT_EQ(bad_completed, static_cast<std::uint64_t>(kPeriods)) << "one good frame keeps the pin going";
}

TEST_F(KernelVerifierTest, AllocateReturningAFrameCutShort_IsReportedAsForeign) {
    run("AllocateShort");
    expect_only(VerifierRule::AllocateForeignFrame, "Allocate");
    EXPECT_EQ(bad_completed, static_cast<std::uint64_t>(kPeriods));
}

TEST_F(KernelVerifierTest, DeleteOfAnEdge_IsReportedAndTheEdgeStays) {
    run("DeleteEdge");
    expect_only(VerifierRule::DeleteEdge, "KsStreamPointerDelete");
    EXPECT_EQ(bad_completed, static_cast<std::uint64_t>(kPeriods));
}

TEST_F(KernelVerifierTest, StreamPointerRoutineInStop_IsReportedAndFails) {
    run("RoutineInStop");  // the driver fails STOP->ACQUIRE if it gets an edge
    expect_only(VerifierRule::RoutineInStop, "KsPinGetLeadingEdgeStreamPointer");
    EXPECT_EQ(bad_completed, static_cast<std::uint64_t>(kPeriods));
}

TEST_F(KernelVerifierTest, ReportOfTheBuiltInCamera_NamesItsDriver_AndOfAnUnknownPinIsNotFound) {
    // camera2 (kind video_capture) is the built-in capture driver's pin: watched like any
    // driver's (a pin that is not a driver's is refused: kernel_builtin_capture_test.cpp).
    run("Polite", 1);
    auto r = kernel->verifier_report(camera2);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->driver, "builtin:video_capture");
    EXPECT_EQ(r->total, 0u);
    EXPECT_EQ(kernel->verifier_report(PinRef{"nope", "x"}).error().code, Errc::NotFound);
}

TEST(VerifierRules, EveryRuleHasAStableIdMeaningAndHint) {
    std::vector<std::string_view> ids;
    for (const VerifierRuleInfo& r : verifier_rules()) {
        EXPECT_TRUE(r.id.starts_with("verifier.")) << r.id;
        EXPECT_FALSE(r.meaning.empty()) << r.id;
        EXPECT_FALSE(r.hint.empty()) << r.id;
        ids.push_back(r.id);
    }
    EXPECT_EQ(ids.size(), kVerifierRuleCount);
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
}

TEST(VerifierRecord, AHostileDriver_KeepsMemoryBoundedAndOneFirstCallback) {
    FakeClock clock(0);
    int first = 0;
    Verifier v("/x.so", PinRef{"f", "p"}, clock, [&](const VerifierViolation&) { ++first; });
    for (int i = 0; i < 100'000; ++i)
        v.report(VerifierRule::UnlockUnlocked, "KsStreamPointerUnlock", "again");
    v.report(VerifierRule::DeletedClone, "KsStreamPointerDelete", "gone");
    EXPECT_EQ(first, 2);
    const VerifierReport r = v.snapshot();
    EXPECT_EQ(r.total, 100'001u);
    ASSERT_EQ(r.counts.size(), 2u);
    EXPECT_EQ(r.counts[0].count, 100'000u);
    EXPECT_EQ(r.recent.size(), Verifier::kRecent);
    EXPECT_EQ(r.recent.back().rule, "verifier.deleted-clone");
    EXPECT_EQ(r.recent.front().nth, 100'000u - Verifier::kRecent + 2);
}

}  // namespace
}  // namespace ksim::daemon::testing
