#include "ksim/daemon/hwsim.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace ksim::daemon {
namespace {

// Renders `size` bytes all equal to (frame_number + 1) so tests can see which image landed where.
struct StampContent : ContentGenerator {
    explicit StampContent(std::uint32_t size) : size(size) {}
    [[nodiscard]] std::uint32_t image_size() const override { return size; }
    void render(std::span<std::byte> out, const RenderInfo& info) override {
        for (std::byte& b : out) b = static_cast<std::byte>(info.frame_number + 1);
        infos.push_back(info);
        targets.push_back(out.data());
    }
    std::uint32_t size;
    std::vector<RenderInfo> infos;
    std::vector<const std::byte*> targets;  // where each image was rendered
};

struct CountingInterrupt : InterruptSink {
    void on_interrupt() override { ++count; }
    int count = 0;
};

struct HwFixture {
    explicit HwFixture(std::uint32_t image = 64, Ticks period = 100)
        : content(image), hw(content, period, irq) {}
    // One frame of `parts` equal mappings over a fresh buffer.
    bool program(std::uint32_t bytes, std::uint32_t parts = 1) {
        buffers.emplace_back(bytes);
        std::vector<SgMapping> m;
        for (std::uint32_t i = 0; i < parts; ++i)
            m.push_back(
                SgMapping{0x1000u * i, buffers.back().data() + i * (bytes / parts), bytes / parts, 0});
        return hw.program_frame(m);
    }
    StampContent content;
    CountingInterrupt irq;
    HardwareSimulation hw;
    std::list<std::vector<std::byte>> buffers;
};

TEST(HardwareSimulation_Timer, TicksAtAbsoluteDeadlinesStartPlusPeriodTimesNPlusOne) {
    HwFixture f;
    f.hw.start(1000);
    EXPECT_EQ(f.hw.next_deadline(), 1100);
    EXPECT_EQ(f.hw.advance_to(1099), 0u);
    EXPECT_EQ(f.hw.advance_to(1100), 1u);
    EXPECT_EQ(f.hw.advance_to(1550), 4u);  // 1200, 1300, 1400, 1500
    EXPECT_EQ(f.hw.current_tick_time(), 1500);
    EXPECT_EQ(f.hw.next_deadline(), 1600);
}

TEST(HardwareSimulation_Timer, LateWakeUpsCatchUpWithoutDrift) {
    HwFixture f(64, 333);
    f.hw.start(0);
    // Wake-ups at irregular, late times: the number of ticks only depends on elapsed time.
    std::size_t total = 0;
    for (Ticks now : {500, 501, 2000, 2001, 9999, 100'000}) total += f.hw.advance_to(now);
    EXPECT_EQ(total, static_cast<std::size_t>(100'000 / 333));
    EXPECT_EQ(f.hw.next_deadline(), 333 * static_cast<Ticks>(100'000 / 333 + 1));
    EXPECT_EQ(f.irq.count, static_cast<int>(total));
}

TEST(HardwareSimulation_Dma, EveryTickWithoutABufferIsCountedAsSkipped) {
    HwFixture f;
    f.hw.start(0);
    f.hw.advance_to(500);
    EXPECT_EQ(f.hw.frames_skipped(), 5u);
    EXPECT_EQ(f.hw.frames_filled(), 0u);
    EXPECT_EQ(f.irq.count, 5);  // interrupts fire whether or not a frame was filled
}

TEST(HardwareSimulation_Dma, NeverFillsPartiallyWhenLessThanAnImageIsQueued) {
    HwFixture f(64);
    ASSERT_TRUE(f.program(32));
    f.hw.start(0);
    f.hw.advance_to(100);
    EXPECT_EQ(f.hw.frames_skipped(), 1u);
    EXPECT_EQ(f.hw.mappings_completed(), 0u);
    for (std::byte b : f.buffers.front()) EXPECT_EQ(b, std::byte{0});  // untouched
    ASSERT_TRUE(f.program(32));  // now 64 bytes queued: one image fits across both
    f.hw.advance_to(200);
    EXPECT_EQ(f.hw.frames_filled(), 1u);
    EXPECT_EQ(f.hw.mappings_completed(), 2u);
    EXPECT_EQ(f.buffers.front()[0], std::byte{1});
    EXPECT_EQ(f.buffers.back()[31], std::byte{1});
}

TEST(HardwareSimulation_Dma, WritesTheImageAcrossTheScatterGatherListOfEachFrame) {
    HwFixture f(90);
    ASSERT_TRUE(f.program(90, 3));
    ASSERT_TRUE(f.program(90, 3));
    f.hw.start(0);
    f.hw.advance_to(200);
    EXPECT_EQ(f.hw.frames_filled(), 2u);
    EXPECT_EQ(f.hw.mappings_completed(), 6u);
    auto it = f.buffers.begin();
    for (std::byte b : *it) EXPECT_EQ(b, std::byte{1});
    ++it;
    for (std::byte b : *it) EXPECT_EQ(b, std::byte{2});
    ASSERT_EQ(f.content.infos.size(), 2u);
    EXPECT_EQ(f.content.infos[1].timestamp, 200);
}

TEST(HardwareSimulation_Dma, AFrameInOneMappingIsRenderedInPlace_AScatteredOneThroughTheScratchImage) {
    HwFixture f(90);
    ASSERT_TRUE(f.program(120, 1));  // one mapping larger than the image
    ASSERT_TRUE(f.program(90, 3));
    f.hw.start(0);
    f.hw.advance_to(200);
    ASSERT_EQ(f.content.targets.size(), 2u);
    auto it = f.buffers.begin();
    EXPECT_EQ(f.content.targets[0], it->data());  // the frame's own bytes, nothing copied
    for (std::size_t i = 0; i < 90; ++i) EXPECT_EQ((*it)[i], std::byte{1});
    for (std::size_t i = 90; i < 120; ++i) EXPECT_EQ((*it)[i], std::byte{0});  // beyond the image: untouched
    ++it;
    EXPECT_NE(f.content.targets[1], it->data());  // rendered elsewhere, then copied across 3 mappings
    for (std::byte b : *it) EXPECT_EQ(b, std::byte{2});
    EXPECT_EQ(f.hw.mappings_completed(), 4u);
}

TEST(HardwareSimulation_Dma, ALargerFrameIsConsumedWholeSoTheNextImageStartsOnAFrameBoundary) {
    HwFixture f(50);
    ASSERT_TRUE(f.program(100, 4));  // 4 x 25 bytes; the image needs 2 of them
    ASSERT_TRUE(f.program(100, 4));
    f.hw.start(0);
    f.hw.advance_to(100);
    EXPECT_EQ(f.hw.mappings_completed(), 4u);
    EXPECT_EQ(f.hw.mappings_queued(), 4u);
}

TEST(HardwareSimulation_Dma, TheScatterGatherTableHoldsAtMost128Mappings) {
    HwFixture f(64);
    ASSERT_TRUE(f.program(100 * 4, 100));
    EXPECT_FALSE(f.program(29 * 4, 29));  // all or nothing
    EXPECT_EQ(f.hw.mappings_queued(), 100u);
    EXPECT_TRUE(f.program(28 * 4, 28));
    EXPECT_EQ(f.hw.mappings_queued(), 128u);
}

TEST(HardwareSimulation_Dma, FramesNotReturnedLeadToDropsCountedPerPeriod) {
    // A pool of two frames that the consumer never returns: two fills, then every period drops.
    HwFixture f(64);
    ASSERT_TRUE(f.program(64));
    ASSERT_TRUE(f.program(64));
    f.hw.start(0);
    f.hw.advance_to(1000);
    EXPECT_EQ(f.hw.frames_filled(), 2u);
    EXPECT_EQ(f.hw.frames_skipped(), 8u);
    EXPECT_EQ(f.content.infos.back().skipped, 0u);  // the overlay's drop count at the last fill
}

TEST(HardwareSimulation_Overload, WithinToleranceNothingIsDroppedAndTheBacklogStillCatchesUp) {
    HwFixture f(64);
    ASSERT_TRUE(f.program(64));
    f.hw.start(0);
    // Next deadline 100, now 300: 200 overdue, not more than the tolerance of 200.
    EXPECT_EQ(f.hw.drop_overdue(300, 200), 0u);
    EXPECT_EQ(f.hw.advance_to(300), 3u);
    EXPECT_EQ(f.hw.frames_filled(), 1u);
    EXPECT_EQ(f.hw.frames_skipped(), 2u);
}

TEST(HardwareSimulation_Overload, FarBehindEveryDuePeriodIsSkippedWithoutRenderingOrInterrupts) {
    HwFixture f(64);
    ASSERT_TRUE(f.program(64));
    f.hw.start(1000);
    EXPECT_EQ(f.hw.advance_to(1100), 1u);  // one normal tick: fills the one queued frame
    // The owner wakes at 101'050, a thousand periods late: ticks 1200 .. 101'000 are dropped.
    EXPECT_EQ(f.hw.drop_overdue(101'050, 200), 999u);
    EXPECT_EQ(f.hw.frames_skipped(), 999u);
    EXPECT_EQ(f.hw.frames_filled(), 1u);
    EXPECT_EQ(f.content.infos.size(), 1u);  // nothing rendered for the dropped periods
    EXPECT_EQ(f.irq.count, 1);
    // The schedule keeps its absolute grid: the present resumes normally, without drift.
    EXPECT_EQ(f.hw.current_tick_time(), 101'000);
    EXPECT_EQ(f.hw.next_deadline(), 101'100);
    EXPECT_EQ(f.hw.advance_to(101'050), 0u);
    ASSERT_TRUE(f.program(64));
    EXPECT_EQ(f.hw.advance_to(101'100), 1u);
    EXPECT_EQ(f.hw.frames_filled(), 2u);
    EXPECT_EQ(f.content.infos.back().skipped, 999u);  // the overlay shows the loss
}

TEST(HardwareSimulation_Overload, WhilePausedDroppedPeriodsAreNotCountedAsSkippedFrames) {
    HwFixture f(64);
    f.hw.start(0);
    f.hw.pause();
    EXPECT_EQ(f.hw.drop_overdue(10'000, 200), 100u);
    EXPECT_EQ(f.hw.frames_skipped(), 0u);
    EXPECT_EQ(f.hw.next_deadline(), 10'100);
}

TEST(HardwareSimulation_Overload, AStoppedDeviceDropsNothing) {
    HwFixture f(64);
    EXPECT_EQ(f.hw.drop_overdue(1'000'000, 0), 0u);
    EXPECT_EQ(f.hw.frames_skipped(), 0u);
}

TEST(HardwareSimulation_State, PauseKeepsInterruptingWithoutFillingOrCountingDrops) {
    HwFixture f(64);
    ASSERT_TRUE(f.program(64));
    f.hw.start(0);
    f.hw.pause();
    f.hw.advance_to(300);
    EXPECT_EQ(f.irq.count, 3);
    EXPECT_EQ(f.hw.frames_filled(), 0u);
    EXPECT_EQ(f.hw.frames_skipped(), 0u);
    f.hw.resume();
    f.hw.advance_to(400);
    EXPECT_EQ(f.hw.frames_filled(), 1u);
}

TEST(HardwareSimulation_State, StopClearsTheTableAndEveryCounter) {
    HwFixture f(64);
    ASSERT_TRUE(f.program(64));
    ASSERT_TRUE(f.program(64));
    f.hw.start(0);
    f.hw.advance_to(300);
    f.hw.stop();
    EXPECT_FALSE(f.hw.started());
    EXPECT_EQ(f.hw.next_deadline(), std::nullopt);
    EXPECT_EQ(f.hw.mappings_queued(), 0u);
    EXPECT_EQ(f.hw.frames_filled(), 0u);
    EXPECT_EQ(f.hw.frames_skipped(), 0u);
    EXPECT_EQ(f.hw.mappings_completed(), 0u);
    EXPECT_EQ(f.hw.advance_to(10'000), 0u);
}

TEST(HardwareSimulation_Faults, DropEveryThirdInterrupt_LosesExactlyThose) {
    HwFixture f;
    f.hw.set_interrupt_faults(InterruptFaults{3, 0});
    f.hw.start(0);
    EXPECT_EQ(f.hw.advance_to(600), 6u);
    EXPECT_EQ(f.irq.count, 4);  // ticks 3 and 6 raised nothing
    EXPECT_EQ(f.hw.interrupts_lost(), 2u);
    f.hw.stop();
    EXPECT_EQ(f.hw.interrupts_lost(), 0u);
}

TEST(HardwareSimulation_Faults, DelayedInterrupt_IsTheNextDeadlineAndArrivesOnTime) {
    HwFixture f;
    f.hw.set_interrupt_faults(InterruptFaults{0, 30});
    f.hw.start(0);
    EXPECT_EQ(f.hw.advance_to(100), 1u);
    EXPECT_EQ(f.irq.count, 0);
    EXPECT_EQ(f.hw.next_deadline(), 130);  // the interrupt, before the next tick at 200
    f.hw.advance_to(129);
    EXPECT_EQ(f.irq.count, 0);
    f.hw.advance_to(130);
    EXPECT_EQ(f.irq.count, 1);
    EXPECT_EQ(f.hw.next_deadline(), 200);
    EXPECT_EQ(f.hw.advance_to(1000), 9u);  // ticks 200..1000; interrupts up to 930 delivered
    EXPECT_EQ(f.irq.count, 9);
    EXPECT_EQ(f.hw.next_deadline(), 1030);
}

}  // namespace
}  // namespace ksim::daemon
