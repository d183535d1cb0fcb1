/*
 * A fake ksimd for avscam's self-test: just enough of KSIM_HOST_API to drive one pin of one
 * filter without the real daemon — an append-only queue of frames with a leading edge and
 * clones, KsEdit copies, common buffers from aligned_alloc, one timer ticked by hand, and a
 * log that remembers what the driver said. It follows the rules avstream.h states (Process on
 * an arrival at an empty leading edge and only in RUN, STATUS_PENDING until
 * KsPinAttemptProcessing, clones locked like their parent, a frame completes once it is behind
 * the leading edge and no clone holds it). Routines avscam should not call count as failures.
 */
#ifndef AVSCAM_SELFTEST_MOCK_HOST_H
#define AVSCAM_SELFTEST_MOCK_HOST_H

#include "ksim/ddk/avstream.h"

#define MOCK_MAX_FRAMES 16
#define MOCK_MAX_CLONES 16
#define MOCK_MAX_EDITS 8
#define MOCK_MAX_BUFFERS 4
#define MOCK_CLONE_CONTEXT_BYTES 64

typedef struct MockHost MockHost;

typedef struct {
    KSSTREAM_HEADER Header;
    KSIM_FRAME_INFO Info;
    PUCHAR Data;
    ULONG Size;
    int Clones;
    BOOLEAN Completed;
    NTSTATUS Status;
} MockFrame;

typedef struct {
    KSSTREAM_POINTER Sp; /* first: a PKSSTREAM_POINTER is a MockPointer* */
    MockHost* Host;
    int Frame; /* index in Host->Frames; Host->FrameCount when past the end */
    BOOLEAN Locked;
    BOOLEAN InUse;        /* clones: the slot is taken */
    unsigned long Serial; /* clones: creation order */
    unsigned char Context[MOCK_CLONE_CONTEXT_BYTES];
} MockPointer;

typedef struct {
    KSIM_TIMER Timer; /* first */
    MockHost* Host;
    PFNKSIM_TIMER Callback;
    PVOID Context;
    BOOLEAN Created, Running;
    LONGLONG Start, Period;
    unsigned long Fired; /* deadlines fired since the last start */
} MockTimer;

struct MockHost {
    KSIM_HOST_API Api;
    DRIVER_OBJECT Driver;
    KSDEVICE Device;
    KSFILTER Filter;
    KSPIN Pin;
    const KSDEVICE_DESCRIPTOR* Descriptor; /* from KsInitializeDriver */
    ULONG DriverAbiVersion;

    MockFrame Frames[MOCK_MAX_FRAMES];
    int FrameCount;
    MockPointer Leading;
    MockPointer Clones[MOCK_MAX_CLONES];
    unsigned long NextSerial;
    int CompletedCount;

    BOOLEAN InProcess, RerunProcess, Pended;
    int ProcessCalls, PendingReturns;

    MockTimer Timer;
    int TimersCreated, TimersDeleted;
    LONGLONG Now;

    struct {
        PVOID Copy;
        ULONG Size;
    } Edits[MOCK_MAX_EDITS];
    int EditCount;

    struct {
        PVOID Virtual;
        ULONG Length;
        PHYSICAL_ADDRESS Physical;
    } Buffers[MOCK_MAX_BUFFERS];
    int BuffersAllocated, BuffersFreed;

    int Logs[KSIM_LOG_DEBUG + 1];
    char LastLog[256];
    int Unexpected; /* calls of routines avscam has no business calling */
};

/* Sets up the objects (all linked to Host) and the routine table. */
void MockHostInit(MockHost* Host);
/* Frees what the host allocated (KsEdit copies, common buffers the driver left). */
void MockHostDestroy(MockHost* Host);
/* Sets the pin's state as ksimd would after SetDeviceState succeeded. */
NTSTATUS MockSetState(MockHost* Host, KSSTATE To);
/* A frame arrives in the pin's queue (Size bytes at Data); runs Process by the rules above. */
void MockQueueFrame(MockHost* Host, PVOID Data, ULONG Size);
/* Fires the timer's next deadline; FALSE when it is not running (or the pin not in RUN). */
BOOLEAN MockTick(MockHost* Host);
/* Clones currently alive. */
int MockCloneCount(const MockHost* Host);

#endif /* AVSCAM_SELFTEST_MOCK_HOST_H */
