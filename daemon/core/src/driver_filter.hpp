// DriverFilter: a minidriver filter with a filter-centric Process (KSFILTER_DISPATCH.Process),
// hosted by ksimd — the class-driver side that decides when the filter processes and hands it
// the process pin index. It owns one KSPROCESSPIN per pin instance and the
// KSPROCESSPIN_INDEXENTRY table (indexed like the filter's pin descriptors), and runs Process by
// AVStream's rule: every pin that requires frames has one at its leading edge (all pins but those
// with KSPIN_FLAG_FRAMES_NOT_REQUIRED_FOR_PROCESSING), no pin with PROCESS_IN_RUN_STATE_ONLY is
// below RUN, no Process is running and the last one did not pend. Its pins' DriverPins route
// their processing triggers (arrivals, RUN, KsPinAttemptProcessing) here; KsFilterAttemptProcessing
// arrives through FilterProcessingHost. An in-place pair in one pipe section is shown as AVStream
// shows it: each process pin's InPlaceCounterpart is the other, and the output sees the input's frame.
// Called under the kernel lock only.
#pragma once

#include <vector>

#include "driver_pin.hpp"
#include "ksim/ddk_host/objects.hpp"
#include "ksim/ddk_host/streaming_host.hpp"

namespace ksim::daemon {

class DriverFilter final : public ddk_host::FilterProcessingHost {
public:
    // `pins`: the filter's hosted pins in pin-descriptor order (a loaded driver's: one instance
    // of each descriptor; a built-in driver's: one per config pin, none for some descriptors).
    DriverFilter(ddk_host::FilterInstance& instance, std::vector<DriverPin*> pins);
    ~DriverFilter() override;
    DriverFilter(const DriverFilter&) = delete;
    DriverFilter& operator=(const DriverFilter&) = delete;

    // A processing trigger from one of the pins: runs Process if the rule allows it now (or
    // right after the Process in progress). Not after STATUS_PENDING.
    void attempt();
    // KsFilterAttemptProcessing / KsPinAttemptProcessing: ends a pend, then attempt().
    void attempt_processing(bool asynchronous) override;
    // A pin's queue was flushed (STOP): a pend ends with it.
    void flushed() { pending_ = false; }

private:
    [[nodiscard]] bool ready() const;
    [[nodiscard]] std::size_t index_of(const DriverPin* pin) const;  // pins_.size() when not one of them
    // One call of Process; returns whether any pin used data or terminated a frame.
    bool run_once(NTSTATUS& status);

    ddk_host::FilterInstance& instance_;
    std::vector<DriverPin*> pins_;
    std::vector<KSPROCESSPIN> process_pins_;      // one per pin instance
    std::vector<PKSPROCESSPIN> pin_pointers_;     // KSPROCESSPIN_INDEXENTRY.Pins of each entry
    std::vector<KSPROCESSPIN_INDEXENTRY> index_;  // by pin descriptor
    std::vector<PKSSTREAM_POINTER> edges_;        // the edge each process pin was given
    bool in_process_ = false;
    bool rerun_ = false;
    bool pending_ = false;
};

}  // namespace ksim::daemon
