/*
 * avscam's self-test: loads the built module with dlopen, as ksimd does, and drives it through a
 * fake ksimd (mock_host.h): DriverEntry -> Add/Start -> pin Create (the edited framing) ->
 * InitializeAllocator -> Allocate x N -> states to RUN -> arrivals (Process, clones, a pend) ->
 * timer ticks (frames complete with the documented pattern, header fields, a skipped picture)
 * -> pause/resume -> PAUSE->ACQUIRE (held frames come back empty, counters reset) -> STOP ->
 * Free -> DeleteAllocator -> Close -> Stop/Remove. Once for each format avscam renders; then
 * a pin closed in RUN.
 *
 * The pattern is checked against this file's own reading of the formula in pattern.h, not
 * against the driver's code. Usage: ksim_avscam_selftest [path/to/libksim_avscam.so]
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "mock_host.h"

static int Failures;
#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            ++Failures;                                                              \
        }                                                                            \
    } while (0)

#define PERIOD 333333LL /* 30 fps */
#define FRAMES 6        /* what "negotiation" gives the allocator: more than the hardware queue (4) */

typedef struct {
    const char* Name;
    ULONG FourCC;
    USHORT BitCount;
    LONG Width, Height;
    ULONG ImageSize;
} Format;

static KS_DATAFORMAT_VIDEOINFOHEADER MakeFormat(const Format* F) {
    KS_DATAFORMAT_VIDEOINFOHEADER D;
    memset(&D, 0, sizeof(D));
    const GUID Video = STATIC_KSDATAFORMAT_TYPE_VIDEO;
    D.DataFormat.FormatSize = sizeof(D);
    D.DataFormat.MajorFormat = Video;
    D.DataFormat.SampleSize = F->ImageSize;
    D.VideoInfoHeader.AvgTimePerFrame = PERIOD;
    D.VideoInfoHeader.bmiHeader.biSize = sizeof(KS_BITMAPINFOHEADER);
    D.VideoInfoHeader.bmiHeader.biWidth = F->Width;
    D.VideoInfoHeader.bmiHeader.biHeight = F->Height;
    D.VideoInfoHeader.bmiHeader.biPlanes = 1;
    D.VideoInfoHeader.bmiHeader.biBitCount = F->BitCount;
    D.VideoInfoHeader.bmiHeader.biCompression = F->FourCC;
    D.VideoInfoHeader.bmiHeader.biSizeImage = F->ImageSize;
    return D;
}

/* pattern.h, read independently: the byte at memory offset Offset of picture N. */
static unsigned ExpectedByte(const Format* F, unsigned long long N, size_t Offset) {
    if (Offset < 8) return (unsigned)((N >> (8 * Offset)) & 0xFF);
    const size_t W = (size_t)F->Width, H = (size_t)F->Height;
    size_t Row, Column;
    if (F->FourCC == KSIM_FOURCC_NV12) {
        if (Offset >= W * H * 3 / 2) return 0;
        if (Offset >= W * H) return 128;
        Row = Offset / W;
    } else if (F->FourCC == KSIM_FOURCC_YUY2) {
        if (Offset >= W * H * 2) return 0;
        if (Offset % 2 == 1) return 128;
        Row = Offset / (2 * W);
    } else {
        const size_t Stride = (3 * W + 3) & ~(size_t)3;
        if (Offset >= Stride * H) return 0;
        Column = Offset % Stride;
        if (Column >= 3 * W) return 0;
        Row = H - 1 - Offset / Stride;
    }
    return 16 + (unsigned)((Row + 2 * N) % 220);
}

static int PatternMatches(const Format* F, const unsigned char* Frame, unsigned long long N) {
    for (size_t i = 0; i < F->ImageSize; ++i)
        if (Frame[i] != ExpectedByte(F, N, i)) {
            fprintf(stderr, "  %s picture %llu: byte %zu is %u, expected %u\n", F->Name, N, i, Frame[i],
                    ExpectedByte(F, N, i));
            return 0;
        }
    return 1;
}

/* Frame i of the mock's queue completed as picture N with the pattern and the header fields. */
static void CheckCompleted(const MockHost* Host, const Format* F, int i, long long N, long long Drops) {
    const MockFrame* Fr = &Host->Frames[i];
    const ULONG Flags = KSSTREAM_HEADER_OPTIONSF_TIMEVALID | KSSTREAM_HEADER_OPTIONSF_DURATIONVALID |
                        KSSTREAM_HEADER_OPTIONSF_FRAMEINFO;
    CHECK(Fr->Completed);
    CHECK(Fr->Header.DataUsed == F->ImageSize);
    CHECK(Fr->Header.PresentationTime.Time == (N - 1) * PERIOD);
    CHECK(Fr->Header.Duration == PERIOD);
    CHECK((Fr->Header.OptionsFlags & Flags) == Flags);
    CHECK(Fr->Info.PictureNumber == N);
    CHECK(Fr->Info.DropCount == Drops);
    CHECK(PatternMatches(F, Fr->Data, (unsigned long long)N));
}

static void CheckDescriptors(const MockHost* Host) {
    const KSDEVICE_DESCRIPTOR* D = Host->Descriptor;
    CHECK(Host->DriverAbiVersion == KSIM_DDK_ABI_VERSION);
    CHECK(D != NULL && D->FilterDescriptorsCount == 1 && D->Version == KSDEVICE_DESCRIPTOR_VERSION);
    const KSFILTER_DESCRIPTOR* Filter = D->FilterDescriptors[0];
    CHECK(strcmp(Filter->KsimName, "AvsCamera") == 0);
    CHECK(Filter->PinDescriptorsCount == 1 && Filter->PinDescriptorSize == sizeof(KSPIN_DESCRIPTOR_EX));
    CHECK(Filter->Dispatch == NULL || Filter->Dispatch->Process == NULL);
    const KSPIN_DESCRIPTOR_EX* Pin = &Filter->PinDescriptors[0];
    CHECK(strcmp(Pin->KsimName, "capture") == 0);
    CHECK(Pin->PinDescriptor.DataFlow == KSPIN_DATAFLOW_OUT);
    CHECK(Pin->PinDescriptor.Communication == KSPIN_COMMUNICATION_BOTH);
    CHECK(Pin->Flags == KSPIN_FLAG_PROCESS_IN_RUN_STATE_ONLY);
    CHECK(Pin->InstancesPossible == 1 && Pin->InstancesNecessary == 1);
    CHECK(Pin->Dispatch->Allocator != NULL && Pin->Dispatch->Clock == NULL);
    const KS_FRAMING_ITEM* Item = &Pin->AllocatorFraming->FramingItem[0];
    const GUID NonPaged = STATIC_KSMEMORY_TYPE_KERNEL_NONPAGED;
    CHECK(Pin->AllocatorFraming->CountItems == 1);
    CHECK(memcmp(&Item->MemoryType, &NonPaged, sizeof(GUID)) == 0);
    CHECK(Item->Flags ==
          (KSALLOCATOR_REQUIREMENTF_SYSTEM_MEMORY | KSALLOCATOR_REQUIREMENTF_PREFERENCES_ONLY));
    CHECK(Item->Frames == 2 && Item->FramingRange.Range.MinFrameSize == 2 * PAGE_SIZE);
    const KSIM_ALLOCATOR_CAPABILITIES* Caps = Pin->KsimAllocatorCapabilities;
    CHECK(Caps != NULL && strcmp(Caps->Name, "avscam_dma") == 0 && Caps->MaxFrames == 8);
    CHECK(Caps->AlignmentMask == 0xFFF && Caps->Contiguous);
    CHECK(Caps->PhysicalBase == 0x100000000LL && Caps->PhysicalLimit == 0x1FFFFFFFFLL);
    CHECK(memcmp(&Caps->MemoryType, &NonPaged, sizeof(GUID)) == 0);
}

/* Create must refuse a format avscam cannot render, with a log line naming the field. */
static void CheckRefusedFormats(MockHost* Host, const KSPIN_DESCRIPTOR_EX* Static) {
    const Format Mjpg = {"MJPG", KSIM_FOURCC('M', 'J', 'P', 'G'), 24, 64, 48, 9216};
    const Format Short = {"short NV12", KSIM_FOURCC_NV12, 12, 64, 48, 100};
    KS_DATAFORMAT_VIDEOINFOHEADER D = MakeFormat(&Mjpg);
    Host->Pin.Descriptor = Static;
    Host->Pin.ConnectionFormat = &D.DataFormat;
    CHECK(Static->Dispatch->Create(&Host->Pin, NULL) == STATUS_NOT_SUPPORTED);
    CHECK(strstr(Host->LastLog, "biCompression") != NULL);
    D = MakeFormat(&Short);
    CHECK(Static->Dispatch->Create(&Host->Pin, NULL) == STATUS_INVALID_PARAMETER);
    CHECK(strstr(Host->LastLog, "biSizeImage 100") != NULL);
    CHECK(Host->Pin.Descriptor == Static && Host->Pin.Context == NULL);
}

static void RunScenario(PFNKSIM_DRIVER_ENTRY DriverEntry, const Format* F) {
    fprintf(stderr, "avscam self-test: %s %ldx%ld (%lu bytes)\n", F->Name, (long)F->Width, (long)F->Height,
            (unsigned long)F->ImageSize);
    static MockHost HostStorage; /* large: keep it off the stack */
    MockHost* Host = &HostStorage;
    MockHostInit(Host);

    CHECK(DriverEntry(&Host->Driver, "libksim_avscam.so") == STATUS_SUCCESS);
    CheckDescriptors(Host);
    const KSDEVICE_DISPATCH* Device = Host->Descriptor->Dispatch;
    CHECK(Device->Add(&Host->Device) == STATUS_SUCCESS && Host->Device.Context != NULL);
    CHECK(Device->Start(&Host->Device, NULL, NULL, NULL) == STATUS_SUCCESS);

    /* ---- pin Create: the framing follows the format; the static descriptor is untouched. */
    const KSPIN_DESCRIPTOR_EX* Static = &Host->Descriptor->FilterDescriptors[0]->PinDescriptors[0];
    const KSPIN_DISPATCH* Pin = Static->Dispatch;
    CheckRefusedFormats(Host, Static);
    KS_DATAFORMAT_VIDEOINFOHEADER Connection = MakeFormat(F);
    Host->Pin.ConnectionFormat = &Connection.DataFormat;
    CHECK(Pin->Create(&Host->Pin, NULL) == STATUS_SUCCESS);
    CHECK(Host->Pin.Descriptor != Static &&
          Host->Pin.Descriptor->AllocatorFraming != Static->AllocatorFraming);
    const KS_FRAMING_ITEM* Item = &Host->Pin.Descriptor->AllocatorFraming->FramingItem[0];
    CHECK(Item->Frames == 2);
    CHECK(Item->PhysicalRange.MinFrameSize == F->ImageSize &&
          Item->PhysicalRange.MaxFrameSize == F->ImageSize);
    CHECK(Item->FramingRange.Range.MinFrameSize == F->ImageSize &&
          Item->FramingRange.Range.MaxFrameSize == F->ImageSize);
    CHECK(Static->AllocatorFraming->FramingItem[0].PhysicalRange.MinFrameSize == 0);
    CHECK(strcmp(Host->Pin.Descriptor->KsimName, "capture") == 0);

    /* ---- the vendor allocator: refuses what it cannot do, then carves one common buffer. */
    const KSALLOCATOR_DISPATCH* Allocator = Pin->Allocator;
    KSALLOCATOR_FRAMING Negotiated = {.OptionsFlags = 0,
                                      .PoolType = NonPagedPool,
                                      .Frames = 9,
                                      .FrameSize = F->ImageSize,
                                      .FileAlignment = FILE_64_BYTE_ALIGNMENT};
    PVOID Context = NULL;
    CHECK(Allocator->InitializeAllocator(&Host->Pin, &Negotiated, &Context) == STATUS_INVALID_PARAMETER);
    CHECK(Host->BuffersAllocated == 0 && strstr(Host->LastLog, "9 frames") != NULL);
    Negotiated.Frames = FRAMES;
    CHECK(Allocator->InitializeAllocator(&Host->Pin, &Negotiated, &Context) == STATUS_SUCCESS);
    CHECK(Host->BuffersAllocated == 1);
    const size_t Stride = ((size_t)F->ImageSize + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE;
    const unsigned char* Base = (const unsigned char*)Host->Buffers[0].Virtual;
    CHECK(Host->Buffers[0].Length == Stride * FRAMES);
    PVOID Frames[FRAMES];
    for (int i = 0; i < FRAMES; ++i) {
        Frames[i] = Allocator->Allocate(Context);
        CHECK(Frames[i] == Base + (size_t)i * Stride); /* in address order, page aligned, inside */
    }
    CHECK(Allocator->Allocate(Context) == NULL);
    const int Errors = Host->Logs[KSIM_LOG_ERROR];
    Allocator->Free(Context, (unsigned char*)Frames[1] + 1); /* not a frame */
    CHECK(Host->Logs[KSIM_LOG_ERROR] == Errors + 1);
    Allocator->Free(Context, Frames[1]);
    Allocator->Free(Context, Frames[1]); /* twice */
    CHECK(Host->Logs[KSIM_LOG_ERROR] == Errors + 2 && strstr(Host->LastLog, "already free") != NULL);
    CHECK(Allocator->Allocate(Context) == Frames[1]);

    /* ---- states: one step at a time; the timer exists from ACQUIRE, runs in RUN. */
    CHECK(Pin->SetDeviceState(&Host->Pin, KSSTATE_RUN, KSSTATE_STOP) == STATUS_INVALID_DEVICE_STATE);
    CHECK(MockSetState(Host, KSSTATE_ACQUIRE) == STATUS_SUCCESS && Host->TimersCreated == 1);
    CHECK(MockSetState(Host, KSSTATE_PAUSE) == STATUS_SUCCESS && !Host->Timer.Running);
    CHECK(MockSetState(Host, KSSTATE_RUN) == STATUS_SUCCESS && Host->Timer.Running);
    CHECK(Host->Timer.Period == PERIOD && Host->Timer.Start == Host->Now);

    /* ---- arrivals: four fill the hardware queue, the fifth pends, the sixth waits. */
    for (int i = 0; i < FRAMES; ++i) MockQueueFrame(Host, Frames[i], (ULONG)Stride);
    CHECK(Host->ProcessCalls == 5 && Host->PendingReturns == 1 && Host->Pended);
    CHECK(MockCloneCount(Host) == 4 && Host->CompletedCount == 0);

    /* ---- ticks: each completes the oldest frame; the interrupt after a pend re-runs Process. */
    for (int t = 1; t <= FRAMES; ++t) {
        CHECK(MockTick(Host));
        CHECK(Host->CompletedCount == t);
        CheckCompleted(Host, F, t - 1, t, 0);
    }
    CHECK(Host->ProcessCalls == 7 && Host->PendingReturns == 2 && !Host->Pended && MockCloneCount(Host) == 0);
    CHECK(MockTick(Host) && Host->CompletedCount == FRAMES); /* picture 7: no buffer, skipped */

    for (int i = 0; i < FRAMES; ++i) Allocator->Free(Context, Frames[i]);
    Frames[0] = Allocator->Allocate(Context);
    MockQueueFrame(Host, Frames[0], (ULONG)Stride); /* queue entry 6 */
    CHECK(MockTick(Host));
    CheckCompleted(Host, F, 6, 8, 1);

    /* ---- pause and resume: numbering and stream time carry on. */
    CHECK(MockSetState(Host, KSSTATE_PAUSE) == STATUS_SUCCESS && !Host->Timer.Running && !MockTick(Host));
    Host->Now += 50 * PERIOD; /* a long pause */
    CHECK(MockSetState(Host, KSSTATE_RUN) == STATUS_SUCCESS && Host->Timer.Start == Host->Now);
    MockQueueFrame(Host, Frames[0], (ULONG)Stride); /* entry 7 (the same frame, given back) */
    CHECK(MockTick(Host));
    CheckCompleted(Host, F, 7, 9, 1);

    /* ---- PAUSE->ACQUIRE: the frame the hardware held comes back empty, counters reset. */
    MockQueueFrame(Host, Frames[0], (ULONG)Stride); /* entry 8 */
    CHECK(MockCloneCount(Host) == 1);
    CHECK(MockSetState(Host, KSSTATE_PAUSE) == STATUS_SUCCESS);
    CHECK(MockSetState(Host, KSSTATE_ACQUIRE) == STATUS_SUCCESS);
    CHECK(MockCloneCount(Host) == 0 && Host->Frames[8].Completed && Host->Frames[8].Header.DataUsed == 0);
    CHECK(MockSetState(Host, KSSTATE_PAUSE) == STATUS_SUCCESS &&
          MockSetState(Host, KSSTATE_RUN) == STATUS_SUCCESS);
    MockQueueFrame(Host, Frames[0], (ULONG)Stride); /* entry 9 */
    CHECK(MockTick(Host));
    CheckCompleted(Host, F, 9, 1, 0);

    /* ---- back to STOP: the timer goes with the hardware. */
    CHECK(MockSetState(Host, KSSTATE_PAUSE) == STATUS_SUCCESS);
    CHECK(MockSetState(Host, KSSTATE_ACQUIRE) == STATUS_SUCCESS);
    CHECK(MockSetState(Host, KSSTATE_STOP) == STATUS_SUCCESS && Host->TimersDeleted == 1);

    /* ---- teardown: frames back, allocator deleted (its common buffer freed), pin, device. */
    Allocator->Free(Context, Frames[0]);
    const int Warnings = Host->Logs[KSIM_LOG_WARNING];
    Allocator->DeleteAllocator(Context);
    CHECK(Host->BuffersFreed == 1 && Host->Logs[KSIM_LOG_WARNING] == Warnings); /* none outstanding */
    CHECK(Pin->Close(&Host->Pin, NULL) == STATUS_SUCCESS && Host->Pin.Context == NULL);
    Device->Stop(&Host->Device, NULL);
    Device->Remove(&Host->Device, NULL);
    CHECK(Host->Device.Context == NULL);
    CHECK(Host->Unexpected == 0);
    MockHostDestroy(Host);
}

/* A pin closed in RUN (its client died) must give back what it held and free the hardware,
 * so the next pin of the device can acquire it. */
static void RunCloseWhileRunning(PFNKSIM_DRIVER_ENTRY DriverEntry, const Format* F) {
    fprintf(stderr, "avscam self-test: pin closed in RUN\n");
    static MockHost HostStorage;
    MockHost* Host = &HostStorage;
    MockHostInit(Host);
    CHECK(DriverEntry(&Host->Driver, "libksim_avscam.so") == STATUS_SUCCESS);
    const KSDEVICE_DISPATCH* Device = Host->Descriptor->Dispatch;
    CHECK(Device->Add(&Host->Device) == STATUS_SUCCESS);
    CHECK(Device->Start(&Host->Device, NULL, NULL, NULL) == STATUS_SUCCESS);
    const KSPIN_DESCRIPTOR_EX* Static = &Host->Descriptor->FilterDescriptors[0]->PinDescriptors[0];
    KS_DATAFORMAT_VIDEOINFOHEADER Connection = MakeFormat(F);
    Host->Pin.Descriptor = Static;
    Host->Pin.ConnectionFormat = &Connection.DataFormat;
    CHECK(Static->Dispatch->Create(&Host->Pin, NULL) == STATUS_SUCCESS);
    static unsigned char Frame[1u << 16];
    CHECK(MockSetState(Host, KSSTATE_ACQUIRE) == STATUS_SUCCESS);
    CHECK(MockSetState(Host, KSSTATE_PAUSE) == STATUS_SUCCESS);
    CHECK(MockSetState(Host, KSSTATE_RUN) == STATUS_SUCCESS);
    MockQueueFrame(Host, Frame, sizeof(Frame));
    CHECK(MockCloneCount(Host) == 1);
    CHECK(Static->Dispatch->Close(&Host->Pin, NULL) == STATUS_SUCCESS);
    CHECK(MockCloneCount(Host) == 0 && Host->Frames[0].Completed && Host->Frames[0].Header.DataUsed == 0);
    CHECK(Host->TimersDeleted == 1 && !Host->Timer.Created);
    /* A new pin of the same device gets the hardware. */
    Host->Pin.Descriptor = Static;
    Host->Pin.DeviceState = KSSTATE_STOP;
    CHECK(Static->Dispatch->Create(&Host->Pin, NULL) == STATUS_SUCCESS);
    CHECK(MockSetState(Host, KSSTATE_ACQUIRE) == STATUS_SUCCESS && Host->TimersCreated == 2);
    CHECK(MockSetState(Host, KSSTATE_STOP) == STATUS_SUCCESS);
    CHECK(Static->Dispatch->Close(&Host->Pin, NULL) == STATUS_SUCCESS);
    Device->Stop(&Host->Device, NULL);
    Device->Remove(&Host->Device, NULL);
    CHECK(Host->Unexpected == 0);
    MockHostDestroy(Host);
}

int main(int argc, char** argv) {
    const char* Path = argc > 1 ? argv[1] : "./libksim_avscam.so";
    void* Module = dlopen(Path, RTLD_NOW | RTLD_LOCAL);
    if (Module == NULL) {
        fprintf(stderr, "avscam self-test: cannot load %s: %s\n", Path, dlerror());
        return 2;
    }
    PFNKSIM_DRIVER_ENTRY DriverEntry = NULL;
    *(void**)&DriverEntry = dlsym(Module, KSIM_DRIVER_ENTRY_SYMBOL); /* POSIX's way to a function */
    CHECK(DriverEntry != NULL);
    CHECK(dlsym(Module, "AvsCamDeviceDescriptor") == NULL); /* only DriverEntry is exported */
    if (DriverEntry != NULL) {
        const Format Formats[] = {
            {"NV12", KSIM_FOURCC_NV12, 12, 64, 240, 64 * 240 * 3 / 2},    /* rows wrap mod 220 */
            {"YUY2", KSIM_FOURCC_YUY2, 16, 32, 24, 32 * 24 * 2 + 100},    /* biSizeImage > image */
            {"RGB24", KSIM_BI_RGB, 24, 21, 10, ((21 * 3 + 3) & ~3) * 10}, /* padded rows */
        };
        for (size_t i = 0; i < sizeof(Formats) / sizeof(Formats[0]); ++i)
            RunScenario(DriverEntry, &Formats[i]);
        RunCloseWhileRunning(DriverEntry, &Formats[0]);
    }
    dlclose(Module);
    if (Failures != 0) {
        fprintf(stderr, "avscam self-test: %d check(s) failed\n", Failures);
        return 1;
    }
    fprintf(stderr, "avscam self-test: all checks passed\n");
    return 0;
}
