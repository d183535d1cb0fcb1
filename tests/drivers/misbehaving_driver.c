/*
 * A test minidriver that breaks one rule of the driver API per filter, for the verifier tests
 * (tests/daemon_core/kernel_verifier_test.cpp). Every filter has the same capture pin — its own
 * KSALLOCATOR_DISPATCH over one common buffer, Process cloning each frame at the leading edge,
 * a timer at the frame period completing the oldest clone, clones deleted at PAUSE->ACQUIRE as
 * the docs ask — and the filter's name (its KsimName) selects what it does wrong:
 *   "Polite"            - nothing (the control);
 *   "UnlockUnlocked"    - Process unlocks the leading edge after it ran off the queue (unlocked);
 *   "DeletedClone"      - the timer deletes the clone it completed a second time;
 *   "AdvancePastEnd"    - Process advances the leading edge again after it ran off the queue;
 *   "OffsetsPastEnd"    - the timer advances a clone's offsets by more than Remaining;
 *   "DataUsedBeyond"    - the timer completes frames with DataUsed = FrameExtent + 100;
 *   "LockedAtFlush"     - SetDeviceState(PAUSE->ACQUIRE) keeps its (locked) clones;
 *   "PendStall"         - Process returns STATUS_PENDING and never calls KsPinAttemptProcessing;
 *   "AllocateDuplicate" - Allocate always returns the first frame;
 *   "AllocateShort"     - the common buffer is half a frame short: the last frame is not whole;
 *   "DeleteEdge"        - Process deletes the leading edge;
 *   "RoutineInStop"     - SetDeviceState(STOP->ACQUIRE) asks for the leading edge (and fails the
 *                         step if it gets one).
 * C11, against the public headers only.
 */
#include <stdlib.h>
#include <string.h>

#include "ksim/ddk/avstream.h"

typedef enum {
    POLITE,
    UNLOCK_UNLOCKED,
    DELETED_CLONE,
    ADVANCE_PAST_END,
    OFFSETS_PAST_END,
    DATA_USED_BEYOND,
    LOCKED_AT_FLUSH,
    PEND_STALL,
    ALLOCATE_DUPLICATE,
    ALLOCATE_SHORT,
    DELETE_EDGE,
    ROUTINE_IN_STOP,
    MODE_COUNT
} Mode;

static const char* const kModeNames[MODE_COUNT] = {"Polite",         "UnlockUnlocked", "DeletedClone",
                                                   "AdvancePastEnd", "OffsetsPastEnd", "DataUsedBeyond",
                                                   "LockedAtFlush",  "PendStall",      "AllocateDuplicate",
                                                   "AllocateShort",  "DeleteEdge",     "RoutineInStop"};

static Mode mode_of(PKSPIN pin) {
    const char* name = KsPinGetParentFilter(pin)->Descriptor->KsimName;
    for (int m = 0; m < MODE_COUNT; ++m)
        if (strcmp(name, kModeNames[m]) == 0) return (Mode)m;
    return POLITE;
}

/* ---- allocator over one common buffer ---- */
typedef struct {
    PKSDEVICE device;
    PUCHAR base;
    ULONG stride, frames;
    Mode mode;
    UCHAR used[64];
} Allocator;

static NTSTATUS init_allocator(PKSPIN pin, PKSALLOCATOR_FRAMING framing, PVOID* context) {
    if (framing->Frames > 64) return STATUS_INVALID_PARAMETER;
    Allocator* a = (Allocator*)calloc(1, sizeof *a);
    if (!a) return STATUS_INSUFFICIENT_RESOURCES;
    ULONG align = framing->FileAlignment + 1;
    if (align < 64) align = 64;
    a->stride = (framing->FrameSize + align - 1) / align * align;
    a->frames = framing->Frames;
    a->mode = mode_of(pin);
    a->device = KsPinGetDevice(pin);
    ULONG bytes = a->stride * a->frames;
    if (a->mode == ALLOCATE_SHORT) bytes = a->stride * (a->frames - 1) + framing->FrameSize / 2;
    PVOID va = NULL;
    PHYSICAL_ADDRESS pa = 0;
    NTSTATUS s = KsimDeviceAllocateCommonBuffer(a->device, bytes, &va, &pa);
    if (!NT_SUCCESS(s)) {
        free(a);
        return s;
    }
    a->base = (PUCHAR)va;
    *context = a;
    return STATUS_SUCCESS;
}

static VOID delete_allocator(PVOID context) {
    Allocator* a = (Allocator*)context;
    KsimDeviceFreeCommonBuffer(a->device, a->base);
    free(a);
}

static PVOID allocate(PVOID context) {
    Allocator* a = (Allocator*)context;
    if (a->mode == ALLOCATE_DUPLICATE) return a->base;
    for (ULONG i = 0; i < a->frames; ++i)
        if (!a->used[i]) {
            a->used[i] = 1;
            return a->base + (size_t)i * a->stride;
        }
    return NULL;
}

static VOID free_frame(PVOID context, PVOID frame) {
    Allocator* a = (Allocator*)context;
    size_t i = (size_t)((PUCHAR)frame - a->base) / a->stride;
    if (i < a->frames) a->used[i] = 0;
}

/* ---- the pin ---- */
typedef struct {
    Mode mode;
    PKSIM_TIMER timer;
    LONGLONG period;
    LONGLONG started;
    LONGLONG frame_number;
} PinContext;

static VOID tick(PVOID context, LONGLONG now) {
    PKSPIN pin = (PKSPIN)context;
    PinContext* c = (PinContext*)pin->Context;
    PKSSTREAM_POINTER clone = KsPinGetFirstCloneStreamPointer(pin);
    if (!clone) return;
    ++c->frame_number;
    ULONG size = clone->StreamHeader->FrameExtent;
    if (size >= 8) memcpy(clone->StreamHeader->Data, &c->frame_number, 8);
    clone->StreamHeader->DataUsed = c->mode == DATA_USED_BEYOND ? size + 100 : size;
    clone->StreamHeader->PresentationTime.Time = now - c->started;
    clone->StreamHeader->PresentationTime.Numerator = 1;
    clone->StreamHeader->PresentationTime.Denominator = 1;
    clone->StreamHeader->OptionsFlags = KSSTREAM_HEADER_OPTIONSF_TIMEVALID;
    clone->KsimFrameInfo->PictureNumber = c->frame_number;
    if (c->mode == OFFSETS_PAST_END)
        (void)KsStreamPointerAdvanceOffsets(clone, 0, clone->OffsetOut.Remaining + 1, FALSE);
    KsStreamPointerDelete(clone);
    if (c->mode == DELETED_CLONE) KsStreamPointerDelete(clone);
}

static NTSTATUS pin_create(PKSPIN pin, PIRP irp) {
    (void)irp;
    const KS_DATAFORMAT_VIDEOINFOHEADER* f = (const KS_DATAFORMAT_VIDEOINFOHEADER*)pin->ConnectionFormat;
    if (f->DataFormat.FormatSize < sizeof *f) return STATUS_INVALID_PARAMETER;
    PinContext* c = (PinContext*)calloc(1, sizeof *c);
    if (!c) return STATUS_INSUFFICIENT_RESOURCES;
    c->mode = mode_of(pin);
    c->period = f->VideoInfoHeader.AvgTimePerFrame;
    pin->Context = c;
    NTSTATUS s = KsEdit(pin, &pin->Descriptor, 0x44424D4Bu /* "MBDD" */);
    if (NT_SUCCESS(s))
        s = KsEdit(pin, &((PKSPIN_DESCRIPTOR_EX)pin->Descriptor)->AllocatorFraming, 0x44424D4Bu);
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
    free(pin->Context);
    return STATUS_SUCCESS;
}

static NTSTATUS pin_set_state(PKSPIN pin, KSSTATE to, KSSTATE from) {
    PinContext* c = (PinContext*)pin->Context;
    if (c->mode == ROUTINE_IN_STOP && from == KSSTATE_STOP &&
        KsPinGetLeadingEdgeStreamPointer(pin, KSSTREAM_POINTER_STATE_UNLOCKED) != NULL)
        return STATUS_UNSUCCESSFUL;
    if (from == KSSTATE_PAUSE && to == KSSTATE_RUN) {
        c->started = KsimQueryTime(pin);
        return KsimTimerStart(c->timer, c->started, c->period);
    }
    if (from == KSSTATE_RUN && to == KSSTATE_PAUSE) KsimTimerStop(c->timer);
    if (from == KSSTATE_PAUSE && to == KSSTATE_ACQUIRE) {
        KsimTimerStop(c->timer);
        c->frame_number = 0;
        if (c->mode != LOCKED_AT_FLUSH) /* give back every frame the "hardware" held */
            for (PKSSTREAM_POINTER clone; (clone = KsPinGetFirstCloneStreamPointer(pin)) != NULL;)
                KsStreamPointerDelete(clone);
    }
    return STATUS_SUCCESS;
}

static NTSTATUS pin_process(PKSPIN pin) {
    PinContext* c = (PinContext*)pin->Context;
    PKSSTREAM_POINTER leading = KsPinGetLeadingEdgeStreamPointer(pin, KSSTREAM_POINTER_STATE_LOCKED);
    if (c->mode == PEND_STALL) {
        if (leading) KsStreamPointerUnlock(leading, FALSE);
        return STATUS_PENDING; /* and nobody ever calls KsPinAttemptProcessing */
    }
    if (!leading) return STATUS_SUCCESS;
    if (c->mode == DELETE_EDGE) KsStreamPointerDelete(leading);
    for (;;) {
        PKSSTREAM_POINTER clone = NULL;
        if (!NT_SUCCESS(KsStreamPointerClone(leading, NULL, 0, &clone))) break;
        if (KsStreamPointerAdvance(leading) != STATUS_SUCCESS) break; /* end of the queue, unlocked */
    }
    if (c->mode == UNLOCK_UNLOCKED) KsStreamPointerUnlock(leading, FALSE);
    if (c->mode == ADVANCE_PAST_END) (void)KsStreamPointerAdvance(leading);
    return STATUS_SUCCESS;
}

static const KSALLOCATOR_DISPATCH kAllocator = {init_allocator, delete_allocator, allocate, free_frame};
static const KSPIN_DISPATCH kPinDispatch = {pin_create,    pin_close, pin_process, NULL, NULL,
                                            pin_set_state, NULL,      NULL,        NULL, &kAllocator};

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
                                                  0x200000000ll,
                                                  0x2FFFFFFFFll,
                                                  0,
                                                  STATIC_KSMEMORY_TYPE_KERNEL_NONPAGED,
                                                  "misbehaving_dma"};

static const KSPIN_DESCRIPTOR_EX kPins[] = {
    {&kPinDispatch,
     NULL,
     {0, NULL, 0, NULL, 0, NULL, KSPIN_DATAFLOW_OUT, KSPIN_COMMUNICATION_BOTH, NULL, NULL},
     KSPIN_FLAG_PROCESS_IN_RUN_STATE_ONLY,
     1,
     1,
     &kFraming,
     NULL,
     "capture",
     &kCaps}};

#define FILTER(name) \
    { NULL, NULL, KSFILTER_DESCRIPTOR_VERSION, 0, NULL, 1, sizeof(KSPIN_DESCRIPTOR_EX), kPins, 0, NULL, name }
static const KSFILTER_DESCRIPTOR kFilterDescriptors[MODE_COUNT] = {
    FILTER("Polite"),         FILTER("UnlockUnlocked"), FILTER("DeletedClone"),
    FILTER("AdvancePastEnd"), FILTER("OffsetsPastEnd"), FILTER("DataUsedBeyond"),
    FILTER("LockedAtFlush"),  FILTER("PendStall"),      FILTER("AllocateDuplicate"),
    FILTER("AllocateShort"),  FILTER("DeleteEdge"),     FILTER("RoutineInStop")};
static const KSFILTER_DESCRIPTOR* const kFilters[MODE_COUNT] = {
    &kFilterDescriptors[0], &kFilterDescriptors[1], &kFilterDescriptors[2],  &kFilterDescriptors[3],
    &kFilterDescriptors[4], &kFilterDescriptors[5], &kFilterDescriptors[6],  &kFilterDescriptors[7],
    &kFilterDescriptors[8], &kFilterDescriptors[9], &kFilterDescriptors[10], &kFilterDescriptors[11]};

static const KSDEVICE_DESCRIPTOR kDevice = {NULL, MODE_COUNT, kFilters, KSDEVICE_DESCRIPTOR_VERSION, 0};

KSIM_DRIVER_EXPORT NTSTATUS DriverEntry(PDRIVER_OBJECT driver, PCUNICODE_STRING registry_path) {
    return KsInitializeDriver(driver, registry_path, &kDevice);
}
