/* The fake ksimd of avscam's self-test (mock_host.h). */
#include "mock_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static MockHost* HostOf(PVOID Object) {
    return (MockHost*)((const KSIM_HOST_LINK*)Object)->Object;
}
static MockPointer* PointerOf(PKSSTREAM_POINTER Sp) {
    return (MockPointer*)Sp;
}

static void Unexpected(MockHost* Host, const char* Routine) {
    fprintf(stderr, "mock host: unexpected call of %s\n", Routine);
    ++Host->Unexpected;
}

/* ---- driver, objects, edits ---------------------------------------------------------------- */

static NTSTATUS MockInitializeDriver(PDRIVER_OBJECT Driver, ULONG AbiVersion,
                                     const KSDEVICE_DESCRIPTOR* Descriptor) {
    MockHost* Host = HostOf(Driver);
    Host->DriverAbiVersion = AbiVersion;
    Host->Descriptor = Descriptor;
    Host->Device.Descriptor = Descriptor;
    return AbiVersion == KSIM_DDK_ABI_VERSION ? STATUS_SUCCESS : STATUS_NOT_SUPPORTED;
}

static NTSTATUS MockEdit(PVOID Object, PVOID* PointerToPointer, ULONG NewSize, ULONG OldSize) {
    MockHost* Host = HostOf(Object);
    for (int i = 0; i < Host->EditCount; ++i)
        if (Host->Edits[i].Copy == *PointerToPointer && Host->Edits[i].Size >= NewSize) return STATUS_SUCCESS;
    if (Host->EditCount == MOCK_MAX_EDITS) return STATUS_INSUFFICIENT_RESOURCES;
    PVOID Copy = calloc(1, NewSize);
    if (Copy == NULL) return STATUS_INSUFFICIENT_RESOURCES;
    if (*PointerToPointer != NULL) memcpy(Copy, *PointerToPointer, OldSize < NewSize ? OldSize : NewSize);
    Host->Edits[Host->EditCount].Copy = Copy;
    Host->Edits[Host->EditCount].Size = NewSize;
    ++Host->EditCount;
    *PointerToPointer = Copy;
    return STATUS_SUCCESS;
}

static PKSFILTER MockPinGetParentFilter(PKSPIN Pin) {
    return &HostOf(Pin)->Filter;
}
static PKSDEVICE MockFilterGetDevice(PKSFILTER Filter) {
    return &HostOf(Filter)->Device;
}

/* ---- the queue ----------------------------------------------------------------------------- */

static void LoadFrame(MockPointer* P) {
    MockFrame* F = &P->Host->Frames[P->Frame];
    P->Sp.StreamHeader = &F->Header;
    P->Sp.KsimFrameInfo = &F->Info;
    P->Sp.OffsetOut.Data = F->Data;
    P->Sp.OffsetOut.Count = F->Size;
    P->Sp.OffsetOut.Remaining = F->Size;
    P->Sp.Offset = &P->Sp.OffsetOut;
}

static void CompleteFinishedFrames(MockHost* Host) {
    for (int i = 0; i < Host->Leading.Frame; ++i) {
        MockFrame* F = &Host->Frames[i];
        if (!F->Completed && F->Clones == 0) {
            F->Completed = TRUE;
            ++Host->CompletedCount;
        }
    }
}

static NTSTATUS MockLock(PKSSTREAM_POINTER Sp) {
    MockPointer* P = PointerOf(Sp);
    if (P->Frame >= P->Host->FrameCount) return STATUS_DEVICE_NOT_READY;
    LoadFrame(P);
    P->Locked = TRUE;
    return STATUS_SUCCESS;
}

static void MockUnlock(PKSSTREAM_POINTER Sp, BOOLEAN Eject) {
    MockPointer* P = PointerOf(Sp);
    P->Locked = FALSE;
    if (Eject && P == &P->Host->Leading && P->Frame < P->Host->FrameCount) {
        ++P->Frame;
        CompleteFinishedFrames(P->Host);
    }
}

static PKSSTREAM_POINTER MockPinGetLeadingEdge(PKSPIN Pin, KSSTREAM_POINTER_STATE State) {
    MockHost* Host = HostOf(Pin);
    if (State == KSSTREAM_POINTER_STATE_LOCKED && !NT_SUCCESS(MockLock(&Host->Leading.Sp))) return NULL;
    return &Host->Leading.Sp;
}

static NTSTATUS MockAdvance(PKSSTREAM_POINTER Sp) {
    MockPointer* P = PointerOf(Sp);
    MockHost* Host = P->Host;
    if (P != &Host->Leading) {
        Unexpected(Host, "KsStreamPointerAdvance on a clone");
        return STATUS_NOT_SUPPORTED;
    }
    const BOOLEAN WasLocked = P->Locked;
    if (P->Frame < Host->FrameCount) ++P->Frame;
    CompleteFinishedFrames(Host);
    if (!WasLocked) return STATUS_SUCCESS;
    if (P->Frame >= Host->FrameCount) {
        P->Locked = FALSE;
        return STATUS_DEVICE_NOT_READY;
    }
    LoadFrame(P);
    return STATUS_SUCCESS;
}

static NTSTATUS MockClone(PKSSTREAM_POINTER Sp, PFNKSSTREAMPOINTER CancelCallback, ULONG ContextSize,
                          PKSSTREAM_POINTER* CloneStreamPointer) {
    MockPointer* Parent = PointerOf(Sp);
    MockHost* Host = Parent->Host;
    if (CancelCallback != NULL || ContextSize > MOCK_CLONE_CONTEXT_BYTES || Parent->Frame >= Host->FrameCount)
        return STATUS_INVALID_PARAMETER;
    for (int i = 0; i < MOCK_MAX_CLONES; ++i) {
        MockPointer* C = &Host->Clones[i];
        if (C->InUse) continue;
        memset(C, 0, sizeof(*C));
        C->Sp.Ksim = Parent->Sp.Ksim;
        C->Sp.Ksim.Object = Host;
        C->Sp.Pin = &Host->Pin;
        C->Sp.Context = ContextSize != 0 ? C->Context : NULL;
        C->Host = Host;
        C->Frame = Parent->Frame;
        C->InUse = TRUE;
        C->Serial = ++Host->NextSerial;
        LoadFrame(C);
        C->Sp.OffsetOut = Parent->Sp.OffsetOut;
        C->Locked = Parent->Locked; /* "the same lock status" */
        ++Host->Frames[C->Frame].Clones;
        *CloneStreamPointer = &C->Sp;
        return STATUS_SUCCESS;
    }
    return STATUS_INSUFFICIENT_RESOURCES;
}

/* The live clone with the smallest serial above After (0: the first). */
static PKSSTREAM_POINTER CloneAfter(MockHost* Host, unsigned long After) {
    MockPointer* Best = NULL;
    for (int i = 0; i < MOCK_MAX_CLONES; ++i) {
        MockPointer* C = &Host->Clones[i];
        if (C->InUse && C->Serial > After && (Best == NULL || C->Serial < Best->Serial)) Best = C;
    }
    return Best == NULL ? NULL : &Best->Sp;
}
static PKSSTREAM_POINTER MockPinGetFirstClone(PKSPIN Pin) {
    return CloneAfter(HostOf(Pin), 0);
}
static PKSSTREAM_POINTER MockGetNextClone(PKSSTREAM_POINTER Sp) {
    return CloneAfter(PointerOf(Sp)->Host, PointerOf(Sp)->Serial);
}

static void MockDelete(PKSSTREAM_POINTER Sp) {
    MockPointer* C = PointerOf(Sp);
    if (!C->InUse) {
        Unexpected(C->Host, "KsStreamPointerDelete of an edge or a deleted clone");
        return;
    }
    C->InUse = FALSE;
    --C->Host->Frames[C->Frame].Clones;
    CompleteFinishedFrames(C->Host);
}

static void MockSetStatusCode(PKSSTREAM_POINTER Sp, NTSTATUS Status) {
    MockPointer* P = PointerOf(Sp);
    if (P->Frame < P->Host->FrameCount) P->Host->Frames[P->Frame].Status = Status;
}

/* ---- processing ---------------------------------------------------------------------------- */

static void RunProcess(MockHost* Host) {
    const KSPIN_DISPATCH* Dispatch = Host->Pin.Descriptor->Dispatch;
    if (Host->Pin.DeviceState != KSSTATE_RUN || Dispatch->Process == NULL) return;
    do {
        Host->RerunProcess = FALSE;
        Host->InProcess = TRUE;
        ++Host->ProcessCalls;
        const NTSTATUS Status = Dispatch->Process(&Host->Pin);
        Host->InProcess = FALSE;
        Host->Pended = Status == STATUS_PENDING;
        if (Host->Pended) ++Host->PendingReturns;
    } while (Host->RerunProcess);
}

static void MockAttemptProcessing(PKSPIN Pin, BOOLEAN Asynchronous) {
    (void)Asynchronous;
    MockHost* Host = HostOf(Pin);
    Host->Pended = FALSE;
    if (Host->InProcess)
        Host->RerunProcess = TRUE;
    else
        RunProcess(Host);
}

void MockQueueFrame(MockHost* Host, PVOID Data, ULONG Size) {
    if (Host->FrameCount == MOCK_MAX_FRAMES) {
        Unexpected(Host, "MockQueueFrame beyond MOCK_MAX_FRAMES");
        return;
    }
    const BOOLEAN EdgeWasEmpty = Host->Leading.Frame >= Host->FrameCount;
    MockFrame* F = &Host->Frames[Host->FrameCount++];
    memset(F, 0, sizeof(*F));
    F->Header.Size = sizeof(KSSTREAM_HEADER);
    F->Header.FrameExtent = Size;
    F->Header.Data = Data;
    F->Data = (PUCHAR)Data;
    F->Size = Size;
    if (EdgeWasEmpty && !Host->Pended && !Host->InProcess) RunProcess(Host);
}

NTSTATUS MockSetState(MockHost* Host, KSSTATE To) {
    const KSPIN_DISPATCH* Dispatch = Host->Pin.Descriptor->Dispatch;
    const NTSTATUS Status = Dispatch->SetDeviceState(&Host->Pin, To, Host->Pin.DeviceState);
    if (NT_SUCCESS(Status)) Host->Pin.DeviceState = To;
    return Status;
}

/* ---- DMA, timers, time, log ---------------------------------------------------------------- */

static NTSTATUS MockAllocateCommonBuffer(PKSDEVICE Device, ULONG Length, PVOID* Virtual,
                                         PHYSICAL_ADDRESS* Physical) {
    MockHost* Host = HostOf(Device);
    const int Slot = Host->BuffersAllocated - Host->BuffersFreed;
    if (Slot >= MOCK_MAX_BUFFERS || Length == 0) return STATUS_INSUFFICIENT_RESOURCES;
    const size_t Rounded = ((size_t)Length + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE;
    PVOID Memory = aligned_alloc(PAGE_SIZE, Rounded);
    if (Memory == NULL) return STATUS_INSUFFICIENT_RESOURCES;
    for (int i = 0; i < MOCK_MAX_BUFFERS; ++i)
        if (Host->Buffers[i].Virtual == NULL) {
            Host->Buffers[i].Virtual = Memory;
            Host->Buffers[i].Length = Length;
            Host->Buffers[i].Physical = 0x100000000LL + (LONGLONG)i * 0x10000000LL;
            *Virtual = Memory;
            *Physical = Host->Buffers[i].Physical;
            ++Host->BuffersAllocated;
            return STATUS_SUCCESS;
        }
    free(Memory);
    return STATUS_INSUFFICIENT_RESOURCES;
}

static void MockFreeCommonBuffer(PKSDEVICE Device, PVOID Virtual) {
    MockHost* Host = HostOf(Device);
    for (int i = 0; i < MOCK_MAX_BUFFERS; ++i)
        if (Host->Buffers[i].Virtual == Virtual && Virtual != NULL) {
            free(Virtual);
            Host->Buffers[i].Virtual = NULL;
            ++Host->BuffersFreed;
            return;
        }
    Unexpected(Host, "KsimDeviceFreeCommonBuffer of an unknown buffer");
}

static NTSTATUS MockTimerCreate(PKSPIN Pin, PFNKSIM_TIMER Callback, PVOID Context, PKSIM_TIMER* Timer) {
    MockHost* Host = HostOf(Pin);
    if (Host->Timer.Created) return STATUS_INSUFFICIENT_RESOURCES; /* one is all avscam needs */
    memset(&Host->Timer, 0, sizeof(Host->Timer));
    Host->Timer.Timer.Ksim = Pin->Ksim;
    Host->Timer.Host = Host;
    Host->Timer.Callback = Callback;
    Host->Timer.Context = Context;
    Host->Timer.Created = TRUE;
    ++Host->TimersCreated;
    *Timer = &Host->Timer.Timer;
    return STATUS_SUCCESS;
}
static NTSTATUS MockTimerStart(PKSIM_TIMER Timer, LONGLONG Start, LONGLONG Period) {
    MockTimer* T = (MockTimer*)Timer;
    if (Period <= 0) return STATUS_INVALID_PARAMETER;
    T->Start = Start;
    T->Period = Period;
    T->Fired = 0;
    T->Running = TRUE;
    return STATUS_SUCCESS;
}
static void MockTimerStop(PKSIM_TIMER Timer) {
    ((MockTimer*)Timer)->Running = FALSE;
}
static void MockTimerDelete(PKSIM_TIMER Timer) {
    MockTimer* T = (MockTimer*)Timer;
    T->Running = FALSE;
    T->Created = FALSE;
    ++T->Host->TimersDeleted;
}

BOOLEAN MockTick(MockHost* Host) {
    MockTimer* T = &Host->Timer;
    if (!T->Created || !T->Running || Host->Pin.DeviceState != KSSTATE_RUN) return FALSE;
    ++T->Fired;
    Host->Now = T->Start + T->Period * (LONGLONG)T->Fired;
    T->Callback(T->Context, Host->Now);
    return TRUE;
}

static LONGLONG MockQueryTime(PVOID Object) {
    return HostOf(Object)->Now;
}

static void MockLog(PVOID Object, ULONG Level, const char* Message) {
    MockHost* Host = HostOf(Object);
    if (Level <= KSIM_LOG_DEBUG) ++Host->Logs[Level];
    snprintf(Host->LastLog, sizeof(Host->LastLog), "%s", Message);
    fprintf(stderr, "  driver log (level %lu): %s\n", (unsigned long)Level, Message);
}

/* ---- what avscam does not use ---------------------------------------------------------------- */

static PKSSTREAM_POINTER MockPinGetTrailingEdge(PKSPIN Pin, KSSTREAM_POINTER_STATE State) {
    (void)State;
    Unexpected(HostOf(Pin), "KsPinGetTrailingEdgeStreamPointer");
    return NULL;
}
static NTSTATUS MockAdvanceOffsets(PKSSTREAM_POINTER Sp, ULONG InUsed, ULONG OutUsed, BOOLEAN Eject,
                                   BOOLEAN Unlock) {
    (void)InUsed, (void)OutUsed, (void)Eject, (void)Unlock;
    Unexpected(PointerOf(Sp)->Host, "KsStreamPointerAdvanceOffsets");
    return STATUS_NOT_SUPPORTED;
}
static void MockScheduleTimeout(PKSSTREAM_POINTER Sp, PFNKSSTREAMPOINTER Callback, ULONGLONG Interval) {
    (void)Callback, (void)Interval;
    Unexpected(PointerOf(Sp)->Host, "KsStreamPointerScheduleTimeout");
}
static void MockCancelTimeout(PKSSTREAM_POINTER Sp) {
    Unexpected(PointerOf(Sp)->Host, "KsStreamPointerCancelTimeout");
}
static NTSTATUS MockGetAvailableByteCount(PKSPIN Pin, LONG* In, LONG* Out) {
    (void)In, (void)Out;
    Unexpected(HostOf(Pin), "KsPinGetAvailableByteCount");
    return STATUS_NOT_SUPPORTED;
}

/* ---- set-up ---------------------------------------------------------------------------------- */

void MockHostInit(MockHost* Host) {
    memset(Host, 0, sizeof(*Host));
    KSIM_HOST_API* A = &Host->Api;
    A->Size = sizeof(KSIM_HOST_API);
    A->AbiVersion = KSIM_DDK_ABI_VERSION;
    A->InitializeDriver = MockInitializeDriver;
    A->Edit = MockEdit;
    A->PinGetParentFilter = MockPinGetParentFilter;
    A->FilterGetDevice = MockFilterGetDevice;
    A->PinGetLeadingEdge = MockPinGetLeadingEdge;
    A->PinGetTrailingEdge = MockPinGetTrailingEdge;
    A->Lock = MockLock;
    A->Unlock = MockUnlock;
    A->Advance = MockAdvance;
    A->AdvanceOffsets = MockAdvanceOffsets;
    A->Clone = MockClone;
    A->PinGetFirstClone = MockPinGetFirstClone;
    A->GetNextClone = MockGetNextClone;
    A->Delete = MockDelete;
    A->SetStatusCode = MockSetStatusCode;
    A->ScheduleTimeout = MockScheduleTimeout;
    A->CancelTimeout = MockCancelTimeout;
    A->AttemptProcessing = MockAttemptProcessing;
    A->GetAvailableByteCount = MockGetAvailableByteCount;
    A->AllocateCommonBuffer = MockAllocateCommonBuffer;
    A->FreeCommonBuffer = MockFreeCommonBuffer;
    A->TimerCreate = MockTimerCreate;
    A->TimerStart = MockTimerStart;
    A->TimerStop = MockTimerStop;
    A->TimerDelete = MockTimerDelete;
    A->QueryTime = MockQueryTime;
    A->Log = MockLog;

    const KSIM_HOST_LINK Link = {.Api = A, .Object = Host};
    Host->Driver.Ksim = Link;
    Host->Device.Ksim = Link;
    Host->Filter.Ksim = Link;
    Host->Pin.Ksim = Link;
    Host->Pin.Communication = KSPIN_COMMUNICATION_SOURCE;
    Host->Pin.DataFlow = KSPIN_DATAFLOW_OUT;
    Host->Pin.StreamHeaderSize = sizeof(KSSTREAM_HEADER);
    Host->Pin.DeviceState = KSSTATE_STOP;
    Host->Leading.Sp.Ksim = Link;
    Host->Leading.Sp.Pin = &Host->Pin;
    Host->Leading.Host = Host;
    Host->Now = 1000000; /* 100 ms after ksim's clock started */
}

void MockHostDestroy(MockHost* Host) {
    for (int i = 0; i < Host->EditCount; ++i) free(Host->Edits[i].Copy);
    for (int i = 0; i < MOCK_MAX_BUFFERS; ++i) free(Host->Buffers[i].Virtual);
    Host->EditCount = 0;
}

int MockCloneCount(const MockHost* Host) {
    int Count = 0;
    for (int i = 0; i < MOCK_MAX_CLONES; ++i) Count += Host->Clones[i].InUse ? 1 : 0;
    return Count;
}
