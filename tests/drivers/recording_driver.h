/* What the recording test driver counts (recording_driver.c); read by the tests through
 * ksim_recording_counts() in the loaded module. */
#ifndef KSIM_TESTS_RECORDING_DRIVER_H
#define KSIM_TESTS_RECORDING_DRIVER_H

#include "ksim/ddk/ks.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    unsigned driver_entry, device_add, device_start, device_stop, device_remove;
    unsigned filter_create, filter_close, pin_create, pin_close;
    unsigned initialize, remove, allocate, free_calls, allocate_null;
    unsigned process, process_outside_run, timer_ticks, frames_completed, reset;
    unsigned set_state;
    char states[512]; /* "0>1,1>2,...": each SetDeviceState as from>to, in call order */
    ULONG last_frames, last_frame_size, last_alignment, last_options; /* InitializeAllocator's framing */
    /* "RecorderMapped" (GENERATE_MAPPINGS): per completed frame, its mappings as the clone saw them */
    unsigned mapped_frames;          /* frames whose mappings were checked */
    unsigned mapping_count;          /* mappings of the last such frame */
    unsigned mapping_errors;         /* frames whose mappings did not cover the frame contiguously */
    ULONG max_mapping_bytes;         /* the largest ByteCount seen */
    PHYSICAL_ADDRESS first_physical; /* PhysicalAddress of the last frame's first mapping */
    unsigned connect, disconnect;    /* KSPIN_DISPATCH Connect / Disconnect */
} RecordingCounts;

typedef const RecordingCounts* (*PFN_RECORDING_COUNTS)(void);
typedef void (*PFN_RECORDING_RESET)(void);
/* The next InitializeAllocator of "Recorder" returns `status` (once), before it allocates. */
typedef void (*PFN_RECORDING_FAIL_NEXT_INITIALIZE)(NTSTATUS status);

#ifdef __cplusplus
}
#endif

#endif
