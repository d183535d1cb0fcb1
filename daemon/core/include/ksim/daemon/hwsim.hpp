// HardwareSimulation: the fake capture device of the AVStream avshws sample, behind a narrow
// interrupt interface so it never sees pins or filters (the built-in capture driver,
// daemon/drivers/capture/, is its ISR and programs it). A timer fires at absolute deadlines
// start + period * (n + 1) (no drift); on each tick while running, the "DMA" renders one image
// into the programmed scatter/gather mappings if they hold at least a whole image (never a
// partial fill) or counts a skipped frame; every tick then raises the fake interrupt.
// Time is pushed in from outside (advance_to), so tests drive it with a FakeClock and the daemon
// with a thread per running source. Not thread-safe: the owner serialises calls.
#pragma once

#include <boost/circular_buffer.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "ksim/daemon/clock.hpp"
#include "ksim/daemon/content_generator.hpp"
#include "ksim/daemon/sg_mapping.hpp"

namespace ksim::daemon {

// The device's interrupt line (the ISR side of the driver).
class InterruptSink {
public:
    virtual ~InterruptSink() = default;
    virtual void on_interrupt() = 0;
};

// A misbehaving interrupt line (topology faults drop_interrupts / delay_interrupts). A lost
// interrupt is never raised: what the DMA completed meanwhile is reported by the next one (the
// ISR reads the completed-mappings counter, as avshws does). A delayed one reaches the sink
// `delay` ticks after its tick, on the same clock the ticks run on.
struct InterruptFaults {
    std::uint32_t drop_every = 0;  // lose every N-th interrupt (0 = none)
    Ticks delay = 0;               // each raised interrupt arrives this much later (0 = at once)
};

class HardwareSimulation {
public:
    static constexpr std::size_t kMaxMappings = 128;  // SCATTER_GATHER_MAPPINGS_MAX in avshws

    HardwareSimulation(ContentGenerator& content, Ticks period, InterruptSink& interrupt);

    // STOP->...->RUN: starts the timer at `now` (first tick at now + period) and fills frames.
    void start(Ticks now);
    // RUN->PAUSE keeps ticking (and interrupting) without filling; resume() fills again.
    void pause() { filling_ = false; }
    void resume() { filling_ = true; }
    // Stops the timer; clears the scatter/gather table and every counter.
    void stop();

    // Programs one frame's mappings. All or nothing: false when the table (128 entries) lacks
    // room for every mapping of the frame (the pin pends and retries after an interrupt).
    bool program_frame(std::span<const SgMapping> mappings);

    // Takes effect from the next tick; set before start().
    void set_interrupt_faults(InterruptFaults faults);

    // Runs every tick (and delivers every delayed interrupt) due by now, in time order.
    // Returns the number of ticks run.
    std::size_t advance_to(Ticks now);
    // For a host that cannot keep up: when the next tick is more than `tolerance` overdue at
    // `now`, every period due by `now` passes without a transfer and counts as skipped (no
    // render, no interrupt), so a late owner resumes at the present instead of rendering the
    // backlog in one burst. Returns the periods dropped (0 within tolerance or when stopped).
    std::uint64_t drop_overdue(Ticks now, Ticks tolerance);

    [[nodiscard]] bool started() const { return started_; }
    // The next tick or delayed interrupt due (whichever comes first); nullopt when stopped.
    [[nodiscard]] std::optional<Ticks> next_deadline() const;
    [[nodiscard]] Ticks current_tick_time() const { return tick_time_; }  // deadline of the last tick
    [[nodiscard]] Ticks period() const { return period_; }
    [[nodiscard]] std::uint64_t mappings_completed() const { return mappings_completed_; }  // monotonic
    [[nodiscard]] std::uint64_t frames_filled() const { return frames_filled_; }
    [[nodiscard]] std::uint64_t frames_skipped() const { return frames_skipped_; }
    [[nodiscard]] std::uint64_t ticks() const { return ticks_; }
    [[nodiscard]] std::size_t mappings_queued() const { return table_.size(); }
    [[nodiscard]] std::uint64_t interrupts_lost() const { return interrupts_lost_; }

private:
    struct Entry {
        SgMapping mapping;
        bool last_of_frame = false;
    };
    void tick();
    void fill();
    void raise_interrupt();
    [[nodiscard]] Ticks next_tick_due() const { return start_ + period_ * static_cast<Ticks>(ticks_ + 1); }

    ContentGenerator& content_;
    Ticks period_;
    InterruptSink& interrupt_;
    // Fixed capacity (kMaxMappings, like the hardware's table): programming and completing frames
    // never allocates, where a deque would allocate and free blocks as entries cycle through it.
    boost::circular_buffer<Entry> table_{kMaxMappings};
    std::uint64_t queued_bytes_ = 0;
    std::vector<std::byte> scratch_;
    bool started_ = false;
    bool filling_ = false;
    Ticks start_ = 0;
    Ticks tick_time_ = 0;
    std::uint64_t ticks_ = 0;
    std::uint64_t mappings_completed_ = 0;
    std::uint64_t frames_filled_ = 0;
    std::uint64_t frames_skipped_ = 0;
    InterruptFaults faults_;
    boost::circular_buffer<Ticks> delayed_;  // due times of raised, undelivered interrupts
    std::uint64_t interrupts_raised_ = 0;
    std::uint64_t interrupts_lost_ = 0;
};

}  // namespace ksim::daemon
