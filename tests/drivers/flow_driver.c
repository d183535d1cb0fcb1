/*
 * A test minidriver whose pins consume frames, so tests can see what reaches a driver's input
 * pin and in which order:
 *   "Consumer" - one input pin "input" with a pin-centric Process (PROCESS_IN_RUN_STATE_ONLY)
 *                that reads every frame at the leading edge (its picture number, DataUsed, a
 *                hash of its bytes) and advances past it, which returns it to its pool;
 *   "Copier"   - a filter-centric transform (KSFILTER_DISPATCH.Process): input pin "input"
 *                (PROCESS_IN_RUN_STATE_ONLY, INITIATE_PROCESSING_ON_EVERY_ARRIVAL), output pin "output" whose
 * framing Create edits to the image size; each Process copies one input frame's bytes and header into one
 *                output frame (BytesUsed, Terminate) and checks the process pin index.
 *   "InPlaceInverter" - a filter-centric in-place transform: input pin "input" and output pin
 *                "output", both INPLACE_MODIFIER; each Process inverts the input frame's bytes where
 *                they are (BytesUsed = BytesAvailable) and records whether the process pins were
 *                shown as one in-place section (InPlaceCounterpart, the output seeing the input's frame).
 * ksim_flow_pend_next(n) makes the copier's next Process pend; its input pin's timer (a tick per
 * frame period, in RUN) ends the pend n ticks later with KsFilterAttemptProcessing.
 * Tests read the record through ksim_flow_record() after dlopen of the module.
 * C11, against the public headers only.
 */
#include "flow_driver.h"

#include <stdlib.h>
#include <string.h>

#include "ksim/ddk/avstream.h"

static FlowRecord g_record;

KSIM_DRIVER_EXPORT const FlowRecord* ksim_flow_record(void) {
    return &g_record;
}
static int g_pend_next;       /* the next Process pends */
static unsigned g_release_in; /* ticks until KsFilterAttemptProcessing ends the pend */
static int g_pending;

KSIM_DRIVER_EXPORT void ksim_flow_reset(void) {
    memset(&g_record, 0, sizeof g_record);
    g_pend_next = 0;
    g_pending = 0;
}
KSIM_DRIVER_EXPORT void ksim_flow_pend_next(unsigned ticks) {
    g_pend_next = 1;
    g_release_in = ticks;
}

static void note_frame(PKSSTREAM_POINTER sp) {
    const unsigned n = g_record.frames++;
    if (n >= FLOW_MAX_FRAMES) return;
    FlowFrame* f = &g_record.log[n];
    const PUCHAR data = sp->OffsetIn.Data;
    f->picture_number = sp->KsimFrameInfo->PictureNumber;
    f->data_used = sp->StreamHeader->DataUsed;
    f->remaining = sp->OffsetIn.Remaining;
    f->options_flags = sp->StreamHeader->OptionsFlags;
    if (sp->OffsetIn.Remaining >= 8) memcpy(&f->first_word, data, 8);
    f->hash = flow_hash(data, sp->OffsetIn.Remaining);
}

/* ---- the consumer's input pin ---- */

static NTSTATUS consumer_create(PKSPIN pin, PIRP irp) {
    (void)pin;
    (void)irp;
    ++g_record.pin_create;
    return STATUS_SUCCESS;
}

static NTSTATUS consumer_set_state(PKSPIN pin, KSSTATE to, KSSTATE from) {
    (void)pin;
    (void)to;
    (void)from;
    ++g_record.set_state;
    return STATUS_SUCCESS;
}

static VOID consumer_connect(PKSPIN pin) {
    (void)pin;
    ++g_record.connect;
}

static NTSTATUS consumer_process(PKSPIN pin) {
    ++g_record.process;
    if (pin->DeviceState != KSSTATE_RUN) ++g_record.process_outside_run;
    PKSSTREAM_POINTER leading = KsPinGetLeadingEdgeStreamPointer(pin, KSSTREAM_POINTER_STATE_LOCKED);
    while (leading != NULL) {
        note_frame(leading);
        /* Past the frame: nothing holds it any more, it completes and goes back to its pool. */
        if (KsStreamPointerAdvance(leading) != STATUS_SUCCESS) break; /* off the end: unlocked */
    }
    return STATUS_SUCCESS;
}

static const KSPIN_DISPATCH kConsumerDispatch = {consumer_create,
                                                 NULL,
                                                 consumer_process,
                                                 NULL,
                                                 NULL,
                                                 consumer_set_state,
                                                 consumer_connect,
                                                 NULL,
                                                 NULL,
                                                 NULL};

/* Any memory, any size (the upstream pin decides), but 4 frames: negotiation takes the largest
 * count of a pipe's pins, so the pipe's pool shows that the input pin's framing was read. */
static DECLARE_SIMPLE_FRAMING_EX(kInputFraming, STATIC_KSMEMORY_TYPE_DONT_CARE,
                                 KSALLOCATOR_REQUIREMENTF_PREFERENCES_ONLY, 4, FILE_QUAD_ALIGNMENT, 0,
                                 0xFFFFFFFFu);

static const KSPIN_DESCRIPTOR_EX kConsumerPins[] = {
    {&kConsumerDispatch,
     NULL,
     {0, NULL, 0, NULL, 0, NULL, KSPIN_DATAFLOW_IN, KSPIN_COMMUNICATION_BOTH, NULL, NULL},
     KSPIN_FLAG_PROCESS_IN_RUN_STATE_ONLY,
     1,
     1,
     &kInputFraming,
     NULL,
     "input",
     NULL}};

static const KSFILTER_DESCRIPTOR kConsumer = {
    NULL, NULL,      KSFILTER_DESCRIPTOR_VERSION, 0, NULL, 1, sizeof(KSPIN_DESCRIPTOR_EX), kConsumerPins, 0,
    NULL, "Consumer"};

/* ---- the copier: filter-centric ---- */

enum { COPIER_INPUT = 0, COPIER_OUTPUT = 1 };

static NTSTATUS copier_output_create(PKSPIN pin, PIRP irp) {
    (void)irp;
    ++g_record.pin_create;
    const KS_DATAFORMAT_VIDEOINFOHEADER* f = (const KS_DATAFORMAT_VIDEOINFOHEADER*)pin->ConnectionFormat;
    if (f->DataFormat.FormatSize < sizeof *f) return STATUS_INVALID_PARAMETER;
    /* the output frames hold one picture, as a capture pin's do */
    NTSTATUS s = KsEdit(pin, &pin->Descriptor, 0x574F4C46u /* pool tag "FLOW" */);
    if (NT_SUCCESS(s))
        s = KsEdit(pin, &((PKSPIN_DESCRIPTOR_EX)pin->Descriptor)->AllocatorFraming, 0x574F4C46u);
    if (!NT_SUCCESS(s)) return s;
    PKSALLOCATOR_FRAMING_EX framing = (PKSALLOCATOR_FRAMING_EX)pin->Descriptor->AllocatorFraming;
    const ULONG image = f->VideoInfoHeader.bmiHeader.biSizeImage;
    framing->FramingItem[0].PhysicalRange = (KS_FRAMING_RANGE){image, image, 1};
    framing->FramingItem[0].FramingRange.Range = framing->FramingItem[0].PhysicalRange;
    return STATUS_SUCCESS;
}

/* The input pin's "hardware": a timer at the frame period whose DPC ends a pend. */
typedef struct {
    PKSIM_TIMER timer;
    LONGLONG period;
} CopierInput;

static VOID copier_tick(PVOID context, LONGLONG now) {
    (void)now;
    PKSPIN pin = (PKSPIN)context;
    if (!g_pending || g_release_in-- > 1) return;
    g_pending = 0;
    ++g_record.attempts;
    KsFilterAttemptProcessing(KsPinGetParentFilter(pin), FALSE);
}

static NTSTATUS copier_input_create(PKSPIN pin, PIRP irp) {
    (void)irp;
    ++g_record.pin_create;
    const KS_DATAFORMAT_VIDEOINFOHEADER* f = (const KS_DATAFORMAT_VIDEOINFOHEADER*)pin->ConnectionFormat;
    if (f->DataFormat.FormatSize < sizeof *f) return STATUS_INVALID_PARAMETER;
    CopierInput* c = (CopierInput*)calloc(1, sizeof *c);
    if (c == NULL) return STATUS_INSUFFICIENT_RESOURCES;
    c->period = f->VideoInfoHeader.AvgTimePerFrame;
    pin->Context = c;
    return KsimTimerCreate(pin, copier_tick, pin, &c->timer);
}

static NTSTATUS copier_input_close(PKSPIN pin, PIRP irp) {
    (void)irp;
    free(pin->Context);
    return STATUS_SUCCESS;
}

static NTSTATUS copier_input_set_state(PKSPIN pin, KSSTATE to, KSSTATE from) {
    CopierInput* c = (CopierInput*)pin->Context;
    ++g_record.set_state;
    if (from == KSSTATE_PAUSE && to == KSSTATE_RUN)
        return KsimTimerStart(c->timer, KsimQueryTime(pin), c->period);
    if (from == KSSTATE_RUN && to == KSSTATE_PAUSE) KsimTimerStop(c->timer);
    return STATUS_SUCCESS;
}

static NTSTATUS copier_process(PKSFILTER filter, PKSPROCESSPIN_INDEXENTRY index) {
    (void)filter;
    ++g_record.filter_process;
    if (index[COPIER_INPUT].Count != 1 || index[COPIER_OUTPUT].Count != 1 ||
        index[COPIER_INPUT].Pins[0]->Pin->Id != COPIER_INPUT ||
        index[COPIER_OUTPUT].Pins[0]->Pin->Id != COPIER_OUTPUT) {
        ++g_record.index_errors;
        return STATUS_SUCCESS;
    }
    PKSPROCESSPIN in = index[COPIER_INPUT].Pins[0];
    PKSPROCESSPIN out = index[COPIER_OUTPUT].Pins[0];
    if (in->Pin->DeviceState != KSSTATE_RUN) ++g_record.filter_process_outside_run;
    if (in->StreamPointer == NULL || out->StreamPointer == NULL || in->BytesAvailable == 0) {
        ++g_record.filter_process_missing_data;
        return STATUS_SUCCESS;
    }
    if (g_pend_next) {
        g_pend_next = 0;
        g_pending = 1;
        ++g_record.pended;
        return STATUS_PENDING;
    }
    const ULONG n = in->BytesAvailable < out->BytesAvailable ? in->BytesAvailable : out->BytesAvailable;
    memcpy(out->Data, in->Data, n);
    const KSSTREAM_HEADER* ih = in->StreamPointer->StreamHeader;
    PKSSTREAM_HEADER oh = out->StreamPointer->StreamHeader;
    oh->PresentationTime = ih->PresentationTime;
    oh->Duration = ih->Duration;
    oh->OptionsFlags = in->Flags; /* the input frame's OptionsFlags */
    *out->StreamPointer->KsimFrameInfo = *in->StreamPointer->KsimFrameInfo;
    in->BytesUsed = in->BytesAvailable; /* the input frame is done */
    out->BytesUsed = n;
    out->Terminate = TRUE; /* send the output frame on even if it is not full */
    ++g_record.copied;
    return STATUS_SUCCESS;
}

static const KSPIN_DISPATCH kCopierInputDispatch = {copier_input_create,
                                                    copier_input_close,
                                                    NULL,
                                                    NULL,
                                                    NULL,
                                                    copier_input_set_state,
                                                    NULL,
                                                    NULL,
                                                    NULL,
                                                    NULL};
static const KSPIN_DISPATCH kCopierOutputDispatch = {copier_output_create, NULL, NULL, NULL, NULL,
                                                     consumer_set_state,   NULL, NULL, NULL, NULL};

static DECLARE_SIMPLE_FRAMING_EX(kOutputFraming, STATIC_KSMEMORY_TYPE_KERNEL_NONPAGED,
                                 KSALLOCATOR_REQUIREMENTF_SYSTEM_MEMORY |
                                     KSALLOCATOR_REQUIREMENTF_PREFERENCES_ONLY,
                                 2, FILE_QUAD_ALIGNMENT, PAGE_SIZE, PAGE_SIZE);

static const KSPIN_DESCRIPTOR_EX kCopierPins[] = {
    {&kCopierInputDispatch,
     NULL,
     {0, NULL, 0, NULL, 0, NULL, KSPIN_DATAFLOW_IN, KSPIN_COMMUNICATION_BOTH, NULL, NULL},
     KSPIN_FLAG_PROCESS_IN_RUN_STATE_ONLY | KSPIN_FLAG_INITIATE_PROCESSING_ON_EVERY_ARRIVAL,
     1,
     1,
     &kInputFraming,
     NULL,
     "input",
     NULL},
    {&kCopierOutputDispatch,
     NULL,
     {0, NULL, 0, NULL, 0, NULL, KSPIN_DATAFLOW_OUT, KSPIN_COMMUNICATION_BOTH, NULL, NULL},
     0,
     1,
     1,
     &kOutputFraming,
     NULL,
     "output",
     NULL}};

static const KSFILTER_DISPATCH kCopierDispatch = {NULL, NULL, copier_process, NULL};
static const KSFILTER_DESCRIPTOR kCopier = {&kCopierDispatch,
                                            NULL,
                                            KSFILTER_DESCRIPTOR_VERSION,
                                            0,
                                            NULL,
                                            2,
                                            sizeof(KSPIN_DESCRIPTOR_EX),
                                            kCopierPins,
                                            0,
                                            NULL,
                                            "Copier"};

/* "CopierPinProcess": the copier with a pin-centric Process on its input pin as well, which
 * AVStream does not allow (a filter is one or the other): refused at load. */
static const KSPIN_DESCRIPTOR_EX kCopierPinProcessPins[] = {kConsumerPins[0], kCopierPins[1]};
static const KSFILTER_DESCRIPTOR kCopierPinProcess = {&kCopierDispatch,
                                                      NULL,
                                                      KSFILTER_DESCRIPTOR_VERSION,
                                                      0,
                                                      NULL,
                                                      2,
                                                      sizeof(KSPIN_DESCRIPTOR_EX),
                                                      kCopierPinProcessPins,
                                                      0,
                                                      NULL,
                                                      "CopierPinProcess"};

/* ---- the in-place inverter: filter-centric ---- */

static NTSTATUS inverter_process(PKSFILTER filter, PKSPROCESSPIN_INDEXENTRY index) {
    (void)filter;
    ++g_record.inverter_process;
    PKSPROCESSPIN in = index[COPIER_INPUT].Pins[0];
    PKSPROCESSPIN out = index[COPIER_OUTPUT].Pins[0];
    if (in->InPlaceCounterpart == out && out->InPlaceCounterpart == in) {
        ++g_record.inverter_counterparts;
        if (out->StreamPointer == in->StreamPointer && out->Data == in->Data &&
            out->BytesAvailable == in->BytesAvailable)
            ++g_record.inverter_same_frame;
    }
    if (in->StreamPointer == NULL) return STATUS_SUCCESS;
    PUCHAR data = (PUCHAR)in->Data;
    for (ULONG i = 0; i < in->BytesAvailable; ++i) data[i] = (UCHAR)~data[i];
    in->BytesUsed = in->BytesAvailable; /* the frame is done: it goes on through the output pin */
    ++g_record.inverted;
    return STATUS_SUCCESS;
}

/* Any memory and size, modified in place: with both pins declaring INPLACE_MODIFIER the filter
 * is an in-place pair, and a kernel chain through it one pipe. */
static DECLARE_SIMPLE_FRAMING_EX(kInPlaceFraming, STATIC_KSMEMORY_TYPE_DONT_CARE,
                                 KSALLOCATOR_REQUIREMENTF_INPLACE_MODIFIER |
                                     KSALLOCATOR_REQUIREMENTF_PREFERENCES_ONLY,
                                 2, FILE_QUAD_ALIGNMENT, 0, 0xFFFFFFFFu);

static const KSPIN_DESCRIPTOR_EX kInverterPins[] = {
    {NULL,
     NULL,
     {0, NULL, 0, NULL, 0, NULL, KSPIN_DATAFLOW_IN, KSPIN_COMMUNICATION_BOTH, NULL, NULL},
     KSPIN_FLAG_INITIATE_PROCESSING_ON_EVERY_ARRIVAL,
     1,
     1,
     &kInPlaceFraming,
     NULL,
     "input",
     NULL},
    {NULL,
     NULL,
     {0, NULL, 0, NULL, 0, NULL, KSPIN_DATAFLOW_OUT, KSPIN_COMMUNICATION_BOTH, NULL, NULL},
     0,
     1,
     1,
     &kInPlaceFraming,
     NULL,
     "output",
     NULL}};

static const KSFILTER_DISPATCH kInverterDispatch = {NULL, NULL, inverter_process, NULL};
static const KSFILTER_DESCRIPTOR kInverter = {&kInverterDispatch,
                                              NULL,
                                              KSFILTER_DESCRIPTOR_VERSION,
                                              0,
                                              NULL,
                                              2,
                                              sizeof(KSPIN_DESCRIPTOR_EX),
                                              kInverterPins,
                                              0,
                                              NULL,
                                              "InPlaceInverter"};

static const KSFILTER_DESCRIPTOR* const kFilters[] = {&kConsumer, &kCopier, &kCopierPinProcess, &kInverter};
static const KSDEVICE_DESCRIPTOR kDevice = {NULL, 4, kFilters, KSDEVICE_DESCRIPTOR_VERSION, 0};

KSIM_DRIVER_EXPORT NTSTATUS DriverEntry(PDRIVER_OBJECT driver, PCUNICODE_STRING registry_path) {
    return KsInitializeDriver(driver, registry_path, &kDevice);
}
