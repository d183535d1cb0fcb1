// The routine table every driver object points at: the class-driver side of ksim/ddk/avstream.h.
// Object routines (KsEdit, parents, timers, logging) are implemented here; stream-pointer and
// processing routines go to the pin's StreamingHost (ksimd), common buffers to the device's
// CommonBufferHost. A routine called where it cannot work (offline, outside InitializeAllocator)
// returns a failure status and logs why, naming the routine and the object.
#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <limits>

#include "ksim/ddk_host/driver_call.hpp"
#include "ksim/ddk_host/driver_host.hpp"
#include "ksim/ddk_host/streaming_host.hpp"

namespace ksim::ddk_host {
namespace {

constexpr std::size_t kMaxEditBytes = 1 << 20;  // a descriptor or framing copy, never more
constexpr std::size_t kMaxLogBytes = 512;

ObjectBase* base_of(const void* c_object) {
    if (c_object == nullptr) return nullptr;
    return static_cast<ObjectBase*>(static_cast<const KSIM_HOST_LINK*>(c_object)->Object);
}

template <typename T>
T* object_of(const void* c_object, ObjectKind kind) {
    ObjectBase* base = base_of(c_object);
    return base != nullptr && base->kind == kind ? static_cast<T*>(base) : nullptr;
}

PinInstance* pin_of(PKSPIN pin) {
    return object_of<PinInstance>(pin, ObjectKind::Pin);
}

DriverHost* host_of_base(ObjectBase* base) {
    if (base == nullptr) return nullptr;
    switch (base->kind) {
        case ObjectKind::Device:
            return static_cast<DeviceInstance*>(base)->host;
        case ObjectKind::Filter:
            return static_cast<FilterInstance*>(base)->device->host;
        case ObjectKind::Pin:
            return static_cast<PinInstance*>(base)->device().host;
        case ObjectKind::Timer:
            return static_cast<TimerInstance*>(base)->pin->device().host;
    }
    return nullptr;
}

void note(ObjectBase* object, unsigned level, const std::string& text) {
    if (DriverHost* h = host_of_base(object)) h->log(level, object->name, text);
}

// The pin's StreamingHost, or null after logging that `routine` cannot run now.
StreamingHost* streaming_of(PKSPIN pin, const char* routine) {
    PinInstance* p = pin_of(pin);
    if (p == nullptr) return nullptr;
    if (p->streaming == nullptr)
        note(p, KSIM_LOG_ERROR,
             fmt::format("{} called while the pin is not hosted for streaming (offline tools create pins "
                         "only to read their framing)",
                         routine));
    return p->streaming;
}

StreamingHost* streaming_of(PKSSTREAM_POINTER sp, const char* routine) {
    return sp == nullptr ? nullptr : streaming_of(sp->Pin, routine);
}

LONGLONG steady_now() {
    using Ticks = std::chrono::duration<LONGLONG, std::ratio<1, 10'000'000>>;
    return std::chrono::duration_cast<Ticks>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// --- driver and objects ---------------------------------------------------------------------

NTSTATUS initialize_driver(PDRIVER_OBJECT driver, ULONG abi, const KSDEVICE_DESCRIPTOR* descriptor) {
    if (driver == nullptr) return STATUS_INVALID_PARAMETER;
    auto* module = static_cast<DriverModule*>(driver->Ksim.Object);
    module->initialize_called = true;
    module->abi_version = abi;
    if (abi != KSIM_DDK_ABI_VERSION) return static_cast<NTSTATUS>(0xC0000059u);  // STATUS_REVISION_MISMATCH
    if (descriptor == nullptr) return STATUS_INVALID_PARAMETER;
    module->descriptor = descriptor;
    return STATUS_SUCCESS;
}

NTSTATUS edit(PVOID object, PVOID* pointer_to_pointer, ULONG new_size, ULONG old_size) {
    ObjectBase* base = base_of(object);
    if (base == nullptr || pointer_to_pointer == nullptr) return STATUS_INVALID_PARAMETER;
    if (new_size == 0 || new_size > kMaxEditBytes) {
        note(base, KSIM_LOG_ERROR, fmt::format("KsEdit: size {} outside 1..{}", new_size, kMaxEditBytes));
        return STATUS_INVALID_PARAMETER;
    }
    // Already this object's copy, large enough: nothing to do (AVStream's KsEdit behaves so too).
    const auto* current = static_cast<const std::byte*>(*pointer_to_pointer);
    for (const EditedBlock& b : base->edits)
        if (current == b.bytes.get() && b.size >= new_size) return STATUS_SUCCESS;
    EditedBlock block{std::make_unique<std::byte[]>(new_size), new_size};
    std::memset(block.bytes.get(), 0, new_size);
    if (current != nullptr) std::memcpy(block.bytes.get(), current, std::min(new_size, old_size));
    *pointer_to_pointer = block.bytes.get();
    base->edits.push_back(std::move(block));
    return STATUS_SUCCESS;
}

PKSFILTER pin_get_parent_filter(PKSPIN pin) {
    PinInstance* p = pin_of(pin);
    return p ? &p->filter->ks : nullptr;
}

PKSDEVICE filter_get_device(PKSFILTER filter) {
    auto* f = object_of<FilterInstance>(filter, ObjectKind::Filter);
    return f ? &f->device->ks : nullptr;
}

// --- stream pointers (ksimd) -----------------------------------------------------------------

PKSSTREAM_POINTER leading_edge(PKSPIN pin, KSSTREAM_POINTER_STATE state) {
    StreamingHost* s = streaming_of(pin, "KsPinGetLeadingEdgeStreamPointer");
    return s ? s->leading_edge(state) : nullptr;
}
PKSSTREAM_POINTER trailing_edge(PKSPIN pin, KSSTREAM_POINTER_STATE state) {
    StreamingHost* s = streaming_of(pin, "KsPinGetTrailingEdgeStreamPointer");
    return s ? s->trailing_edge(state) : nullptr;
}
NTSTATUS lock(PKSSTREAM_POINTER sp) {
    StreamingHost* s = streaming_of(sp, "KsStreamPointerLock");
    return s ? s->lock(sp) : STATUS_INVALID_DEVICE_STATE;
}
void unlock(PKSSTREAM_POINTER sp, BOOLEAN eject) {
    if (StreamingHost* s = streaming_of(sp, "KsStreamPointerUnlock")) s->unlock(sp, eject != 0);
}
NTSTATUS advance(PKSSTREAM_POINTER sp) {
    StreamingHost* s = streaming_of(sp, "KsStreamPointerAdvance");
    return s ? s->advance(sp) : STATUS_INVALID_DEVICE_STATE;
}
NTSTATUS advance_offsets(PKSSTREAM_POINTER sp, ULONG in_used, ULONG out_used, BOOLEAN eject,
                         BOOLEAN and_unlock) {
    StreamingHost* s = streaming_of(sp, "KsStreamPointerAdvanceOffsets");
    return s ? s->advance_offsets(sp, in_used, out_used, eject != 0, and_unlock != 0)
             : STATUS_INVALID_DEVICE_STATE;
}
NTSTATUS clone(PKSSTREAM_POINTER sp, PFNKSSTREAMPOINTER cancel, ULONG context_size, PKSSTREAM_POINTER* out) {
    StreamingHost* s = streaming_of(sp, "KsStreamPointerClone");
    if (s == nullptr) return STATUS_INVALID_DEVICE_STATE;
    if (out == nullptr) return STATUS_INVALID_PARAMETER;
    if (cancel != nullptr)
        note(pin_of(sp->Pin), KSIM_LOG_WARNING,
             "KsStreamPointerClone: CancelCallback is ignored (ksim cancels no I/O; docs/minidriver.md)");
    return s->clone(sp, context_size, out);
}
PKSSTREAM_POINTER first_clone(PKSPIN pin) {
    StreamingHost* s = streaming_of(pin, "KsPinGetFirstCloneStreamPointer");
    return s ? s->first_clone() : nullptr;
}
PKSSTREAM_POINTER next_clone(PKSSTREAM_POINTER sp) {
    StreamingHost* s = streaming_of(sp, "KsStreamPointerGetNextClone");
    return s ? s->next_clone(sp) : nullptr;
}
void delete_clone(PKSSTREAM_POINTER sp) {
    if (StreamingHost* s = streaming_of(sp, "KsStreamPointerDelete")) s->delete_clone(sp);
}
void set_status_code(PKSSTREAM_POINTER sp, NTSTATUS status) {
    if (StreamingHost* s = streaming_of(sp, "KsStreamPointerSetStatusCode")) s->set_status_code(sp, status);
}
void schedule_timeout(PKSSTREAM_POINTER sp, PFNKSSTREAMPOINTER callback, ULONGLONG interval) {
    if (StreamingHost* s = streaming_of(sp, "KsStreamPointerScheduleTimeout"))
        s->schedule_timeout(sp, callback, interval);
}
void cancel_timeout(PKSSTREAM_POINTER sp) {
    if (StreamingHost* s = streaming_of(sp, "KsStreamPointerCancelTimeout")) s->cancel_timeout(sp);
}
void attempt_processing(PKSPIN pin, BOOLEAN asynchronous) {
    if (StreamingHost* s = streaming_of(pin, "KsPinAttemptProcessing"))
        s->attempt_processing(asynchronous != 0);
}
NTSTATUS available_bytes(PKSPIN pin, LONG* input_data, LONG* output_buffer) {
    StreamingHost* s = streaming_of(pin, "KsPinGetAvailableByteCount");
    return s ? s->available_bytes(input_data, output_buffer) : STATUS_INVALID_DEVICE_STATE;
}

// --- DMA -------------------------------------------------------------------------------------

NTSTATUS allocate_common_buffer(PKSDEVICE device, ULONG length, PVOID* virtual_address,
                                PHYSICAL_ADDRESS* physical) {
    auto* d = object_of<DeviceInstance>(device, ObjectKind::Device);
    if (d == nullptr || virtual_address == nullptr || physical == nullptr) return STATUS_INVALID_PARAMETER;
    *virtual_address = nullptr;
    *physical = 0;
    if (d->common_buffers == nullptr) {
        note(
            d, KSIM_LOG_ERROR,
            "KsimDeviceAllocateCommonBuffer called outside InitializeAllocator: ksim makes frame memory only "
            "for the allocator being initialized (docs/minidriver.md)");
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    return d->common_buffers->allocate_common_buffer(length, virtual_address, physical);
}

void free_common_buffer(PKSDEVICE device, PVOID virtual_address) {
    auto* d = object_of<DeviceInstance>(device, ObjectKind::Device);
    if (d == nullptr) return;
    if (d->common_buffers == nullptr) {
        note(d, KSIM_LOG_ERROR, "KsimDeviceFreeCommonBuffer called outside the allocator's routines");
        return;
    }
    d->common_buffers->free_common_buffer(virtual_address);
}

// --- timers ----------------------------------------------------------------------------------

NTSTATUS timer_create(PKSPIN pin, PFNKSIM_TIMER callback, PVOID context, PKSIM_TIMER* timer) {
    PinInstance* p = pin_of(pin);
    if (p == nullptr || callback == nullptr || timer == nullptr) return STATUS_INVALID_PARAMETER;
    auto t = std::make_unique<TimerInstance>();
    t->ks.Ksim = KSIM_HOST_LINK{&host_api(), static_cast<ObjectBase*>(t.get())};
    t->pin = p;
    t->callback = callback;
    t->context = context;
    t->name = p->name + "/timer";
    t->module = p->module;
    t->description = p->description + " timer";
    *timer = &t->ks;
    p->timers.push_back(std::move(t));
    return STATUS_SUCCESS;
}

NTSTATUS timer_start(PKSIM_TIMER timer, LONGLONG start, LONGLONG period) {
    auto* t = object_of<TimerInstance>(timer, ObjectKind::Timer);
    if (t == nullptr) return STATUS_INVALID_PARAMETER;
    if (period <= 0) {
        note(t, KSIM_LOG_ERROR, fmt::format("KsimTimerStart: period {} must be > 0 (100 ns units)", period));
        return STATUS_INVALID_PARAMETER;
    }
    t->armed = true;
    t->start = start;
    t->period = period;
    t->fired = 0;
    return STATUS_SUCCESS;
}

void timer_stop(PKSIM_TIMER timer) {
    if (auto* t = object_of<TimerInstance>(timer, ObjectKind::Timer)) t->armed = false;
}

void timer_delete(PKSIM_TIMER timer) {
    // Disarmed now and freed with its pin: a callback that deletes its own timer returns into
    // fire_due_timers, which must not find it gone.
    if (auto* t = object_of<TimerInstance>(timer, ObjectKind::Timer)) {
        t->armed = false;
        t->callback = nullptr;
    }
}

LONGLONG query_time(PVOID object) {
    ObjectBase* base = base_of(object);
    if (base != nullptr && base->kind == ObjectKind::Pin) {
        auto* p = static_cast<PinInstance*>(base);
        if (p->streaming != nullptr) return p->streaming->now();
    }
    return steady_now();
}

void log_line(PVOID object, ULONG level, const char* message) {
    ObjectBase* base = base_of(object);
    if (base == nullptr || message == nullptr) return;
    note(base, level, std::string(message, ::strnlen(message, kMaxLogBytes)));
}

constexpr KSIM_HOST_API kApi = {
    sizeof(KSIM_HOST_API),
    KSIM_DDK_ABI_VERSION,
    initialize_driver,
    edit,
    pin_get_parent_filter,
    filter_get_device,
    leading_edge,
    trailing_edge,
    lock,
    unlock,
    advance,
    advance_offsets,
    clone,
    first_clone,
    next_clone,
    delete_clone,
    set_status_code,
    schedule_timeout,
    cancel_timeout,
    attempt_processing,
    available_bytes,
    allocate_common_buffer,
    free_common_buffer,
    timer_create,
    timer_start,
    timer_stop,
    timer_delete,
    query_time,
    log_line,
};

}  // namespace

const KSIM_HOST_API& host_api() {
    return kApi;
}

DriverHost* host_of(const void* object) {
    return host_of_base(base_of(object));
}

bool PinInstance::next_timer_deadline(LONGLONG& deadline) const {
    bool any = false;
    for (const auto& t : timers) {
        if (!t->armed || t->callback == nullptr) continue;
        const LONGLONG d = t->next_deadline();
        if (!any || d < deadline) deadline = d;
        any = true;
    }
    return any;
}

std::size_t PinInstance::fire_due_timers(LONGLONG now) {
    std::size_t ran = 0;
    for (;;) {
        // The earliest due deadline first, so two timers interleave as on real hardware. A
        // callback may start, stop or make timers: look again after each.
        TimerInstance* next = nullptr;
        for (const auto& t : timers)
            if (t->armed && t->callback != nullptr && t->next_deadline() <= now &&
                (next == nullptr || t->next_deadline() < next->next_deadline()))
                next = t.get();
        if (next == nullptr) return ran;
        const LONGLONG deadline = next->next_deadline();
        ++next->fired;
        ++ran;
        const DriverCall call(*this, "KSIM_TIMER callback");
        next->callback(next->context, deadline);
    }
}

}  // namespace ksim::ddk_host
