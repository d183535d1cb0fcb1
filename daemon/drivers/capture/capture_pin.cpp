// The capture pin of the built-in capture drivers, shaped like the AVStream avshws sample:
//   - Create reads the ConnectionFormat (capture_format.hpp) and builds the simulated hardware
//     (hwsim.hpp) with the content it renders, and a timer: the hardware's frame clock;
//   - Process walks the leading edge: clone the frame (the clone keeps it while the "DMA" owns
//     it), program the hardware with the frame's scatter/gather mappings, advance; on a full S/G
//     table it stops and retries after the next interrupt (avshws's PendIo);
//   - the hardware's interrupt (ISR + DPC) reads how many mappings the DMA completed and walks
//     the clones in order: a clone whose mappings are all done gets its header and is deleted
//     (its frame completes), a partly done one advances its offsets (CompleteMappings);
//   - SetDeviceState drives the hardware one state at a time; Reset cancels the clones, so the
//     flush that follows returns every frame to its pool unused.
// What the public driver API does not carry (the interrupt faults, whether a streaming thread
// runs the timer, the skipped periods for the pin's statistics) goes through BuiltinPinLink.
#include "capture_pin.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "../builtin_pin_link.hpp"
#include "capture_format.hpp"
#include "ksim/daemon/hwsim.hpp"

namespace ksim::daemon {
namespace {

// How far the timer may fall behind its frame clock on a streaming thread before the periods
// it missed are dropped instead of rendered: two periods, never less than 50 ms, so ordinary
// scheduling jitter (and fast test cameras) still catch up without loss.
constexpr Ticks kLagPeriods = 2;
constexpr Ticks kLagFloor = kTicksPerSecond / 20;

// KSPIN.Context: the device's state for this pin.
struct CapturePin final : InterruptSink {
    CapturePin(PKSPIN pin, CaptureFormat format)
        : pin(pin),
          pattern(format.pattern),
          content(std::move(format.content)),
          hw(*content, format.period, *this) {}

    void on_interrupt() override;
    // The hardware back to its reset state (stopped, table empty, counters zero).
    void reset_hardware();
    // The timer follows the hardware's next deadline (a tick, or a delayed interrupt between ticks).
    void follow_hardware();
    void drop_if_overloaded(Ticks now);
    // The frame under `edge` as the hardware's S/G list: the driver's KSMAPPINGs, each with the
    // address in the frame's memory the simulated DMA writes through.
    std::span<const SgMapping> mappings_of(const KSSTREAM_POINTER& edge);

    PKSPIN pin;
    BuiltinPinLink* link = nullptr;
    std::optional<proto::VideoParams> pattern;  // video: what a sink reads the frame counter with
    std::unique_ptr<ContentGenerator> content;  // before hw: the hardware renders with it
    HardwareSimulation hw;
    PKSIM_TIMER timer = nullptr;
    Ticks started_at = 0;            // when the hardware started (presentation times count from it)
    std::int64_t frame_number = 0;   // KS_FRAME_INFO.PictureNumber of the last completed frame
    std::uint64_t seen = 0;          // mappings completed already reported
    std::uint64_t skipped_seen = 0;  // the hardware's skip count already added to link->frames_skipped
    bool pend_io = false;            // Process stopped on a full S/G table
    bool warned = false;             // one warning per RUN about overload drops
    std::vector<SgMapping> sg;       // mappings_of's list, reused (no allocation per frame)
};

CapturePin* context_of(PKSPIN pin) {
    return static_cast<CapturePin*>(pin->Context);
}

void CapturePin::reset_hardware() {
    hw.stop();
    seen = 0;
    skipped_seen = 0;
    frame_number = 0;
    pend_io = false;
    KsimTimerStop(timer);
}

void CapturePin::follow_hardware() {
    const std::optional<Ticks> next = hw.next_deadline();
    if (!next) return KsimTimerStop(timer);
    // KsimTimerStart's first deadline is Start + Period.
    (void)KsimTimerStart(timer, *next - hw.period(), hw.period());
}

void CapturePin::drop_if_overloaded(Ticks now) {
    // A host too slow for the frame rate (a sanitizer build, an overloaded machine) would
    // otherwise render the backlog tick after tick while holding the kernel lock, and requests
    // waiting for the kernel would starve. Far enough behind, the missed periods are dropped
    // (counted, as a real camera loses frames).
    const Ticks tolerance = std::max(kLagPeriods * hw.period(), kLagFloor);
    const std::uint64_t dropped = hw.drop_overdue(now, tolerance);
    if (dropped == 0) return;
    const std::string line = fmt::format(
        "{} frame period(s) dropped: the daemon fell more than {} ms behind the frame clock (host "
        "overloaded?)",
        dropped, tolerance / (kTicksPerSecond / 1000));
    KsimLog(pin, warned ? KSIM_LOG_DEBUG : KSIM_LOG_WARNING, line.c_str());
    warned = true;
}

std::span<const SgMapping> CapturePin::mappings_of(const KSSTREAM_POINTER& edge) {
    sg.clear();
    auto* at = static_cast<std::byte*>(edge.StreamHeader->Data);
    for (ULONG i = 0; i < edge.OffsetOut.Remaining; ++i) {
        const KSMAPPING& m = edge.OffsetOut.Mappings[i];
        sg.push_back(SgMapping{static_cast<std::uint64_t>(m.PhysicalAddress), at, m.ByteCount, m.Alignment});
        at += m.ByteCount;  // a frame's mappings cover its memory in order
    }
    return sg;
}

// [[gnu::hot]] marks what every frame runs, so that it shares a few pages with the rest of the
// hand-off's code (docs/memory.md, "Code on the hot path").
[[gnu::hot]] void CapturePin::on_interrupt() {
    const std::uint64_t done = hw.mappings_completed();
    std::uint64_t count = done - seen;
    seen = done;
    PKSSTREAM_POINTER clone = count > 0 ? KsPinGetFirstCloneStreamPointer(pin) : nullptr;
    while (clone != nullptr && count > 0) {
        PKSSTREAM_POINTER next = KsStreamPointerGetNextClone(clone);
        const ULONG remaining = clone->OffsetOut.Remaining;
        if (count < remaining) {
            KsStreamPointerAdvanceOffsets(clone, 0, static_cast<ULONG>(count), FALSE);
            break;
        }
        count -= remaining;
        KSSTREAM_HEADER& h = *clone->StreamHeader;
        h.DataUsed = content->image_size();
        h.Duration = hw.period();
        h.PresentationTime = KSTIME{hw.current_tick_time() - started_at, 1, 1};
        h.OptionsFlags = KSSTREAM_HEADER_OPTIONSF_TIMEVALID | KSSTREAM_HEADER_OPTIONSF_DURATIONVALID |
                         KSSTREAM_HEADER_OPTIONSF_FRAMEINFO;
        clone->KsimFrameInfo->PictureNumber = ++frame_number;
        clone->KsimFrameInfo->DropCount = static_cast<LONGLONG>(hw.frames_skipped());
        KsStreamPointerDelete(clone);  // nothing holds the frame any more: it completes
        clone = next;
    }
}

// The frame clock: runs the hardware up to now (ticks, DMA, interrupts), then the Process that
// pended on a full table, and follows the hardware's next deadline.
[[gnu::hot]] VOID capture_tick(PVOID context, LONGLONG) {
    CapturePin& c = *static_cast<CapturePin*>(context);
    const Ticks now = KsimQueryTime(c.pin);
    if (c.link != nullptr && c.link->streaming_thread) c.drop_if_overloaded(now);
    c.hw.advance_to(now);
    if (c.link != nullptr) {
        // The hardware's counter restarts with it; the link's only grows.
        c.link->frames_skipped += c.hw.frames_skipped() - c.skipped_seen;
        c.skipped_seen = c.hw.frames_skipped();
    }
    // An interrupt frees room in the table: Process runs again for a pin that pended on it, as
    // avshws's CompleteMappings calls KsPinAttemptProcessing.
    if (c.pend_io) KsPinAttemptProcessing(c.pin, FALSE);
    c.follow_hardware();
}

NTSTATUS capture_pin_create(PKSPIN pin, PIRP) {
    auto format = capture_format(pin->ConnectionFormat);
    // A capture filter whose config states no format streams nothing: the pin stays inert.
    if (!format) return STATUS_SUCCESS;
    auto* c = new CapturePin(pin, std::move(*format));
    if (const NTSTATUS s = KsimTimerCreate(pin, capture_tick, c, &c->timer); !NT_SUCCESS(s)) {
        delete c;
        return s;
    }
    pin->Context = c;
    return STATUS_SUCCESS;
}

NTSTATUS capture_pin_close(PKSPIN pin, PIRP) {
    delete context_of(pin);  // its timer goes with the pin
    pin->Context = nullptr;
    return STATUS_SUCCESS;
}

[[gnu::hot]] NTSTATUS capture_pin_process(PKSPIN pin) {
    CapturePin* c = context_of(pin);
    if (c == nullptr) return STATUS_SUCCESS;
    c->pend_io = false;
    PKSSTREAM_POINTER leading = KsPinGetLeadingEdgeStreamPointer(pin, KSSTREAM_POINTER_STATE_LOCKED);
    while (leading != nullptr) {
        PKSSTREAM_POINTER clone = nullptr;
        if (!NT_SUCCESS(KsStreamPointerClone(leading, nullptr, 0, &clone))) {
            c->pend_io = true;  // ksim's clone fails only without a frame: retried after an interrupt
            KsStreamPointerUnlock(leading, FALSE);
            break;
        }
        if (!c->hw.program_frame(c->mappings_of(*leading))) {
            KsStreamPointerDelete(clone);  // the S/G table is full: pend until an interrupt frees room
            KsStreamPointerUnlock(leading, FALSE);
            c->pend_io = true;
            break;
        }
        // The clone holds the frame; the edge moves on (off the end: unlocked, the normal way out).
        if (KsStreamPointerAdvance(leading) != STATUS_SUCCESS) break;
    }
    return STATUS_SUCCESS;
}

NTSTATUS capture_pin_set_state(PKSPIN pin, KSSTATE to, KSSTATE from) {
    CapturePin* c = context_of(pin);
    if (c == nullptr) return STATUS_SUCCESS;
    if (from == KSSTATE_STOP && to == KSSTATE_ACQUIRE) {
        c->link = builtin_link_of(pin);
        c->reset_hardware();
        if (c->link != nullptr) {
            c->hw.set_interrupt_faults(c->link->interrupt_faults);
            c->link->draws_pattern = c->pattern;
        }
    } else if (from == KSSTATE_PAUSE && to == KSSTATE_RUN) {
        if (!c->hw.started()) {
            c->started_at = KsimQueryTime(pin);
            c->hw.start(c->started_at);
        } else {
            c->hw.resume();
        }
        c->warned = false;
        c->follow_hardware();
    } else if (from == KSSTATE_RUN && to == KSSTATE_PAUSE) {
        c->hw.pause();  // keeps its frames and its schedule; fills nothing until RUN
        KsimTimerStop(c->timer);
    } else if (to == KSSTATE_ACQUIRE || to == KSSTATE_STOP) {
        // avshws: stop the hardware and clean up; frame and drop counters start again.
        c->reset_hardware();
    }
    return STATUS_SUCCESS;
}

// The queue is about to be flushed: the frames the hardware held go back unused (cancelled,
// as the flush cancels the rest), after the hardware forgot them.
VOID capture_pin_reset(PKSPIN pin) {
    CapturePin* c = context_of(pin);
    if (c == nullptr) return;
    c->reset_hardware();
    while (PKSSTREAM_POINTER clone = KsPinGetFirstCloneStreamPointer(pin)) {
        (void)KsStreamPointerSetStatusCode(clone, STATUS_CANCELLED);
        KsStreamPointerDelete(clone);
    }
}

}  // namespace

const KSPIN_DISPATCH kCapturePinDispatch = {capture_pin_create,
                                            capture_pin_close,
                                            capture_pin_process,
                                            capture_pin_reset,
                                            nullptr,
                                            capture_pin_set_state,
                                            nullptr,
                                            nullptr,
                                            nullptr,
                                            nullptr};

}  // namespace ksim::daemon
