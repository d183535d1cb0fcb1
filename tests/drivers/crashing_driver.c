/*
 * A test minidriver that crashes ksimd, for the bugcheck tests (tests/integration/bugcheck_test.cpp).
 * One capture pin (default allocator, frames of two pages); the filter's name selects the crash:
 *   "SegfaultInProcess" - Process stores to address 0x10 (SIGSEGV);
 *   "AbortInProcess"    - Process calls abort() (SIGABRT), as a failed assert() would;
 *   "SegfaultInCreate"  - the pin's Create stores to address 0x10, while ksimd loads the config;
 *   "StackOverflowInTimer" - Process starts a timer whose callback recurses without end, on the
 *                         pin's streaming thread (a thread ksimd made, not the main thread).
 * C11, against the public headers only.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ksim/ddk/avstream.h"

/* Read through a volatile so that the compiler cannot see the bad address and emit a trap
 * instruction (SIGILL) instead of the store. */
static volatile uintptr_t kBadAddress = 0x10;

static void crash_by_store(void) {
    *(volatile int*)kBadAddress = 1;
}

/* Never equal to a depth reached: the recursion has an exit the compiler cannot rule out, so it
 * is neither warned about (-Winfinite-recursion) nor turned into a loop. */
static volatile int kNoDepth = -1;

static int recurse(int depth) {
    volatile char frame[256];
    frame[0] = (char)depth;
    if (depth == kNoDepth) return 0;
    return recurse(depth + 1) + frame[0]; /* not a tail call: every level keeps its frame */
}

static VOID overflow_the_stack(PVOID context, LONGLONG now) {
    (void)context;
    (void)now;
    (void)recurse(0);
}

static BOOLEAN filter_is(PKSPIN pin, const char* name) {
    return strcmp(KsPinGetParentFilter(pin)->Descriptor->KsimName, name) == 0;
}

static NTSTATUS pin_create(PKSPIN pin, PIRP irp) {
    (void)irp;
    if (filter_is(pin, "SegfaultInCreate")) crash_by_store();
    return STATUS_SUCCESS;
}

static NTSTATUS pin_process(PKSPIN pin) {
    if (filter_is(pin, "AbortInProcess")) abort();
    if (filter_is(pin, "StackOverflowInTimer")) {
        PKSIM_TIMER timer = NULL;
        if (pin->Context != NULL) return STATUS_SUCCESS; /* started already */
        if (KsimTimerCreate(pin, overflow_the_stack, NULL, &timer) != STATUS_SUCCESS)
            return STATUS_UNSUCCESSFUL;
        pin->Context = timer;
        return KsimTimerStart(timer, KsimQueryTime(pin), 10000 /* 1 ms */);
    }
    crash_by_store();
    return STATUS_SUCCESS;
}

static const KSPIN_DISPATCH kPinDispatch = {pin_create, NULL, pin_process, NULL, NULL,
                                            NULL,       NULL, NULL,        NULL, NULL};

static DECLARE_SIMPLE_FRAMING_EX(kFraming, STATIC_KSMEMORY_TYPE_KERNEL_NONPAGED,
                                 KSALLOCATOR_REQUIREMENTF_SYSTEM_MEMORY |
                                     KSALLOCATOR_REQUIREMENTF_PREFERENCES_ONLY,
                                 2, FILE_BYTE_ALIGNMENT, 2 * PAGE_SIZE, 2 * PAGE_SIZE);

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
     NULL}};

#define FILTER(name) \
    { NULL, NULL, KSFILTER_DESCRIPTOR_VERSION, 0, NULL, 1, sizeof(KSPIN_DESCRIPTOR_EX), kPins, 0, NULL, name }
static const KSFILTER_DESCRIPTOR kFilterDescriptors[] = {FILTER("SegfaultInProcess"),
                                                         FILTER("AbortInProcess"), FILTER("SegfaultInCreate"),
                                                         FILTER("StackOverflowInTimer")};
static const KSFILTER_DESCRIPTOR* const kFilters[] = {&kFilterDescriptors[0], &kFilterDescriptors[1],
                                                      &kFilterDescriptors[2], &kFilterDescriptors[3]};

static const KSDEVICE_DESCRIPTOR kDevice = {NULL, 4, kFilters, KSDEVICE_DESCRIPTOR_VERSION, 0};

KSIM_DRIVER_EXPORT NTSTATUS DriverEntry(PDRIVER_OBJECT driver, PCUNICODE_STRING registry_path) {
    return KsInitializeDriver(driver, registry_path, &kDevice);
}
