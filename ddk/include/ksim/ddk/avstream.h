/*
 * ksim driver API, part 2 of 2: the AVStream object model a minidriver is written against —
 * descriptors (device, filter, pin), dispatch tables (KSPIN_DISPATCH, KSALLOCATOR_DISPATCH),
 * the objects ksimd hands the driver (KSDEVICE, KSFILTER, KSPIN, KSSTREAM_POINTER) and the
 * class-driver routines the driver calls (KsStreamPointer*, KsPinAttemptProcessing, KsEdit, ...).
 *
 * C ABI. Every routine below is a static inline function that calls through the object it is
 * given into ksimd's table of routines (KSIM_HOST_API): a driver module links against nothing
 * of ksim, so it loads into ksimd and into the offline tools (ksimctl validate / negotiate)
 * alike. Each routine names the AVStream routine it mirrors; docs/minidriver.md maps them all
 * and lists where ksim deviates.
 *
 * Threading: ksimd serialises every call into the driver (dispatch routines, allocator
 * routines, timer callbacks) under one lock — as if all ran at DISPATCH_LEVEL under the
 * filter's control mutex. A driver needs no locking of its own against ksimd's calls, and may
 * call every routine here from inside any of its callbacks.
 */
#ifndef KSIM_DDK_AVSTREAM_H
#define KSIM_DDK_AVSTREAM_H

#include "ksim/ddk/ks.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _KSDEVICE KSDEVICE, *PKSDEVICE;
typedef struct _KSFILTER KSFILTER, *PKSFILTER;
typedef struct _KSPIN KSPIN, *PKSPIN;
typedef struct _KSSTREAM_POINTER KSSTREAM_POINTER, *PKSSTREAM_POINTER;
typedef struct _DRIVER_OBJECT DRIVER_OBJECT, *PDRIVER_OBJECT;
typedef struct _KSDEVICE_DESCRIPTOR KSDEVICE_DESCRIPTOR;
typedef struct _KSIM_HOST_API KSIM_HOST_API;
typedef struct _KSIM_TIMER KSIM_TIMER, *PKSIM_TIMER;

/* ksimd's part of every object, always its first member: the routine table and ksimd's own
 * object. A driver never reads or writes it. (In Windows the objects start with Descriptor; code
 * that names the members, as drivers do, does not see the difference.) */
typedef struct {
    const KSIM_HOST_API* Api;
    void* Object;
} KSIM_HOST_LINK;

/* ---- dispatch tables (filled by the driver, read by ksimd) --------------------------------- */

/* KSALLOCATOR_DISPATCH: a vendor allocator. ksimd calls InitializeAllocator only when
 * negotiation selected this pin's allocator for its pipe, once, at the pipe's first
 * STOP->ACQUIRE, with the negotiated values (Frames, FrameSize, FileAlignment, OptionsFlags,
 * PoolType) and before the pin's SetDeviceState(ACQUIRE); *Context is all the other routines
 * get. Allocate returns a frame (an address inside a common buffer from
 * KsimDeviceAllocateCommonBuffer) or NULL; Free gets back exactly what Allocate gave;
 * DeleteAllocator runs when the last pin of the pipe is back in STOP. */
typedef NTSTATUS (*PFNKSPININITIALIZEALLOCATOR)(PKSPIN Pin, PKSALLOCATOR_FRAMING AllocatorFraming,
                                                PVOID* Context);
typedef VOID (*PFNKSDELETEALLOCATOR)(PVOID Context);
typedef PVOID (*PFNKSDEFAULTALLOCATE)(PVOID Context);
typedef VOID (*PFNKSDEFAULTFREE)(PVOID Context, PVOID Buffer);
typedef struct {
    PFNKSPININITIALIZEALLOCATOR InitializeAllocator;
    PFNKSDELETEALLOCATOR DeleteAllocator;
    PFNKSDEFAULTALLOCATE Allocate;
    PFNKSDEFAULTFREE Free;
} KSALLOCATOR_DISPATCH;

/* KSPIN_DISPATCH. Every member may be NULL, and so may a descriptor's Dispatch pointer (pins,
 * filters and devices alike). Irp arguments are NULL (no IRPs in ksim).
 * - Create: the pin instance exists; ConnectionFormat is set. Edit the framing here (KsEdit the
 *   descriptor and its AllocatorFraming) when it follows the format, as avshws does: what the
 *   pin reports through ALLOCATORFRAMING_EX is the framing after Create.
 * - SetDeviceState(Pin, To, From): one step at a time (STOP<->ACQUIRE<->PAUSE<->RUN). A failure
 *   leaves the pin in From.
 * - Process (pin-centric): called when a frame arrives in an empty queue and no Process runs,
 *   after KsPinAttemptProcessing, and — with KSPIN_FLAG_PROCESS_IN_RUN_STATE_ONLY — only in RUN
 *   (entering RUN then runs it for the frames that arrived in PAUSE).
 *   STATUS_PENDING: not again until KsPinAttemptProcessing.
 * - Reset: the queue is being flushed (STOP). Connect: ksimd wired the pin's connection from the
 *   topology (once, when ksimd loads the config; the offline tools do not call it);
 *   Disconnect: ksimd takes the pin down (exit).
 * - SetDataFormat: not called. A ksim pin is created with its topology's format, which
 *   ConnectionFormat carries from Create on; formats do not change afterwards. */
typedef NTSTATUS (*PFNKSPINSETDATAFORMAT)(PKSPIN Pin, PKSDATAFORMAT OldFormat, PVOID OldAttributeList,
                                          const KSDATARANGE* DataRange, const VOID* AttributeRange);
typedef struct {
    NTSTATUS (*Create)(PKSPIN Pin, PIRP Irp);
    NTSTATUS (*Close)(PKSPIN Pin, PIRP Irp);
    NTSTATUS (*Process)(PKSPIN Pin);
    VOID (*Reset)(PKSPIN Pin);
    PFNKSPINSETDATAFORMAT SetDataFormat;
    NTSTATUS (*SetDeviceState)(PKSPIN Pin, KSSTATE ToState, KSSTATE FromState);
    VOID (*Connect)(PKSPIN Pin);
    VOID (*Disconnect)(PKSPIN Pin);
    const VOID* Clock; /* KSCLOCK_DISPATCH: not supported, must be NULL */
    const KSALLOCATOR_DISPATCH* Allocator;
} KSPIN_DISPATCH;

/* KSPROCESSPIN: one pin instance as a filter-centric Process sees it. Before each call ksimd
 * locks the pin's leading edge (StreamPointer, NULL when the pin has no frame: only a pin with
 * KSPIN_FLAG_FRAMES_NOT_REQUIRED_FOR_PROCESSING) and sets Data / BytesAvailable from its
 * offset (input: the data left to read; output: the buffer left to fill), BytesUsed = 0,
 * Terminate = FALSE and, on an input pin, Flags = the frame's OptionsFlags. After the call, for
 * each pin, the driver's BytesUsed advances the offset (an output frame's DataUsed grows by it);
 * the frame completes when nothing is left or Terminate is TRUE (sent on even if not all used);
 * then the edge is unlocked. InPlaceCounterpart: in an in-place pipe section (one input and one
 * output pin, both INPLACE_MODIFIER, committed as one pipe) each of the two points at the other,
 * and the output shows the input's frame (StreamPointer, Data, BytesAvailable; its BytesUsed and
 * Terminate unused: the frame goes downstream when the input completes it); else NULL.
 * DelegateBranch and CopySource are NULL: ksim builds no splitters. */
typedef struct _KSPROCESSPIN KSPROCESSPIN, *PKSPROCESSPIN;
struct _KSPROCESSPIN {
    PKSPIN Pin;
    PKSSTREAM_POINTER StreamPointer;
    PKSPROCESSPIN InPlaceCounterpart;
    PKSPROCESSPIN DelegateBranch;
    PKSPROCESSPIN CopySource;
    PVOID Data;
    ULONG BytesAvailable;
    ULONG BytesUsed;
    ULONG Flags;
    BOOLEAN Terminate;
};

/* KSPROCESSPIN_INDEXENTRY: the process pins of one pin descriptor. A filter-centric Process gets
 * an array of these indexed like the filter's PinDescriptors; Count is the number of instances
 * of that pin (ksim creates one per descriptor of a loaded driver, so Count is 1 and Pins[0] is
 * the pin; a built-in driver's descriptor has as many as the config lists, 0 included). */
typedef struct _KSPROCESSPIN_INDEXENTRY {
    PKSPROCESSPIN* Pins;
    ULONG Count;
} KSPROCESSPIN_INDEXENTRY, *PKSPROCESSPIN_INDEXENTRY;

/* KSFILTER_DISPATCH. Create/Close as for pins. Process (filter-centric; then every pin's
 * KSPIN_DISPATCH.Process must be NULL): called when every pin that requires frames has a frame
 * at its leading edge (all pins, except those with KSPIN_FLAG_FRAMES_NOT_REQUIRED_FOR_PROCESSING),
 * no pin with KSPIN_FLAG_PROCESS_IN_RUN_STATE_ONLY is below RUN, and no Process runs; triggered by
 * frame arrivals (the pins' DO_NOT_INITIATE_PROCESSING / INITIATE_PROCESSING_ON_EVERY_ARRIVAL
 * apply), by entering RUN, by KsFilterAttemptProcessing and KsPinAttemptProcessing. After
 * STATUS_SUCCESS it is called again while that still holds and the last call used something;
 * after STATUS_PENDING not until KsFilterAttemptProcessing / KsPinAttemptProcessing. */
typedef struct {
    NTSTATUS (*Create)(PKSFILTER Filter, PIRP Irp);
    NTSTATUS (*Close)(PKSFILTER Filter, PIRP Irp);
    NTSTATUS (*Process)(PKSFILTER Filter, PKSPROCESSPIN_INDEXENTRY ProcessPinsIndex);
    VOID (*Reset)(PKSFILTER Filter);
} KSFILTER_DISPATCH;

/* KSDEVICE_DISPATCH: ksimd calls Add, then Start, when it loads the driver; Stop, then Remove,
 * when it unloads it (offline tools too: no allocator routine runs offline). */
typedef struct {
    NTSTATUS (*Add)(PKSDEVICE Device);
    NTSTATUS (*Start)(PKSDEVICE Device, PIRP Irp, PVOID TranslatedResources, PVOID UntranslatedResources);
    VOID (*Stop)(PKSDEVICE Device, PIRP Irp);
    VOID (*Remove)(PKSDEVICE Device, PIRP Irp);
} KSDEVICE_DISPATCH;

/* ---- descriptors (static data in the driver) --------------------------------------------- */

/* KSPIN_DESCRIPTOR, the part ksim reads: data flow, communication, mediums (the first medium's
 * Set is the pin's bus for memory-type matching). Interfaces and data ranges are accepted and
 * ignored (the format comes from the topology). */
typedef struct {
    ULONG InterfacesCount;
    const VOID* Interfaces;
    ULONG MediumsCount;
    const KSPIN_MEDIUM* Mediums;
    ULONG DataRangesCount;
    const PKSDATARANGE* DataRanges;
    KSPIN_DATAFLOW DataFlow;
    KSPIN_COMMUNICATION Communication;
    const GUID* Category;
    const GUID* Name;
} KSPIN_DESCRIPTOR;

/* What ksim's negotiation compares a vendor allocator's capabilities against (ksim addition:
 * AVStream learns them only by calling the allocator; ksim's graph manager needs them up front,
 * as for an allocator declared in a topology config). */
typedef struct {
    ULONG MinFrameSize;
    ULONG MaxFrameSize;
    ULONG MaxFrames;                /* 0 = no limit */
    ULONG AlignmentMask;            /* the strictest FileAlignment it can honour */
    BOOLEAN Contiguous;             /* each frame is physically contiguous */
    BOOLEAN ScatterGather;          /* can describe frames as mappings */
    ULONG MaxMappings;              /* per frame */
    ULONG MaxMappingBytes;          /* per mapping */
    PHYSICAL_ADDRESS PhysicalBase;  /* the simulated DMA window of its common buffer */
    PHYSICAL_ADDRESS PhysicalLimit; /* last byte of that window */
    ULONG Boundary;                 /* frames do not cross this power of two (0 = none) */
    GUID MemoryType;                /* what it allocates (e.g. a device-specific memory type) */
    const char* Name;               /* shown in decision records */
} KSIM_ALLOCATOR_CAPABILITIES;

/* KSPIN_DESCRIPTOR_EX. ksim adds two members at the end (KsimName, KsimAllocatorCapabilities). */
typedef struct {
    const KSPIN_DISPATCH* Dispatch;
    const VOID* AutomationTable; /* not supported: NULL */
    KSPIN_DESCRIPTOR PinDescriptor;
    ULONG Flags; /* KSPIN_FLAG_* */
    ULONG InstancesPossible;
    ULONG InstancesNecessary;
    const KSALLOCATOR_FRAMING_EX* AllocatorFraming;
    const VOID* IntersectHandler; /* not supported: NULL */
    /* ksim: the pin's id in topology configs ("capture" in "camera.capture"); no '.' */
    const char* KsimName;
    /* ksim: required when Dispatch->Allocator is set and the topology declares no "allocator" */
    const KSIM_ALLOCATOR_CAPABILITIES* KsimAllocatorCapabilities;
} KSPIN_DESCRIPTOR_EX, *PKSPIN_DESCRIPTOR_EX;

/* KSFILTER_DESCRIPTOR. ksim adds KsimName: the name a topology's "driver": {"filter": ...} uses. */
typedef struct {
    const KSFILTER_DISPATCH* Dispatch;
    const VOID* AutomationTable; /* not supported: NULL */
    ULONG Version;               /* KSFILTER_DESCRIPTOR_VERSION */
    ULONG Flags;
    const GUID* ReferenceGuid;
    ULONG PinDescriptorsCount;
    ULONG PinDescriptorSize; /* sizeof(KSPIN_DESCRIPTOR_EX) */
    const KSPIN_DESCRIPTOR_EX* PinDescriptors;
    ULONG CategoriesCount;
    const GUID* Categories;
    const char* KsimName;
} KSFILTER_DESCRIPTOR, *PKSFILTER_DESCRIPTOR;
#define KSFILTER_DESCRIPTOR_VERSION ((ULONG)-1)

struct _KSDEVICE_DESCRIPTOR {
    const KSDEVICE_DISPATCH* Dispatch;
    ULONG FilterDescriptorsCount;
    const KSFILTER_DESCRIPTOR* const* FilterDescriptors;
    ULONG Version; /* KSDEVICE_DESCRIPTOR_VERSION */
    ULONG Flags;
};
#define KSDEVICE_DESCRIPTOR_VERSION 0x100u

/* ---- objects (made by ksimd, handed to the driver) ---------------------------------------- */

struct _DRIVER_OBJECT {
    KSIM_HOST_LINK Ksim;
};
typedef const char* PCUNICODE_STRING; /* the module's path, for messages */

/* KSDEVICE: Context is the driver's (set it in Add). */
struct _KSDEVICE {
    KSIM_HOST_LINK Ksim;
    const KSDEVICE_DESCRIPTOR* Descriptor;
    PVOID Context;
};

struct _KSFILTER {
    KSIM_HOST_LINK Ksim;
    const KSFILTER_DESCRIPTOR* Descriptor;
    PVOID Context;
};

/* KSPIN. Descriptor starts as the filter's static pin descriptor; KsEdit gives the pin its own
 * copy to change (Create). DeviceState is the state SetDeviceState last moved to. */
struct _KSPIN {
    KSIM_HOST_LINK Ksim;
    const KSPIN_DESCRIPTOR_EX* Descriptor;
    PVOID Context;
    ULONG Id; /* pin factory index in the filter descriptor */
    KSPIN_COMMUNICATION Communication;
    BOOLEAN ConnectionIsExternal;
    const KSDATAFORMAT* ConnectionFormat; /* KS_DATAFORMAT_VIDEOINFOHEADER or KSDATAFORMAT_WAVEFORMATEX */
    ULONG StreamHeaderSize;
    KSPIN_DATAFLOW DataFlow;
    KSSTATE DeviceState;
    KSRESET ResetState;
    KSSTATE ClientState;
};

/* KSSTREAM_POINTER. Context: a clone's private bytes (ContextSize at clone time); NULL for the
 * edges. StreamHeader and the offsets are valid while the pointer is locked. */
struct _KSSTREAM_POINTER {
    KSIM_HOST_LINK Ksim;
    PVOID Context;
    PKSPIN Pin;
    PKSSTREAM_HEADER StreamHeader;
    PKSSTREAM_POINTER_OFFSET Offset; /* &OffsetIn on input pins, &OffsetOut on output pins */
    KSSTREAM_POINTER_OFFSET OffsetIn;
    KSSTREAM_POINTER_OFFSET OffsetOut;
    KSIM_FRAME_INFO* KsimFrameInfo; /* ksim: the frame's KS_FRAME_INFO numbers */
};

/* A simulated-hardware timer (KsimTimerCreate). */
struct _KSIM_TIMER {
    KSIM_HOST_LINK Ksim;
};

typedef VOID (*PFNKSSTREAMPOINTER)(PKSSTREAM_POINTER StreamPointer);
/* A simulated-hardware timer callback: the "interrupt" (ISR + DPC in one), serialised with
 * every other call into the driver. Now is the deadline the timer fired for (100 ns). */
typedef VOID (*PFNKSIM_TIMER)(PVOID Context, LONGLONG Now);

/* ---- ksimd's routine table (what the inline routines call) -------------------------------- */
typedef NTSTATUS (*PFNKSIM_INITIALIZE_DRIVER)(PDRIVER_OBJECT Driver, ULONG AbiVersion,
                                              const KSDEVICE_DESCRIPTOR* Descriptor);
typedef NTSTATUS (*PFNKSIM_ADVANCE_OFFSETS)(PKSSTREAM_POINTER StreamPointer, ULONG InUsed, ULONG OutUsed,
                                            BOOLEAN Eject, BOOLEAN Unlock);
typedef NTSTATUS (*PFNKSIM_CLONE)(PKSSTREAM_POINTER StreamPointer, PFNKSSTREAMPOINTER CancelCallback,
                                  ULONG ContextSize, PKSSTREAM_POINTER* CloneStreamPointer);
typedef NTSTATUS (*PFNKSIM_ALLOCATE_COMMON_BUFFER)(PKSDEVICE Device, ULONG Length, PVOID* Virtual,
                                                   PHYSICAL_ADDRESS* Physical);
struct _KSIM_HOST_API {
    ULONG Size;       /* sizeof(KSIM_HOST_API) as ksimd built it */
    ULONG AbiVersion; /* KSIM_DDK_ABI_VERSION of ksimd */
    PFNKSIM_INITIALIZE_DRIVER InitializeDriver;
    NTSTATUS (*Edit)(PVOID Object, PVOID* PointerToPointer, ULONG NewSize, ULONG OldSize);
    PKSFILTER (*PinGetParentFilter)(PKSPIN Pin);
    PKSDEVICE (*FilterGetDevice)(PKSFILTER Filter);
    PKSSTREAM_POINTER (*PinGetLeadingEdge)(PKSPIN Pin, KSSTREAM_POINTER_STATE State);
    PKSSTREAM_POINTER (*PinGetTrailingEdge)(PKSPIN Pin, KSSTREAM_POINTER_STATE State);
    NTSTATUS (*Lock)(PKSSTREAM_POINTER StreamPointer);
    VOID (*Unlock)(PKSSTREAM_POINTER StreamPointer, BOOLEAN Eject);
    NTSTATUS (*Advance)(PKSSTREAM_POINTER StreamPointer);
    PFNKSIM_ADVANCE_OFFSETS AdvanceOffsets;
    PFNKSIM_CLONE Clone;
    PKSSTREAM_POINTER (*PinGetFirstClone)(PKSPIN Pin);
    PKSSTREAM_POINTER (*GetNextClone)(PKSSTREAM_POINTER StreamPointer);
    VOID (*Delete)(PKSSTREAM_POINTER StreamPointer);
    VOID (*SetStatusCode)(PKSSTREAM_POINTER StreamPointer, NTSTATUS Status);
    VOID (*ScheduleTimeout)(PKSSTREAM_POINTER StreamPointer, PFNKSSTREAMPOINTER Callback, ULONGLONG Interval);
    VOID (*CancelTimeout)(PKSSTREAM_POINTER StreamPointer);
    VOID (*AttemptProcessing)(PKSPIN Pin, BOOLEAN Asynchronous);
    NTSTATUS (*GetAvailableByteCount)(PKSPIN Pin, LONG* InputDataBytes, LONG* OutputBufferBytes);
    PFNKSIM_ALLOCATE_COMMON_BUFFER AllocateCommonBuffer;
    VOID (*FreeCommonBuffer)(PKSDEVICE Device, PVOID Virtual);
    NTSTATUS (*TimerCreate)(PKSPIN Pin, PFNKSIM_TIMER Callback, PVOID Context, PKSIM_TIMER* Timer);
    NTSTATUS (*TimerStart)(PKSIM_TIMER Timer, LONGLONG Start, LONGLONG Period);
    VOID (*TimerStop)(PKSIM_TIMER Timer);
    VOID (*TimerDelete)(PKSIM_TIMER Timer);
    LONGLONG (*QueryTime)(PVOID Object);
    VOID (*Log)(PVOID Object, ULONG Level, const char* Message);
    VOID (*FilterAttemptProcessing)(PKSFILTER Filter, BOOLEAN Asynchronous);
};

/* ---- the driver's entry point -------------------------------------------------------------- */

/* A driver module exports this symbol (extern "C" in C++). ksimd calls it once after dlopen; it
 * calls KsInitializeDriver with its device descriptor, as an AVStream DriverEntry does. */
#define KSIM_DRIVER_ENTRY_SYMBOL "DriverEntry"
#if defined(__GNUC__)
#define KSIM_DRIVER_EXPORT __attribute__((visibility("default")))
#else
#define KSIM_DRIVER_EXPORT
#endif
typedef NTSTATUS (*PFNKSIM_DRIVER_ENTRY)(PDRIVER_OBJECT DriverObject, PCUNICODE_STRING RegistryPath);

/* KsInitializeDriver: registers the device descriptor (its filters and their pins). */
static inline NTSTATUS KsInitializeDriver(PDRIVER_OBJECT DriverObject, PCUNICODE_STRING RegistryPath,
                                          const KSDEVICE_DESCRIPTOR* Descriptor) {
    (void)RegistryPath;
    return DriverObject->Ksim.Api->InitializeDriver(DriverObject, KSIM_DDK_ABI_VERSION, Descriptor);
}

/* ---- objects ------------------------------------------------------------------------------ */

/* _KsEdit / KsEdit: gives Object its own copy of *PointerToPointer (NewSize bytes, the first
 * OldSize copied) to change; ksimd frees it with the object. Editing the same pointer again
 * reuses the copy when it is large enough. */
static inline NTSTATUS _KsEdit(PVOID Object, PVOID* PointerToPointer, ULONG NewSize, ULONG OldSize,
                               ULONG Tag) {
    (void)Tag;
    /* Object is a KSPIN, KSFILTER or KSDEVICE: each starts with its KSIM_HOST_LINK. */
    return ((const KSIM_HOST_LINK*)Object)->Api->Edit(Object, PointerToPointer, NewSize, OldSize);
}
#define KsEdit(Object, PointerToPointer, Tag)                                          \
    _KsEdit((Object), (PVOID*)(PointerToPointer), (ULONG)sizeof(**(PointerToPointer)), \
            (ULONG)sizeof(**(PointerToPointer)), (Tag))
#define KsEditSized(Object, PointerToPointer, NewSize, OldSize, Tag) \
    _KsEdit((Object), (PVOID*)(PointerToPointer), (NewSize), (OldSize), (Tag))

static inline PKSFILTER KsPinGetParentFilter(PKSPIN Pin) {
    return Pin->Ksim.Api->PinGetParentFilter(Pin);
}
static inline PKSDEVICE KsFilterGetDevice(PKSFILTER Filter) {
    return Filter->Ksim.Api->FilterGetDevice(Filter);
}
static inline PKSDEVICE KsPinGetDevice(PKSPIN Pin) {
    return KsFilterGetDevice(KsPinGetParentFilter(Pin));
}

/* ---- stream pointers (the pin's queue) -------------------------------------------------- */

/* KsPinGetLeadingEdgeStreamPointer: LOCKED returns NULL when no frame is under the edge. */
static inline PKSSTREAM_POINTER KsPinGetLeadingEdgeStreamPointer(PKSPIN Pin, KSSTREAM_POINTER_STATE State) {
    return Pin->Ksim.Api->PinGetLeadingEdge(Pin, State);
}
/* KsPinGetTrailingEdgeStreamPointer: NULL without KSPIN_FLAG_DISTINCT_TRAILING_EDGE. */
static inline PKSSTREAM_POINTER KsPinGetTrailingEdgeStreamPointer(PKSPIN Pin, KSSTREAM_POINTER_STATE State) {
    return Pin->Ksim.Api->PinGetTrailingEdge(Pin, State);
}
/* KsStreamPointerLock: STATUS_DEVICE_NOT_READY when the pointer has no frame. */
static inline NTSTATUS KsStreamPointerLock(PKSSTREAM_POINTER StreamPointer) {
    return StreamPointer->Ksim.Api->Lock(StreamPointer);
}
/* KsStreamPointerUnlock: Eject also advances to the next frame. */
static inline VOID KsStreamPointerUnlock(PKSSTREAM_POINTER StreamPointer, BOOLEAN Eject) {
    StreamPointer->Ksim.Api->Unlock(StreamPointer, Eject);
}
/* KsStreamPointerAdvance: a locked pointer is unlocked, moved and relocked. STATUS_DEVICE_NOT_READY
 * when it runs off the end of the queue: it is then past the end, unlocked, with no frame. */
static inline NTSTATUS KsStreamPointerAdvance(PKSSTREAM_POINTER StreamPointer) {
    return StreamPointer->Ksim.Api->Advance(StreamPointer);
}
/* KsStreamPointerAdvanceOffsets: the pointer must be locked; moves to the next frame when
 * Remaining reaches 0 or with Eject. */
static inline NTSTATUS KsStreamPointerAdvanceOffsets(PKSSTREAM_POINTER StreamPointer, ULONG InUsed,
                                                     ULONG OutUsed, BOOLEAN Eject) {
    return StreamPointer->Ksim.Api->AdvanceOffsets(StreamPointer, InUsed, OutUsed, Eject, FALSE);
}
/* KsStreamPointerAdvanceOffsetsAndUnlock. */
static inline VOID KsStreamPointerAdvanceOffsetsAndUnlock(PKSSTREAM_POINTER StreamPointer, ULONG InUsed,
                                                          ULONG OutUsed, BOOLEAN Eject) {
    (void)StreamPointer->Ksim.Api->AdvanceOffsets(StreamPointer, InUsed, OutUsed, Eject, TRUE);
}
/* KsStreamPointerClone: the clone keeps its frame alive until KsStreamPointerDelete; it starts
 * with its source's lock state and offsets, and ContextSize zeroed bytes at Context.
 * CancelCallback is not supported (no IRP cancellation in ksim): pass NULL. */
static inline NTSTATUS KsStreamPointerClone(PKSSTREAM_POINTER StreamPointer,
                                            PFNKSSTREAMPOINTER CancelCallback, ULONG ContextSize,
                                            PKSSTREAM_POINTER* CloneStreamPointer) {
    return StreamPointer->Ksim.Api->Clone(StreamPointer, CancelCallback, ContextSize, CloneStreamPointer);
}
/* KsPinGetFirstCloneStreamPointer / KsStreamPointerGetNextClone: clones in creation order. */
static inline PKSSTREAM_POINTER KsPinGetFirstCloneStreamPointer(PKSPIN Pin) {
    return Pin->Ksim.Api->PinGetFirstClone(Pin);
}
static inline PKSSTREAM_POINTER KsStreamPointerGetNextClone(PKSSTREAM_POINTER StreamPointer) {
    return StreamPointer->Ksim.Api->GetNextClone(StreamPointer);
}
/* KsStreamPointerDelete: drops a clone (its frame may complete). */
static inline VOID KsStreamPointerDelete(PKSSTREAM_POINTER StreamPointer) {
    StreamPointer->Ksim.Api->Delete(StreamPointer);
}
/* KsStreamPointerSetStatusCode: the status the frame completes with. */
static inline NTSTATUS KsStreamPointerSetStatusCode(PKSSTREAM_POINTER StreamPointer, NTSTATUS Status) {
    StreamPointer->Ksim.Api->SetStatusCode(StreamPointer, Status);
    return STATUS_SUCCESS;
}
/* KsStreamPointerScheduleTimeout (Interval: relative, 100 ns) / KsStreamPointerCancelTimeout. */
static inline VOID KsStreamPointerScheduleTimeout(PKSSTREAM_POINTER StreamPointer,
                                                  PFNKSSTREAMPOINTER Callback, ULONGLONG Interval) {
    StreamPointer->Ksim.Api->ScheduleTimeout(StreamPointer, Callback, Interval);
}
static inline VOID KsStreamPointerCancelTimeout(PKSSTREAM_POINTER StreamPointer) {
    StreamPointer->Ksim.Api->CancelTimeout(StreamPointer);
}
/* KsPinAttemptProcessing: runs Process again (at once when not inside Process, else after it);
 * on a pin of a filter-centric filter, it attempts the filter's Process. */
static inline VOID KsPinAttemptProcessing(PKSPIN Pin, BOOLEAN Asynchronous) {
    Pin->Ksim.Api->AttemptProcessing(Pin, Asynchronous);
}
/* KsFilterAttemptProcessing: runs a filter-centric Process if its conditions hold (at once when
 * not inside Process, else after it). */
static inline VOID KsFilterAttemptProcessing(PKSFILTER Filter, BOOLEAN Asynchronous) {
    Filter->Ksim.Api->FilterAttemptProcessing(Filter, Asynchronous);
}
/* KsPinGetAvailableByteCount: bytes queued on an input pin / buffer bytes on an output pin. */
static inline NTSTATUS KsPinGetAvailableByteCount(PKSPIN Pin, LONG* InputDataBytes, LONG* OutputBufferBytes) {
    return Pin->Ksim.Api->GetAvailableByteCount(Pin, InputDataBytes, OutputBufferBytes);
}

/* ---- DMA and simulated hardware (ksim's stand-ins for the HAL and the device) ------------- */

/* The DMA adapter's AllocateCommonBuffer: Length bytes of zeroed frame memory (shared memory
 * that clients may map, zero-copy). The virtual address is page-aligned; the simulated physical
 * address is the start of the pin's KsimAllocatorCapabilities window rounded up to a page, and
 * the buffer fits inside that window (else STATUS_INSUFFICIENT_RESOURCES). One common buffer per
 * allocator instance, and only inside InitializeAllocator (STATUS_INVALID_DEVICE_REQUEST
 * elsewhere); it goes with DeleteAllocator at the latest (ksimd frees what the driver did not).
 * For KSPIN_FLAG_GENERATE_MAPPINGS pins ksim splits each frame into mappings of at most the
 * capabilities' MaxMappingBytes (the role of KsDeviceRegisterAdapterObject's MaxMappingByteCount). */
static inline NTSTATUS KsimDeviceAllocateCommonBuffer(PKSDEVICE Device, ULONG Length, PVOID* Virtual,
                                                      PHYSICAL_ADDRESS* Physical) {
    return Device->Ksim.Api->AllocateCommonBuffer(Device, Length, Virtual, Physical);
}
static inline VOID KsimDeviceFreeCommonBuffer(PKSDEVICE Device, PVOID Virtual) {
    Device->Ksim.Api->FreeCommonBuffer(Device, Virtual);
}

/* A periodic timer at absolute deadlines Start + Period * (n + 1) (no drift), the KTIMER + DPC
 * of avshws's hardware simulation. Callbacks run on the pin's streaming thread while the pin
 * is in RUN (a deadline that passes in PAUSE fires on the return to RUN). */
static inline NTSTATUS KsimTimerCreate(PKSPIN Pin, PFNKSIM_TIMER Callback, PVOID Context,
                                       PKSIM_TIMER* Timer) {
    return Pin->Ksim.Api->TimerCreate(Pin, Callback, Context, Timer);
}
/* Start (100 ns, ksim's clock: KsimQueryTime) and Period (100 ns, > 0). Restarting replaces. */
static inline NTSTATUS KsimTimerStart(PKSIM_TIMER Timer, LONGLONG Start, LONGLONG Period) {
    return Timer->Ksim.Api->TimerStart(Timer, Start, Period);
}
/* Stops the timer: no callback after it returns. */
static inline VOID KsimTimerStop(PKSIM_TIMER Timer) {
    Timer->Ksim.Api->TimerStop(Timer);
}
/* Stops and frees it (ksimd deletes a pin's remaining timers when the pin closes). */
static inline VOID KsimTimerDelete(PKSIM_TIMER Timer) {
    Timer->Ksim.Api->TimerDelete(Timer);
}

/* KeQueryInterruptTime: ksim's monotonic clock, 100 ns units (the clock timers run on). Object
 * is a PKSDEVICE, PKSFILTER or PKSPIN. */
static inline LONGLONG KsimQueryTime(PVOID Object) {
    return ((const KSIM_HOST_LINK*)Object)->Api->QueryTime(Object);
}

/* DbgPrint: one line (at most 512 bytes) into ksimd's log, tagged with the object. Object is a
 * PKSDEVICE, PKSFILTER or PKSPIN (each starts with its KSIM_HOST_LINK). */
#define KSIM_LOG_ERROR 1u
#define KSIM_LOG_WARNING 2u
#define KSIM_LOG_INFO 3u
#define KSIM_LOG_DEBUG 4u
static inline VOID KsimLog(PVOID Object, ULONG Level, const char* Message) {
    ((const KSIM_HOST_LINK*)Object)->Api->Log(Object, Level, Message);
}

#ifdef __cplusplus
}
#endif

#endif /* KSIM_DDK_AVSTREAM_H */
