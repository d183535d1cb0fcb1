/*
 * A test minidriver whose pins consume frames, so tests can see what reaches a driver's input
 * pin and in which order:
 *   "Consumer" - one input pin "input" with a pin-centric Process (PROCESS_IN_RUN_STATE_ONLY)
 *                that reads every frame at the leading edge (its picture number, DataUsed, a
 *                hash of its bytes) and advances past it, which returns it to its pool.
 * Tests read the record through ksim_flow_record() after dlopen of the module.
 * C11, against the public headers only.
 */
#include "flow_driver.h"

#include <string.h>

#include "ksim/ddk/avstream.h"

static FlowRecord g_record;

KSIM_DRIVER_EXPORT const FlowRecord* ksim_flow_record(void) {
    return &g_record;
}
KSIM_DRIVER_EXPORT void ksim_flow_reset(void) {
    memset(&g_record, 0, sizeof g_record);
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

static const KSFILTER_DESCRIPTOR* const kFilters[] = {&kConsumer};
static const KSDEVICE_DESCRIPTOR kDevice = {NULL, 1, kFilters, KSDEVICE_DESCRIPTOR_VERSION, 0};

KSIM_DRIVER_EXPORT NTSTATUS DriverEntry(PDRIVER_OBJECT driver, PCUNICODE_STRING registry_path) {
    return KsInitializeDriver(driver, registry_path, &kDevice);
}
