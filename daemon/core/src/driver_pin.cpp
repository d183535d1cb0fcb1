#include "driver_pin.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "driver_filter.hpp"
#include "ksim/ddk_host/driver_call.hpp"
#include "ksim/ddk_host/driver_host.hpp"
#include "ksim/proto/ntstatus.hpp"

namespace ksim::daemon {
namespace {

KSSTATE to_ks(proto::PinState s) {
    return static_cast<KSSTATE>(static_cast<int>(s));
}

PointerLock to_lock(KSSTREAM_POINTER_STATE s) {
    return s == KSSTREAM_POINTER_STATE_LOCKED ? PointerLock::Locked : PointerLock::Unlocked;
}

NTSTATUS to_nt(NtStatus s) {
    return static_cast<NTSTATUS>(static_cast<std::uint32_t>(s));
}

}  // namespace

DriverPin::DriverPin(ddk_host::PinInstance& instance, StreamQueue& queue, const Clock& clock,
                     Verifier& verifier, Ticks frame_period)
    : instance_(instance),
      queue_(queue),
      clock_(clock),
      verifier_(verifier),
      frame_period_(std::max<Ticks>(1, frame_period)) {
    instance_.streaming = this;
}

DriverPin::~DriverPin() {
    if (connected_) {
        const KSPIN_DISPATCH* d = instance_.dispatch();
        if (d != nullptr && d->Disconnect != nullptr)
            ddk_host::call_driver(instance_, "KSPIN_DISPATCH.Disconnect", d->Disconnect, &instance_.ks);
    }
    instance_.streaming = nullptr;
}

void DriverPin::connect() {
    if (connected_) return;
    connected_ = true;
    const KSPIN_DISPATCH* d = instance_.dispatch();
    if (d != nullptr && d->Connect != nullptr)
        ddk_host::call_driver(instance_, "KSPIN_DISPATCH.Connect", d->Connect, &instance_.ks);
}

void DriverPin::note(unsigned level, const std::string& text) const {
    if (ddk_host::DriverHost* host = ddk_host::host_of(&instance_.ks)) host->log(level, instance_.name, text);
}

// --- dispatch ----------------------------------------------------------------------------------

NTSTATUS DriverPin::set_device_state(proto::PinState to, proto::PinState from) {
    const KSPIN_DISPATCH* d = instance_.dispatch();
    NTSTATUS status = STATUS_SUCCESS;
    if (d != nullptr && d->SetDeviceState != nullptr)
        status = ddk_host::call_driver(instance_, "KSPIN_DISPATCH.SetDeviceState", d->SetDeviceState,
                                       &instance_.ks, to_ks(to), to_ks(from));
    if (NT_SUCCESS(status)) {
        instance_.ks.DeviceState = to_ks(to);
        instance_.ks.ClientState = to_ks(to);
    }
    running_ = to == proto::PinState::Run;
    return status;
}

void DriverPin::reset() {
    const KSPIN_DISPATCH* d = instance_.dispatch();
    instance_.ks.ResetState = KSRESET_BEGIN;
    in_reset_ = true;  // ACQUIRE->STOP resets with DeviceState already STOP: its Reset may walk the queue
    if (d != nullptr && d->Reset != nullptr)
        ddk_host::call_driver(instance_, "KSPIN_DISPATCH.Reset", d->Reset, &instance_.ks);
    in_reset_ = false;
    instance_.ks.ResetState = KSRESET_END;
}

void DriverPin::flushed() {
    // The queue deleted every clone: their wrappers go, and processing starts afresh.
    for (Wrapper& w : wrappers_)
        if (w.sp != nullptr && w.sp->is_clone()) retire(w);
    for (Wrapper& w : wrappers_)
        if (w.sp != nullptr) refresh(w);
    pending_ = false;
    deferred_ = false;
    waiting_since_.reset();
    stall_reported_ = false;
    if (filter_ != nullptr) filter_->flushed();
}

void DriverPin::check_before_flush(std::string_view step) {
    std::size_t locked_edges = 0;
    for (const Wrapper& w : wrappers_)
        if (w.sp != nullptr && !w.sp->is_clone() && w.sp->lock_state() == PointerLock::Locked) ++locked_edges;
    std::size_t locked_clones = 0;
    for (StreamPointer* c = queue_.first_clone(); c != nullptr; c = queue_.next_clone(*c))
        if (c->lock_state() == PointerLock::Locked) ++locked_clones;
    if (locked_edges == 0 && locked_clones == 0) return;
    verifier_.report(VerifierRule::LockedAtFlush, step,
                     fmt::format("{} locked edge(s) and {} locked clone(s) still held after SetDeviceState "
                                 "and Reset; ksim flushes them (clones deleted, frames cancelled)",
                                 locked_edges, locked_clones));
}

std::optional<Ticks> DriverPin::stall_deadline() const {
    if (!waiting_since_ || stall_reported_) return std::nullopt;
    return *waiting_since_ + kStallPeriods * frame_period_;
}

void DriverPin::check_stall(Ticks now) {
    if (!pending_ || queue_.frames_from_leading_edge() == 0) {
        waiting_since_.reset();
        return;
    }
    if (!waiting_since_) waiting_since_ = now;
    const std::optional<Ticks> due = stall_deadline();
    if (!due || now < *due) return;
    stall_reported_ = true;
    verifier_.report(VerifierRule::PendStall, "Process",
                     fmt::format("Process returned STATUS_PENDING and {} frame(s) have waited {} ms at the "
                                 "leading edge with no KsPinAttemptProcessing",
                                 queue_.frames_from_leading_edge(), (now - *waiting_since_) / 10'000));
}

void DriverPin::frames_arrived(bool was_empty, bool running) {
    running_ = running;
    const ULONG f = flags();
    // An edge may now point at a frame. The live pointers only (a handful): wrappers_ also holds
    // the retired clones in quarantine, dozens of them, and this runs on every arrival.
    for (const auto& [pointer, w] : by_pointer_)
        if (!pointer->is_clone()) refresh(*w);
    if (pending_ && !waiting_since_ && queue_.frames_from_leading_edge() > 0) waiting_since_ = clock_.now();
    if ((f & KSPIN_FLAG_DO_NOT_INITIATE_PROCESSING) != 0 || pending_) return;
    if (was_empty || (f & KSPIN_FLAG_INITIATE_PROCESSING_ON_EVERY_ARRIVAL) != 0) process();
}

void DriverPin::run_started() {
    running_ = true;
    if (deferred_ || queue_.frames_from_leading_edge() > 0) {
        deferred_ = false;
        if (!pending_) process();
    }
}

void DriverPin::attempt_processing(bool asynchronous) {
    if (filter_ != nullptr) return filter_->attempt_processing(asynchronous);
    // ksim runs it at once (or right after the Process in progress): the "asynchronous" work
    // item would run on the same serialised context anyway.
    pending_ = false;
    waiting_since_.reset();
    stall_reported_ = false;
    process();
}

void DriverPin::process() {
    if (filter_ != nullptr) return filter_->attempt();  // its rule covers the run state too
    const KSPIN_DISPATCH* d = instance_.dispatch();
    if (d == nullptr || d->Process == nullptr) return;
    if ((flags() & KSPIN_FLAG_PROCESS_IN_RUN_STATE_ONLY) != 0 && !running_) {
        deferred_ = true;
        return;
    }
    if (in_process_) {
        rerun_ = true;
        return;
    }
    in_process_ = true;
    do {
        rerun_ = false;
        const NTSTATUS s =
            ddk_host::call_driver(instance_, "KSPIN_DISPATCH.Process", d->Process, &instance_.ks);
        pending_ = s == STATUS_PENDING;
        if (pending_ && !waiting_since_ && queue_.frames_from_leading_edge() > 0)
            waiting_since_ = clock_.now();
        if (!NT_SUCCESS(s))
            note(KSIM_LOG_WARNING,
                 fmt::format("Process returned {}", proto::ntstatus_name(static_cast<std::uint32_t>(s))));
    } while (rerun_);
    in_process_ = false;
}

// --- filter-centric processing ------------------------------------------------------------------

PKSSTREAM_POINTER DriverPin::prepare_process_pin(KSPROCESSPIN& pp) {
    pp = KSPROCESSPIN{};
    pp.Pin = &instance_.ks;
    if (!has_frame_at_leading_edge()) return nullptr;  // a pin whose frames are not required
    PKSSTREAM_POINTER edge = expose(queue_.leading_edge(PointerLock::Locked));
    pp.StreamPointer = edge;
    pp.Data = edge->Offset->Data;
    pp.BytesAvailable = edge->Offset->Remaining;
    if (instance_.ks.DataFlow == KSPIN_DATAFLOW_IN) pp.Flags = edge->StreamHeader->OptionsFlags;
    return edge;
}

bool DriverPin::finish_process_pin(const KSPROCESSPIN& pp, PKSSTREAM_POINTER edge) {
    routine_ = "Process";
    Wrapper* w = static_cast<Wrapper*>(edge->Ksim.Object);
    StreamPointer& sp = *w->sp;  // an edge: never retired
    if (!sp.has_frame()) return false;
    const bool out = instance_.ks.DataFlow == KSPIN_DATAFLOW_OUT;
    ULONG used = pp.BytesUsed;
    const std::uint32_t available = sp.offset().remaining;
    if (used > available) {
        verifier_.report(
            VerifierRule::AdvancePastEnd, routine_,
            fmt::format("KSPROCESSPIN.BytesUsed {} of pin {} is more than its BytesAvailable {}; "
                        "ksim uses {}",
                        used, instance_.id, available, available));
        used = available;
    }
    const bool moves = used > 0 || pp.Terminate != 0;
    if (sp.lock_state() == PointerLock::Locked) {
        if (out && w->ks.StreamHeader != nullptr) w->ks.StreamHeader->DataUsed += used;
        // Remaining at 0 or Terminate: the frame is done (an output frame goes downstream).
        if (moves) (void)queue_.advance_offsets(sp, out ? 0 : used, out ? used : 0, pp.Terminate != 0);
        if (sp.lock_state() == PointerLock::Locked) queue_.unlock(sp, false);
    }
    refresh(*w);
    return moves;
}

// --- frames ------------------------------------------------------------------------------------

DriverPin::FrameExtras& DriverPin::extras_of(const QueuedFrame& frame) {
    const auto index = static_cast<std::uint32_t>(frame.token);
    if (index >= extras_.size()) extras_.resize(index + 1);
    return extras_[index];
}

void DriverPin::frame_queued(const QueuedFrame& frame) {
    FrameExtras& x = extras_of(frame);
    x.header = KSSTREAM_HEADER{};
    x.header.Size = sizeof(KSSTREAM_HEADER);
    x.header.FrameExtent = static_cast<ULONG>(frame.data.size());
    x.header.Data = frame.data.data();
    x.header.PresentationTime = KSTIME{0, 1, 1};
    x.info = KSIM_FRAME_INFO{};
    if (instance_.ks.DataFlow == KSPIN_DATAFLOW_IN) {
        // An input frame arrives filled: the driver reads what the upstream pin completed it with.
        const proto::StreamHeader& h = frame.header;
        x.header.DataUsed = h.data_used;
        x.header.PresentationTime =
            KSTIME{h.presentation_time.time, h.presentation_time.numerator, h.presentation_time.denominator};
        x.header.Duration = h.duration;
        x.header.OptionsFlags = static_cast<ULONG>(h.options_flags);
        x.header.TypeSpecificFlags = h.type_specific_flags;
        x.info.PictureNumber = h.picture_number;
        x.info.DropCount = h.drop_count;
    }
    x.mappings.clear();
    if ((flags() & KSPIN_FLAG_GENERATE_MAPPINGS) != 0)
        for (const SgMapping& m : frame.mappings)
            x.mappings.push_back(
                KSMAPPING{static_cast<PHYSICAL_ADDRESS>(m.physical_address), m.byte_count, m.alignment});
}

void DriverPin::frame_completing(QueuedFrame& frame) {
    if (frame.header.status == static_cast<std::uint32_t>(NtStatus::Cancelled))
        return;  // flushed: DataUsed 0
    const FrameExtras& x = extras_of(frame);
    proto::StreamHeader& h = frame.header;
    h.data_used = x.header.DataUsed;
    if (h.data_used > frame.data.size()) {
        verifier_.report(VerifierRule::DataUsedBeyondFrame, routine_,
                         fmt::format("frame completed with DataUsed {} but FrameExtent {}; clamped",
                                     h.data_used, frame.data.size()));
        h.data_used = static_cast<std::uint32_t>(frame.data.size());
    }
    h.presentation_time = {x.header.PresentationTime.Time, x.header.PresentationTime.Numerator,
                           x.header.PresentationTime.Denominator};
    h.duration = x.header.Duration;
    h.options_flags = static_cast<proto::StreamHeaderOptions>(x.header.OptionsFlags);
    h.type_specific_flags = x.header.TypeSpecificFlags;
    h.picture_number = x.info.PictureNumber;
    h.drop_count = x.info.DropCount;
}

// --- wrappers ----------------------------------------------------------------------------------

DriverPin::Wrapper* DriverPin::wrapper_of(StreamPointer* sp) {
    for (const auto& [pointer, wrapper] : by_pointer_)
        if (pointer == sp) return wrapper;
    Wrapper* w = nullptr;
    if (retired_.size() > kQuarantine) {
        w = retired_.front();
        retired_.pop_front();
    } else {
        w = &wrappers_.emplace_back();
    }
    *w = Wrapper{};
    w->sp = sp;
    w->ks.Ksim = KSIM_HOST_LINK{&ddk_host::host_api(), w};
    w->ks.Pin = &instance_.ks;
    by_pointer_.emplace_back(sp, w);
    return w;
}

DriverPin::Wrapper* DriverPin::live(PKSSTREAM_POINTER sp, const char* routine) {
    routine_ = routine;
    auto* w = static_cast<Wrapper*>(sp->Ksim.Object);
    if (w == nullptr || w->sp == nullptr) {
        verifier_.report(VerifierRule::DeletedClone, routine,
                         fmt::format("stream pointer {} is a clone that was deleted; the call does nothing",
                                     static_cast<const void*>(sp)));
        return nullptr;
    }
    if (stopped(routine)) return nullptr;
    return w;
}

bool DriverPin::stopped(const char* routine) {
    routine_ = routine;
    if (instance_.ks.DeviceState != KSSTATE_STOP || in_reset_) return false;
    verifier_.report(VerifierRule::RoutineInStop, routine,
                     "the pin is in STOP (its queue is empty); the call fails and does nothing");
    return true;
}

void DriverPin::retire(Wrapper& w) {
    for (auto& entry : by_pointer_)
        if (entry.first == w.sp) {
            entry = by_pointer_.back();
            by_pointer_.pop_back();
            break;
        }
    w.sp = nullptr;
    w.ks.StreamHeader = nullptr;
    w.ks.KsimFrameInfo = nullptr;
    w.ks.OffsetIn = w.ks.OffsetOut = KSSTREAM_POINTER_OFFSET{};
    if (retired_.full()) retired_.set_capacity(2 * retired_.capacity());  // grows, never per frame
    retired_.push_back(&w);
}

void DriverPin::refresh(Wrapper& w) {
    StreamPointer& sp = *w.sp;
    std::span<std::byte> context = sp.is_clone() ? sp.context() : std::span<std::byte>{};
    w.ks.Context = context.empty() ? nullptr : context.data();
    w.ks.Offset = instance_.ks.DataFlow == KSPIN_DATAFLOW_OUT ? &w.ks.OffsetOut : &w.ks.OffsetIn;
    QueuedFrame* f = sp.has_frame() ? sp.frame() : nullptr;
    if (f == nullptr) {
        w.ks.StreamHeader = nullptr;
        w.ks.KsimFrameInfo = nullptr;
        w.ks.OffsetIn = w.ks.OffsetOut = KSSTREAM_POINTER_OFFSET{};
        return;
    }
    FrameExtras& x = extras_of(*f);
    w.ks.StreamHeader = &x.header;
    w.ks.KsimFrameInfo = &x.info;
    const bool mapped = (flags() & KSPIN_FLAG_GENERATE_MAPPINGS) != 0;
    auto fill = [&](KSSTREAM_POINTER_OFFSET& out, const StreamOffset& in) {
        out.Count = in.count;
        out.Remaining = in.remaining;
        const std::uint32_t used = in.count >= in.remaining ? in.count - in.remaining : 0;
        if (mapped)
            out.Mappings = x.mappings.empty()
                               ? nullptr
                               : x.mappings.data() + std::min<std::size_t>(used, x.mappings.size());
        else
            out.Data = reinterpret_cast<PUCHAR>(f->data.data()) + std::min<std::size_t>(used, f->data.size());
    };
    fill(w.ks.OffsetIn, sp.offset_in());
    fill(w.ks.OffsetOut, sp.offset_out());
}

PKSSTREAM_POINTER DriverPin::expose(StreamPointer* sp) {
    if (sp == nullptr) return nullptr;
    Wrapper* w = wrapper_of(sp);
    refresh(*w);
    return &w->ks;
}

// --- StreamingHost -----------------------------------------------------------------------------

PKSSTREAM_POINTER DriverPin::leading_edge(KSSTREAM_POINTER_STATE state) {
    if (stopped("KsPinGetLeadingEdgeStreamPointer")) return nullptr;
    return expose(queue_.leading_edge(to_lock(state)));
}

PKSSTREAM_POINTER DriverPin::trailing_edge(KSSTREAM_POINTER_STATE state) {
    if (stopped("KsPinGetTrailingEdgeStreamPointer")) return nullptr;
    return expose(queue_.trailing_edge(to_lock(state)));
}

NTSTATUS DriverPin::lock(PKSSTREAM_POINTER sp) {
    Wrapper* w = live(sp, "KsStreamPointerLock");
    if (w == nullptr) return STATUS_INVALID_PARAMETER;
    const NTSTATUS s = to_nt(queue_.lock(*w->sp));
    refresh(*w);
    return s;
}

void DriverPin::unlock(PKSSTREAM_POINTER sp, bool eject) {
    Wrapper* w = live(sp, "KsStreamPointerUnlock");
    if (w == nullptr) return;
    if (w->sp->lock_state() != PointerLock::Locked) {
        verifier_.report(
            VerifierRule::UnlockUnlocked, routine_,
            fmt::format("the {} is not locked; the call does nothing{}", w->sp->is_clone() ? "clone" : "edge",
                        eject ? " (not even the eject)" : ""));
        return;
    }
    queue_.unlock(*w->sp, eject);
    if (w->sp != nullptr) refresh(*w);
}

NTSTATUS DriverPin::advance(PKSSTREAM_POINTER sp) {
    Wrapper* w = live(sp, "KsStreamPointerAdvance");
    if (w == nullptr) return STATUS_INVALID_PARAMETER;
    if (!w->sp->has_frame()) {
        verifier_.report(VerifierRule::AdvancePastEnd, routine_,
                         "the pointer is already past the end of the queue (an earlier advance returned "
                         "STATUS_DEVICE_NOT_READY); returns STATUS_DEVICE_NOT_READY again");
        return STATUS_DEVICE_NOT_READY;
    }
    const NTSTATUS s = to_nt(queue_.advance(*w->sp));
    refresh(*w);
    return s;
}

NTSTATUS DriverPin::advance_offsets(PKSSTREAM_POINTER sp, ULONG in_used, ULONG out_used, bool eject,
                                    bool and_unlock) {
    Wrapper* w =
        live(sp, and_unlock ? "KsStreamPointerAdvanceOffsetsAndUnlock" : "KsStreamPointerAdvanceOffsets");
    if (w == nullptr) return STATUS_INVALID_PARAMETER;
    StreamPointer& p = *w->sp;
    if (and_unlock && p.lock_state() != PointerLock::Locked) {
        verifier_.report(VerifierRule::UnlockUnlocked, routine_,
                         "the pointer is not locked; the call does nothing");
        return STATUS_DEVICE_NOT_READY;
    }
    if (!p.has_frame()) {
        verifier_.report(VerifierRule::AdvancePastEnd, routine_,
                         "the pointer is past the end of the queue (no frame); the call does nothing");
        return STATUS_DEVICE_NOT_READY;
    }
    const bool out = instance_.ks.DataFlow == KSPIN_DATAFLOW_OUT;
    const ULONG used = out ? out_used : in_used;
    const std::uint32_t remaining = p.offset().remaining;
    if (p.lock_state() == PointerLock::Locked && used > remaining) {
        verifier_.report(VerifierRule::AdvancePastEnd, routine_,
                         fmt::format("{} {} is more than Offset{}->Remaining {}; the call fails with "
                                     "STATUS_INVALID_PARAMETER and the pointer stays",
                                     out ? "OutUsed" : "InUsed", used, out ? "Out" : "In", remaining));
        return STATUS_INVALID_PARAMETER;
    }
    const NTSTATUS s = to_nt(queue_.advance_offsets(*w->sp, in_used, out_used, eject));
    if (and_unlock && w->sp->lock_state() == PointerLock::Locked) queue_.unlock(*w->sp, false);
    refresh(*w);
    return s;
}

NTSTATUS DriverPin::clone(PKSSTREAM_POINTER sp, ULONG context_size, PKSSTREAM_POINTER* out) {
    *out = nullptr;
    Wrapper* w = live(sp, "KsStreamPointerClone");
    if (w == nullptr) return STATUS_INVALID_PARAMETER;
    if (context_size > 64 * 1024) {
        note(KSIM_LOG_ERROR,
             fmt::format("KsStreamPointerClone: ContextSize {} is over ksim's 64 KiB", context_size));
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    auto c = queue_.clone(*w->sp, context_size);
    if (!c) return STATUS_INVALID_DEVICE_STATE;  // the source has no frame
    *out = expose(*c);
    return STATUS_SUCCESS;
}

PKSSTREAM_POINTER DriverPin::first_clone() {
    if (stopped("KsPinGetFirstCloneStreamPointer")) return nullptr;
    return expose(queue_.first_clone());
}

PKSSTREAM_POINTER DriverPin::next_clone(PKSSTREAM_POINTER sp) {
    Wrapper* w = live(sp, "KsStreamPointerGetNextClone");
    if (w == nullptr || !w->sp->is_clone()) return nullptr;
    return expose(queue_.next_clone(*w->sp));
}

void DriverPin::delete_clone(PKSSTREAM_POINTER sp) {
    Wrapper* w = live(sp, "KsStreamPointerDelete");
    if (w == nullptr) return;
    if (!w->sp->is_clone()) {
        verifier_.report(VerifierRule::DeleteEdge, routine_, "the pointer is an edge; the call does nothing");
        return;
    }
    StreamPointer* p = w->sp;
    retire(*w);
    queue_.delete_clone(*p);  // may complete the frame (frame_completing reads its header)
}

void DriverPin::set_status_code(PKSSTREAM_POINTER sp, NTSTATUS status) {
    if (Wrapper* w = live(sp, "KsStreamPointerSetStatusCode"))
        queue_.set_status_code(*w->sp, static_cast<NtStatus>(static_cast<std::uint32_t>(status)));
}

void DriverPin::schedule_timeout(PKSSTREAM_POINTER sp, PFNKSSTREAMPOINTER callback, ULONGLONG interval) {
    Wrapper* w = live(sp, "KsStreamPointerScheduleTimeout");
    if (w == nullptr || callback == nullptr) return;
    w->timeout = callback;
    queue_.schedule_timeout(
        *w->sp,
        [this, w](StreamPointer&) {
            if (w->sp == nullptr || w->timeout == nullptr) return;
            refresh(*w);
            ddk_host::call_driver(instance_, "KSSTREAM_POINTER timeout callback", w->timeout, &w->ks);
        },
        static_cast<Ticks>(std::min<ULONGLONG>(interval, static_cast<ULONGLONG>(INT64_MAX / 2))));
}

void DriverPin::cancel_timeout(PKSSTREAM_POINTER sp) {
    if (Wrapper* w = live(sp, "KsStreamPointerCancelTimeout")) {
        queue_.cancel_timeout(*w->sp);
        w->timeout = nullptr;
    }
}

NTSTATUS DriverPin::available_bytes(LONG* input_data, LONG* output_buffer) {
    std::uint64_t bytes = 0;
    if (StreamPointer* edge = queue_.leading_edge(PointerLock::Unlocked); edge && edge->has_frame())
        bytes = std::uint64_t{edge->frame()->data.size()} * queue_.frames_from_leading_edge();
    const LONG value = static_cast<LONG>(std::min<std::uint64_t>(bytes, 0x7FFFFFFF));
    const bool out = instance_.ks.DataFlow == KSPIN_DATAFLOW_OUT;
    if (input_data != nullptr) *input_data = out ? 0 : value;
    if (output_buffer != nullptr) *output_buffer = out ? value : 0;
    return STATUS_SUCCESS;
}

// --- timers ------------------------------------------------------------------------------------

std::optional<Ticks> DriverPin::next_timer_deadline() const {
    // The stall check is a deadline too, so a pin whose driver armed no timer is still checked.
    std::optional<Ticks> next = stall_deadline();
    LONGLONG d = 0;
    if (instance_.next_timer_deadline(d) && (!next || static_cast<Ticks>(d) < *next))
        next = static_cast<Ticks>(d);
    return next;
}

void DriverPin::fire_timers(Ticks now) {
    instance_.fire_due_timers(static_cast<LONGLONG>(now));
}

}  // namespace ksim::daemon
