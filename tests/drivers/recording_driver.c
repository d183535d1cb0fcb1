/*
 * A test minidriver that records its own callbacks, so tests can see what the class driver
 * called and when: a capture filter in three variants, selected by the config's "filter" name:
 *   "Recorder"           - a pin with its own KSALLOCATOR_DISPATCH over one common buffer;
 *   "RecorderInitFails"  - the same, but InitializeAllocator returns STATUS_INSUFFICIENT_RESOURCES;
 *   "RecorderNoAllocator"- no allocator dispatch (the default allocator serves it);
 *   "RecorderMapped"     - like "Recorder" with KSPIN_FLAG_GENERATE_MAPPINGS and 1 KiB mappings:
 *                          each frame's mappings are checked at completion.
 * ksim_recording_fail_next_initialize(status) makes the next InitializeAllocator of "Recorder"
 * return `status` once: a pipe that fails and then starts.
 * The pin is avshws-shaped: Create edits the framing to the image size, Process clones each new
 * frame at the leading edge, a timer at the frame period completes the oldest clone (frame
 * number in the first 8 bytes, the rest filled with the frame number's low byte), and
 * PROCESS_IN_RUN_STATE_ONLY holds Process off until RUN; PAUSE->ACQUIRE deletes the clones.
 * Tests read the record through ksim_recording_counts() after dlopen(RTLD_NOLOAD) of the module.
 * C11, against the public headers only.
 */
#include "recording_driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksim/ddk/avstream.h"

static RecordingCounts g_counts;
static NTSTATUS g_fail_next_initialize = STATUS_SUCCESS;

KSIM_DRIVER_EXPORT const RecordingCounts* ksim_recording_counts(void) {
    return &g_counts;
}
KSIM_DRIVER_EXPORT void ksim_recording_reset(void) {
    memset(&g_counts, 0, sizeof g_counts);
    g_fail_next_initialize = STATUS_SUCCESS;
}
KSIM_DRIVER_EXPORT void ksim_recording_fail_next_initialize(NTSTATUS status) {
    g_fail_next_initialize = status;
}

/* ---- allocator over one common buffer ---- */
typedef struct {
    PKSDEVICE device;
    PUCHAR base;
    ULONG stride, frames;
    UCHAR used[64];
} Allocator;

static NTSTATUS init_allocator(PKSPIN pin, PKSALLOCATOR_FRAMING framing, PVOID* context) {
    ++g_counts.initialize;
    g_counts.last_frames = framing->Frames;
    g_counts.last_frame_size = framing->FrameSize;
    g_counts.last_alignment = framing->FileAlignment;
    g_counts.last_options = framing->OptionsFlags;
    if (!NT_SUCCESS(g_fail_next_initialize)) {
        NTSTATUS s = g_fail_next_initialize;
        g_fail_next_initialize = STATUS_SUCCESS;
        return s;
    }
    if (framing->Frames > 64) return STATUS_INVALID_PARAMETER;
    Allocator* a = (Allocator*)calloc(1, sizeof *a);
    if (!a) return STATUS_INSUFFICIENT_RESOURCES;
    ULONG align = framing->FileAlignment + 1;
    if (align < 64) align = 64;
    a->stride = (framing->FrameSize + align - 1) / align * align;
    a->frames = framing->Frames;
    a->device = KsPinGetDevice(pin);
    PVOID va = NULL;
    PHYSICAL_ADDRESS pa = 0;
    NTSTATUS s = KsimDeviceAllocateCommonBuffer(a->device, a->stride * a->frames, &va, &pa);
    if (!NT_SUCCESS(s)) {
        free(a);
        return s;
    }
    a->base = (PUCHAR)va;
    *context = a;
    return STATUS_SUCCESS;
}

static NTSTATUS init_allocator_fails(PKSPIN pin, PKSALLOCATOR_FRAMING framing, PVOID* context) {
    (void)pin;
    (void)context;
    ++g_counts.initialize;
    g_counts.last_frames = framing->Frames;
    return STATUS_INSUFFICIENT_RESOURCES;
}

static VOID delete_allocator(PVOID context) {
    Allocator* a = (Allocator*)context;
    ++g_counts.remove;
    KsimDeviceFreeCommonBuffer(a->device, a->base);
    free(a);
}

static PVOID allocate(PVOID context) {
    Allocator* a = (Allocator*)context;
    ++g_counts.allocate;
    for (ULONG i = 0; i < a->frames; ++i)
        if (!a->used[i]) {
            a->used[i] = 1;
            return a->base + (size_t)i * a->stride;
        }
    ++g_counts.allocate_null;
    return NULL;
}

static VOID free_frame(PVOID context, PVOID frame) {
    Allocator* a = (Allocator*)context;
    ++g_counts.free_calls;
    size_t i = (size_t)((PUCHAR)frame - a->base) / a->stride;
    if (i < a->frames) a->used[i] = 0;
}

/* ---- the pin ---- */
typedef struct {
    PKSIM_TIMER timer;
    LONGLONG period;
    LONGLONG started;
    LONGLONG frame_number;
    LONGLONG skipped;
} PinContext;

static void note_state(KSSTATE to, KSSTATE from) {
    size_t n = strlen(g_counts.states);
    if (n + 8 < sizeof g_counts.states)
        snprintf(g_counts.states + n, sizeof g_counts.states - n, "%s%d>%d", n ? "," : "", (int)from,
                 (int)to);
    ++g_counts.set_state;
}

/* GENERATE_MAPPINGS: the clone's OffsetOut counts mappings; together they must cover the frame
 * as one physically contiguous run (a driver allocator's frame lies in one common buffer). */
static void check_mappings(PKSSTREAM_POINTER clone) {
    const KSSTREAM_POINTER_OFFSET* o = &clone->OffsetOut;
    ULONG bytes = 0;
    int ok = o->Mappings != NULL && o->Count > 0 && o->Remaining == o->Count;
    for (ULONG i = 0; ok && i < o->Count; ++i) {
        const KSMAPPING* m = &o->Mappings[i];
        if (i > 0 && m->PhysicalAddress != o->Mappings[i - 1].PhysicalAddress + o->Mappings[i - 1].ByteCount)
            ok = 0;
        if (m->ByteCount > g_counts.max_mapping_bytes) g_counts.max_mapping_bytes = m->ByteCount;
        bytes += m->ByteCount;
    }
    if (bytes != clone->StreamHeader->FrameExtent) ok = 0;
    ++g_counts.mapped_frames;
    g_counts.mapping_count = o->Count;
    g_counts.first_physical = o->Mappings ? o->Mappings[0].PhysicalAddress : 0;
    if (!ok) ++g_counts.mapping_errors;
}

static VOID tick(PVOID context, LONGLONG now) {
    PKSPIN pin = (PKSPIN)context;
    PinContext* c = (PinContext*)pin->Context;
    ++g_counts.timer_ticks;
    PKSSTREAM_POINTER clone = KsPinGetFirstCloneStreamPointer(pin);
    if (!clone) {
        ++c->skipped;
        return;
    }
    if ((pin->Descriptor->Flags & KSPIN_FLAG_GENERATE_MAPPINGS) != 0) check_mappings(clone);
    ++c->frame_number;
    PUCHAR data = (PUCHAR)clone->StreamHeader->Data;
    ULONG size = clone->StreamHeader->FrameExtent;
    memset(data, (int)(c->frame_number & 0xFF), size);
    if (size >= 8) memcpy(data, &c->frame_number, 8);
    clone->StreamHeader->DataUsed = size;
    clone->StreamHeader->PresentationTime.Time = now - c->started;
    clone->StreamHeader->PresentationTime.Numerator = 1;
    clone->StreamHeader->PresentationTime.Denominator = 1;
    clone->StreamHeader->Duration = c->period;
    clone->StreamHeader->OptionsFlags =
        KSSTREAM_HEADER_OPTIONSF_TIMEVALID | KSSTREAM_HEADER_OPTIONSF_DURATIONVALID;
    clone->KsimFrameInfo->PictureNumber = c->frame_number;
    clone->KsimFrameInfo->DropCount = c->skipped;
    KsStreamPointerDelete(clone);
    ++g_counts.frames_completed;
}

static NTSTATUS pin_create(PKSPIN pin, PIRP irp) {
    (void)irp;
    ++g_counts.pin_create;
    const KS_DATAFORMAT_VIDEOINFOHEADER* f = (const KS_DATAFORMAT_VIDEOINFOHEADER*)pin->ConnectionFormat;
    if (f->DataFormat.FormatSize < sizeof *f) return STATUS_INVALID_PARAMETER;
    PinContext* c = (PinContext*)calloc(1, sizeof *c);
    if (!c) return STATUS_INSUFFICIENT_RESOURCES;
    c->period = f->VideoInfoHeader.AvgTimePerFrame;
    pin->Context = c;
    /* avshws: the framing follows the format. */
    NTSTATUS s = KsEdit(pin, &pin->Descriptor, 0x44524352u /* pool tag "RCRD" */);
    if (NT_SUCCESS(s))
        s = KsEdit(pin, &((PKSPIN_DESCRIPTOR_EX)pin->Descriptor)->AllocatorFraming,
                   0x44524352u /* pool tag "RCRD" */);
    if (!NT_SUCCESS(s)) return s;
    PKSALLOCATOR_FRAMING_EX framing = (PKSALLOCATOR_FRAMING_EX)pin->Descriptor->AllocatorFraming;
    ULONG image = f->VideoInfoHeader.bmiHeader.biSizeImage;
    framing->FramingItem[0].Frames = 3;
    framing->FramingItem[0].PhysicalRange.MinFrameSize = image;
    framing->FramingItem[0].PhysicalRange.MaxFrameSize = image;
    framing->FramingItem[0].PhysicalRange.Stepping = 1;
    framing->FramingItem[0].FramingRange.Range = framing->FramingItem[0].PhysicalRange;
    return KsimTimerCreate(pin, tick, pin, &c->timer);
}

static NTSTATUS pin_close(PKSPIN pin, PIRP irp) {
    (void)irp;
    ++g_counts.pin_close;
    free(pin->Context);
    return STATUS_SUCCESS;
}

static NTSTATUS pin_set_state(PKSPIN pin, KSSTATE to, KSSTATE from) {
    PinContext* c = (PinContext*)pin->Context;
    note_state(to, from);
    if (from == KSSTATE_PAUSE && to == KSSTATE_RUN) {
        c->started = KsimQueryTime(pin);
        return KsimTimerStart(c->timer, c->started, c->period);
    }
    if (from == KSSTATE_RUN && to == KSSTATE_PAUSE) KsimTimerStop(c->timer);
    if (to == KSSTATE_ACQUIRE && from == KSSTATE_PAUSE) {
        KsimTimerStop(c->timer);
        c->frame_number = 0;
        c->skipped = 0;
        /* give back every frame the "hardware" held (else verifier.locked-at-flush) */
        for (PKSSTREAM_POINTER clone; (clone = KsPinGetFirstCloneStreamPointer(pin)) != NULL;)
            KsStreamPointerDelete(clone);
    }
    return STATUS_SUCCESS;
}

static NTSTATUS pin_process(PKSPIN pin) {
    ++g_counts.process;
    if (pin->DeviceState != KSSTATE_RUN) ++g_counts.process_outside_run;
    PKSSTREAM_POINTER leading = KsPinGetLeadingEdgeStreamPointer(pin, KSSTREAM_POINTER_STATE_LOCKED);
    while (leading) {
        PKSSTREAM_POINTER clone = NULL;
        if (!NT_SUCCESS(KsStreamPointerClone(leading, NULL, 0, &clone))) break;
        if (KsStreamPointerAdvance(leading) != STATUS_SUCCESS) break; /* end of the queue */
    }
    return STATUS_SUCCESS;
}

static VOID pin_reset(PKSPIN pin) {
    (void)pin;
    ++g_counts.reset;
}

static VOID pin_connect(PKSPIN pin) {
    (void)pin;
    ++g_counts.connect;
}

static VOID pin_disconnect(PKSPIN pin) {
    (void)pin;
    ++g_counts.disconnect;
}

static const KSALLOCATOR_DISPATCH kAllocator = {init_allocator, delete_allocator, allocate, free_frame};
static const KSALLOCATOR_DISPATCH kFailingAllocator = {init_allocator_fails, delete_allocator, allocate,
                                                       free_frame};

static const KSPIN_DISPATCH kPinDispatch = {pin_create, pin_close,     pin_process, pin_reset,
                                            NULL,       pin_set_state, pin_connect, pin_disconnect,
                                            NULL,       &kAllocator};
static const KSPIN_DISPATCH kPinDispatchInitFails = {
    pin_create, pin_close, pin_process, pin_reset, NULL, pin_set_state, NULL, NULL, NULL, &kFailingAllocator};
static const KSPIN_DISPATCH kPinDispatchNoAllocator = {
    pin_create, pin_close, pin_process, pin_reset, NULL, pin_set_state, NULL, NULL, NULL, NULL};

static DECLARE_SIMPLE_FRAMING_EX(kFraming, STATIC_KSMEMORY_TYPE_KERNEL_NONPAGED,
                                 KSALLOCATOR_REQUIREMENTF_SYSTEM_MEMORY |
                                     KSALLOCATOR_REQUIREMENTF_PREFERENCES_ONLY,
                                 2, FILE_64_BYTE_ALIGNMENT, 2 * PAGE_SIZE, 2 * PAGE_SIZE);

static const KSIM_ALLOCATOR_CAPABILITIES kCaps = {1,
                                                  0x10000000u,
                                                  8,
                                                  0xFFF,
                                                  TRUE,
                                                  TRUE,
                                                  128,
                                                  0x10000,
                                                  0x100000000ll,
                                                  0x1FFFFFFFFll,
                                                  0,
                                                  STATIC_KSMEMORY_TYPE_KERNEL_NONPAGED,
                                                  "recorder_dma"};
/* Mappings of at most 1 KiB: a 4608-byte frame is described by 5 of them. */
static const KSIM_ALLOCATOR_CAPABILITIES kMappedCaps = {1,
                                                        0x10000000u,
                                                        8,
                                                        0xFFF,
                                                        TRUE,
                                                        TRUE,
                                                        128,
                                                        1024,
                                                        0x100000000ll,
                                                        0x1FFFFFFFFll,
                                                        0,
                                                        STATIC_KSMEMORY_TYPE_KERNEL_NONPAGED,
                                                        "recorder_dma"};

#define CAPTURE_PIN_FLAGS(dispatch, caps, flags)                                                            \
    {                                                                                                       \
        &(dispatch), NULL,                                                                                  \
            {0, NULL, 0, NULL, 0, NULL, KSPIN_DATAFLOW_OUT, KSPIN_COMMUNICATION_BOTH, NULL, NULL}, (flags), \
            1, 1, &kFraming, NULL, "capture", (caps)                                                        \
    }
#define CAPTURE_PIN(dispatch, caps) CAPTURE_PIN_FLAGS(dispatch, caps, KSPIN_FLAG_PROCESS_IN_RUN_STATE_ONLY)

static const KSPIN_DESCRIPTOR_EX kPins[] = {CAPTURE_PIN(kPinDispatch, &kCaps)};
static const KSPIN_DESCRIPTOR_EX kPinsInitFails[] = {CAPTURE_PIN(kPinDispatchInitFails, &kCaps)};
static const KSPIN_DESCRIPTOR_EX kPinsNoAllocator[] = {CAPTURE_PIN(kPinDispatchNoAllocator, NULL)};
static const KSPIN_DESCRIPTOR_EX kPinsMapped[] = {CAPTURE_PIN_FLAGS(
    kPinDispatch, &kMappedCaps, KSPIN_FLAG_PROCESS_IN_RUN_STATE_ONLY | KSPIN_FLAG_GENERATE_MAPPINGS)};

static NTSTATUS filter_create(PKSFILTER filter, PIRP irp) {
    (void)filter;
    (void)irp;
    ++g_counts.filter_create;
    return STATUS_SUCCESS;
}
static NTSTATUS filter_close(PKSFILTER filter, PIRP irp) {
    (void)filter;
    (void)irp;
    ++g_counts.filter_close;
    return STATUS_SUCCESS;
}
static const KSFILTER_DISPATCH kFilterDispatch = {filter_create, filter_close, NULL, NULL};

#define FILTER(pins, name)                                                                                  \
    {                                                                                                       \
        &kFilterDispatch, NULL, KSFILTER_DESCRIPTOR_VERSION, 0, NULL, 1, sizeof(KSPIN_DESCRIPTOR_EX), pins, \
            0, NULL, name                                                                                   \
    }
static const KSFILTER_DESCRIPTOR kRecorder = FILTER(kPins, "Recorder");
static const KSFILTER_DESCRIPTOR kRecorderInitFails = FILTER(kPinsInitFails, "RecorderInitFails");
static const KSFILTER_DESCRIPTOR kRecorderNoAllocator = FILTER(kPinsNoAllocator, "RecorderNoAllocator");
static const KSFILTER_DESCRIPTOR kRecorderMapped = FILTER(kPinsMapped, "RecorderMapped");
static const KSFILTER_DESCRIPTOR* const kFilters[] = {&kRecorder, &kRecorderInitFails, &kRecorderNoAllocator,
                                                      &kRecorderMapped};

static NTSTATUS device_add(PKSDEVICE device) {
    (void)device;
    ++g_counts.device_add;
    return STATUS_SUCCESS;
}
static NTSTATUS device_start(PKSDEVICE device, PIRP irp, PVOID t, PVOID u) {
    (void)device;
    (void)irp;
    (void)t;
    (void)u;
    ++g_counts.device_start;
    return STATUS_SUCCESS;
}
static VOID device_stop(PKSDEVICE device, PIRP irp) {
    (void)device;
    (void)irp;
    ++g_counts.device_stop;
}
static VOID device_remove(PKSDEVICE device, PIRP irp) {
    (void)device;
    (void)irp;
    ++g_counts.device_remove;
}
static const KSDEVICE_DISPATCH kDeviceDispatch = {device_add, device_start, device_stop, device_remove};
static const KSDEVICE_DESCRIPTOR kDevice = {&kDeviceDispatch, 4, kFilters, KSDEVICE_DESCRIPTOR_VERSION, 0};

KSIM_DRIVER_EXPORT NTSTATUS DriverEntry(PDRIVER_OBJECT driver, PCUNICODE_STRING registry_path) {
    ++g_counts.driver_entry;
    return KsInitializeDriver(driver, registry_path, &kDevice);
}
