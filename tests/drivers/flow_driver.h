/* What the flow test driver records (flow_driver.c); read by the tests through
 * ksim_flow_record() in the loaded module. */
#ifndef KSIM_TESTS_FLOW_DRIVER_H
#define KSIM_TESTS_FLOW_DRIVER_H

#include "ksim/ddk/ks.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FLOW_MAX_FRAMES 64

/* One frame the consumer's input pin read at its leading edge. */
typedef struct {
    LONGLONG picture_number; /* KsimFrameInfo->PictureNumber */
    ULONG data_used;         /* StreamHeader->DataUsed */
    ULONG remaining;         /* OffsetIn.Remaining when it reached the frame */
    ULONGLONG first_word;    /* the frame's first 8 bytes, little-endian */
    ULONGLONG hash;          /* FNV-1a 64 over the DataUsed bytes at OffsetIn.Data */
    ULONG options_flags;     /* StreamHeader->OptionsFlags */
} FlowFrame;

typedef struct {
    unsigned pin_create, set_state, connect;
    unsigned process, process_outside_run; /* the consumer's pin-centric Process */
    unsigned frames;                       /* frames the consumer read (all of them, also past the log) */
    FlowFrame log[FLOW_MAX_FRAMES];        /* the first FLOW_MAX_FRAMES of them, in order */
    /* the copier's filter-centric Process */
    unsigned filter_process;
    unsigned filter_process_outside_run;  /* called while a pin was not in RUN */
    unsigned filter_process_missing_data; /* called while a pin that requires frames had none */
    unsigned copied;                      /* frames copied input -> output */
    unsigned index_errors;                /* the process pin index was not the filter's pins in order */
    unsigned pended;                      /* Process calls that returned STATUS_PENDING */
    unsigned attempts;                    /* KsFilterAttemptProcessing calls from the timer */
    /* the in-place inverter's filter-centric Process */
    unsigned inverter_process;
    unsigned inverter_counterparts; /* calls where each pin's InPlaceCounterpart was the other */
    unsigned inverter_same_frame;   /* ... and the output process pin showed the input's frame */
    unsigned inverted;              /* frames inverted */
} FlowRecord;

typedef const FlowRecord* (*PFN_FLOW_RECORD)(void);
typedef void (*PFN_FLOW_RESET)(void);
/* The copier's next Process returns STATUS_PENDING having used nothing; its input pin's timer
 * (one tick per frame period, in RUN) calls KsFilterAttemptProcessing `ticks` ticks later. */
typedef void (*PFN_FLOW_PEND_NEXT)(unsigned ticks);
/* FNV-1a 64 over `size` bytes: what FlowFrame.hash holds (the tests compute the same). */
static inline ULONGLONG flow_hash(const UCHAR* data, ULONG size) {
    ULONGLONG h = 0xcbf29ce484222325ull;
    for (ULONG i = 0; i < size; ++i) h = (h ^ data[i]) * 0x100000001b3ull;
    return h;
}

#ifdef __cplusplus
}
#endif

#endif
