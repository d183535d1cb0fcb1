#include "driver_filter.hpp"

#include <fmt/format.h>

#include "ksim/ddk_host/driver_call.hpp"
#include "ksim/ddk_host/driver_host.hpp"
#include "ksim/proto/ntstatus.hpp"

namespace ksim::daemon {

DriverFilter::DriverFilter(ddk_host::FilterInstance& instance, std::vector<DriverPin*> pins)
    : instance_(instance),
      pins_(std::move(pins)),
      process_pins_(pins_.size()),
      pin_pointers_(pins_.size()),
      index_(instance.ks.Descriptor->PinDescriptorsCount),
      edges_(pins_.size()) {
    for (std::size_t i = 0; i < pins_.size(); ++i) {
        pin_pointers_[i] = &process_pins_[i];
        pins_[i]->set_filter_processing(this);
    }
    // One entry per pin descriptor, as AVStream's: the instances of descriptor d, which follow
    // each other in `pins_`; Count 0 for a descriptor without one (a built-in driver's pin the
    // config does not list).
    for (std::size_t d = 0; d < index_.size(); ++d) {
        ULONG count = 0;
        PKSPROCESSPIN* first = nullptr;
        for (std::size_t i = 0; i < pins_.size(); ++i) {
            if (pins_[i]->instance().ks.Id != d) continue;
            if (first == nullptr) first = &pin_pointers_[i];
            ++count;
        }
        index_[d] = KSPROCESSPIN_INDEXENTRY{first, count};
    }
    instance_.processing = this;
}

DriverFilter::~DriverFilter() {
    for (DriverPin* p : pins_) p->set_filter_processing(nullptr);
    instance_.processing = nullptr;
}

namespace {
// The output pin of an in-place pipe section has no frames of its own: its frame is the one at
// its counterpart input pin's leading edge.
const DriverPin* in_place_input_of(const DriverPin& pin) {
    const DriverPin* other = pin.in_place_counterpart();
    return other != nullptr && pin.instance().ks.DataFlow == KSPIN_DATAFLOW_OUT ? other : nullptr;
}
}  // namespace

bool DriverFilter::ready() const {
    if (pending_) return false;
    for (const DriverPin* p : pins_) {
        const ULONG flags = p->flags();
        if ((flags & KSPIN_FLAG_PROCESS_IN_RUN_STATE_ONLY) != 0 && !p->running()) return false;
        const DriverPin* input = in_place_input_of(*p);
        const bool has_frame = (input != nullptr ? input : p)->has_frame_at_leading_edge();
        if ((flags & KSPIN_FLAG_FRAMES_NOT_REQUIRED_FOR_PROCESSING) == 0 && !has_frame) return false;
    }
    return true;
}

std::size_t DriverFilter::index_of(const DriverPin* pin) const {
    for (std::size_t i = 0; i < pins_.size(); ++i)
        if (pins_[i] == pin) return i;
    return pins_.size();
}

void DriverFilter::attempt_processing(bool /*asynchronous*/) {
    // As for pins: at once (or right after the Process in progress); the work item would run in
    // the same serialised context.
    pending_ = false;
    attempt();
}

void DriverFilter::attempt() {
    if (in_process_) {
        rerun_ = true;
        return;
    }
    const KSFILTER_DISPATCH* d = instance_.dispatch();
    if (d == nullptr || d->Process == nullptr) return;
    in_process_ = true;
    // AVStream processes again while the conditions hold; ksim stops when a call used nothing
    // (a driver that returns STATUS_SUCCESS without consuming would otherwise spin).
    bool again = ready();
    while (again) {
        rerun_ = false;
        NTSTATUS status = STATUS_SUCCESS;
        const bool used = run_once(status);
        pending_ = status == STATUS_PENDING;
        if (!NT_SUCCESS(status)) {
            if (ddk_host::DriverHost* host = ddk_host::host_of(&instance_.ks))
                host->log(KSIM_LOG_WARNING, instance_.name,
                          fmt::format("filter Process returned {}",
                                      proto::ntstatus_name(static_cast<std::uint32_t>(status))));
        }
        again = NT_SUCCESS(status) && status != STATUS_PENDING && (used || rerun_) && ready();
    }
    in_process_ = false;
}

bool DriverFilter::run_once(NTSTATUS& status) {
    for (std::size_t i = 0; i < pins_.size(); ++i)
        edges_[i] = in_place_input_of(*pins_[i]) ? nullptr : pins_[i]->prepare_process_pin(process_pins_[i]);
    // An in-place pipe section (AVStream's InPlaceCounterpart): the output process pin shows the
    // input's frame (same stream pointer, data and size); the frame goes on downstream when the
    // input pin completes it, so the output's BytesUsed and Terminate are not used.
    for (std::size_t i = 0; i < pins_.size(); ++i) {
        const std::size_t j = index_of(in_place_input_of(*pins_[i]));
        if (j == pins_.size()) continue;
        KSPROCESSPIN& out = process_pins_[i];
        KSPROCESSPIN& in = process_pins_[j];
        out = KSPROCESSPIN{};
        out.Pin = &pins_[i]->instance().ks;
        out.StreamPointer = in.StreamPointer;
        out.Data = in.Data;
        out.BytesAvailable = in.BytesAvailable;
        out.InPlaceCounterpart = &in;
        in.InPlaceCounterpart = &out;
    }
    status = ddk_host::call_driver(instance_, "KSFILTER_DISPATCH.Process", instance_.dispatch()->Process,
                                   &instance_.ks, index_.data());
    bool used = false;
    for (std::size_t i = 0; i < pins_.size(); ++i)
        if (edges_[i] != nullptr) used = pins_[i]->finish_process_pin(process_pins_[i], edges_[i]) || used;
    return used;
}

}  // namespace ksim::daemon
