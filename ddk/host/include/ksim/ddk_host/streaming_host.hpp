// The seams where ksimd plugs into the routines a driver calls: a pin's queue and stream
// pointers (StreamingHost, one per hosted pin), a filter-centric filter's processing
// (FilterProcessingHost) and the frame memory of the allocator being initialized
// (CommonBufferHost). Offline (ksimctl validate / negotiate) neither exists, and the
// routines that need them fail with a status and a log line naming the routine.
#pragma once

#include "ksim/ddk/avstream.h"

namespace ksim::ddk_host {

class StreamingHost {
public:
    virtual ~StreamingHost() = default;
    virtual PKSSTREAM_POINTER leading_edge(KSSTREAM_POINTER_STATE state) = 0;
    virtual PKSSTREAM_POINTER trailing_edge(KSSTREAM_POINTER_STATE state) = 0;
    virtual NTSTATUS lock(PKSSTREAM_POINTER sp) = 0;
    virtual void unlock(PKSSTREAM_POINTER sp, bool eject) = 0;
    virtual NTSTATUS advance(PKSSTREAM_POINTER sp) = 0;
    virtual NTSTATUS advance_offsets(PKSSTREAM_POINTER sp, ULONG in_used, ULONG out_used, bool eject,
                                     bool unlock) = 0;
    virtual NTSTATUS clone(PKSSTREAM_POINTER sp, ULONG context_size, PKSSTREAM_POINTER* out) = 0;
    virtual PKSSTREAM_POINTER first_clone() = 0;
    virtual PKSSTREAM_POINTER next_clone(PKSSTREAM_POINTER sp) = 0;
    virtual void delete_clone(PKSSTREAM_POINTER sp) = 0;
    virtual void set_status_code(PKSSTREAM_POINTER sp, NTSTATUS status) = 0;
    virtual void schedule_timeout(PKSSTREAM_POINTER sp, PFNKSSTREAMPOINTER callback, ULONGLONG interval) = 0;
    virtual void cancel_timeout(PKSSTREAM_POINTER sp) = 0;
    virtual void attempt_processing(bool asynchronous) = 0;
    virtual NTSTATUS available_bytes(LONG* input_data, LONG* output_buffer) = 0;
    // ksim's clock (100 ns).
    virtual LONGLONG now() = 0;
};

// A filter-centric filter's processing (ksimd's, one per hosted filter whose KSFILTER_DISPATCH
// has Process): KsFilterAttemptProcessing lands here.
class FilterProcessingHost {
public:
    virtual ~FilterProcessingHost() = default;
    virtual void attempt_processing(bool asynchronous) = 0;
};

class CommonBufferHost {
public:
    virtual ~CommonBufferHost() = default;
    virtual NTSTATUS allocate_common_buffer(ULONG length, PVOID* virtual_address,
                                            PHYSICAL_ADDRESS* physical) = 0;
    virtual void free_common_buffer(PVOID virtual_address) = 0;
};

}  // namespace ksim::ddk_host
