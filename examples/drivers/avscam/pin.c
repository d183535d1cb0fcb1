/*
 * The capture pin (KSPIN_DISPATCH), after avshws's capture pin:
 *   - Create checks the ConnectionFormat and edits the pin's framing to follow it;
 *   - SetDeviceState moves the hardware one state at a time;
 *   - Process walks the leading edge: lock, clone (the clone keeps the frame while the
 *     hardware owns it), program the buffer, advance; STATUS_PENDING when the hardware queue
 *     is full;
 *   - the hardware's interrupt (AvsCamPinFrameCompleted) completes the oldest clone and kicks
 *     processing again after a pend.
 */
#include <stdlib.h>
#include <string.h>

#include "avscam.h"
#include "hwsim.h"
#include "pattern.h"

/* The framing the pin factory declares, as avshws's capture pin (kernel non-paged system
 * memory, preferences only, 2 frames of 2 pages); Create edits the sizes per pin. */
DECLARE_SIMPLE_FRAMING_EX(AvsCamCapturePinAllocatorFraming, STATIC_KSMEMORY_TYPE_KERNEL_NONPAGED,
                          KSALLOCATOR_REQUIREMENTF_SYSTEM_MEMORY | KSALLOCATOR_REQUIREMENTF_PREFERENCES_ONLY,
                          AVSCAM_CAPTURE_FRAMES, FILE_BYTE_ALIGNMENT, 2u * PAGE_SIZE, 2u * PAGE_SIZE);

/* KSPIN.Context. */
typedef struct {
    PKSPIN Pin;
    AVSCAM_VIDEO_FORMAT Format;
    AVSCAM_HARDWARE* Hardware; /* the device's, from STOP->ACQUIRE to ACQUIRE->STOP */
    BOOLEAN PendingIo;         /* Process returned STATUS_PENDING: kick it at the next interrupt */
} AVSCAM_PIN;

/* A clone's private context: the frame the hardware was programmed with. */
typedef struct {
    PUCHAR FrameVirtual;
} AVSCAM_CLONE_CONTEXT;

static BOOLEAN IsVideoMajorFormat(const GUID* Guid) {
    static const GUID Video = STATIC_KSDATAFORMAT_TYPE_VIDEO;
    return memcmp(Guid, &Video, sizeof(GUID)) == 0;
}

/* Decodes and checks ConnectionFormat; every refusal names the field and what would do. */
static NTSTATUS AvsCamDecodeFormat(PKSPIN Pin, AVSCAM_VIDEO_FORMAT* Out) {
    const KSDATAFORMAT* Format = Pin->ConnectionFormat;
    if (Format == NULL || Format->FormatSize < sizeof(KS_DATAFORMAT_VIDEOINFOHEADER) ||
        !IsVideoMajorFormat(&Format->MajorFormat)) {
        AvsCamLog(Pin, KSIM_LOG_ERROR,
                  "capture pin: the format must be a KS_DATAFORMAT_VIDEOINFOHEADER "
                  "(MajorFormat KSDATAFORMAT_TYPE_VIDEO, FormatSize >= %zu)",
                  sizeof(KS_DATAFORMAT_VIDEOINFOHEADER));
        return STATUS_INVALID_PARAMETER;
    }
    const KS_VIDEOINFOHEADER* Vih = &((const KS_DATAFORMAT_VIDEOINFOHEADER*)Format)->VideoInfoHeader;
    const KS_BITMAPINFOHEADER* Bmi = &Vih->bmiHeader;
    if (Bmi->biWidth <= 0 || Bmi->biWidth > 16384 || Bmi->biHeight == 0 || Bmi->biHeight > 16384 ||
        Bmi->biHeight < -16384) {
        AvsCamLog(Pin, KSIM_LOG_ERROR, "capture pin: size %ldx%ld: width and height must be 1..16384",
                  (long)Bmi->biWidth, (long)Bmi->biHeight);
        return STATUS_INVALID_PARAMETER;
    }
    if (Vih->AvgTimePerFrame <= 0) {
        AvsCamLog(Pin, KSIM_LOG_ERROR, "capture pin: AvgTimePerFrame %lld: must be > 0 (100 ns units)",
                  (long long)Vih->AvgTimePerFrame);
        return STATUS_INVALID_PARAMETER;
    }
    const LONG Height = Bmi->biHeight < 0 ? -Bmi->biHeight : Bmi->biHeight; /* negative: top-down */
    AVSCAM_VIDEO_FORMAT F = {.FourCC = Bmi->biCompression,
                             .Width = (ULONG)Bmi->biWidth,
                             .Height = (ULONG)Height,
                             .AvgTimePerFrame = Vih->AvgTimePerFrame};
    const char* Problem = NULL;
    switch (F.FourCC) {
        case KSIM_FOURCC_NV12:
            if (F.Width % 2u != 0 || F.Height % 2u != 0) Problem = "NV12 needs an even width and height";
            F.Stride = F.Width;
            F.PatternSize = F.Width * F.Height * 3u / 2u;
            break;
        case KSIM_FOURCC_YUY2:
            if (F.Width % 2u != 0) Problem = "YUY2 needs an even width";
            F.Stride = 2u * F.Width;
            F.PatternSize = F.Stride * F.Height;
            break;
        case KSIM_BI_RGB:
            if (Bmi->biBitCount != 24) Problem = "BI_RGB is rendered as RGB24 only: biBitCount must be 24";
            if (Bmi->biHeight < 0) Problem = "RGB24 is rendered bottom-up only: biHeight must be positive";
            F.Stride = (3u * F.Width + 3u) & ~3u;
            F.PatternSize = F.Stride * F.Height;
            break;
        default:
            AvsCamLog(Pin, KSIM_LOG_ERROR,
                      "capture pin: biCompression 0x%08lx: avscam renders NV12, YUY2 or "
                      "RGB24 (BI_RGB, 24 bits)",
                      (unsigned long)F.FourCC);
            return STATUS_NOT_SUPPORTED;
    }
    if (Problem != NULL) {
        AvsCamLog(Pin, KSIM_LOG_ERROR, "capture pin: %lux%lu: %s", (unsigned long)F.Width,
                  (unsigned long)F.Height, Problem);
        return STATUS_NOT_SUPPORTED;
    }
    F.ImageSize = Bmi->biSizeImage != 0 ? Bmi->biSizeImage : F.PatternSize;
    if (F.ImageSize < F.PatternSize || F.PatternSize < AVSCAM_PATTERN_HEADER_BYTES) {
        AvsCamLog(Pin, KSIM_LOG_ERROR,
                  "capture pin: biSizeImage %lu: a %lux%lu image needs at least %lu bytes "
                  "(and 8 for the frame header)",
                  (unsigned long)F.ImageSize, (unsigned long)F.Width, (unsigned long)F.Height,
                  (unsigned long)F.PatternSize);
        return STATUS_INVALID_PARAMETER;
    }
    *Out = F;
    return STATUS_SUCCESS;
}

static NTSTATUS AvsCamPinCreate(PKSPIN Pin, PIRP Irp) {
    (void)Irp;
    AVSCAM_VIDEO_FORMAT Format;
    NTSTATUS Status = AvsCamDecodeFormat(Pin, &Format);
    if (!NT_SUCCESS(Status)) return Status;

    /* The framing follows the format, as avshws's: give the pin its own descriptor and framing
     * (ksimd frees both with the pin), then make every frame exactly one image. */
    Status = KsEdit(Pin, &Pin->Descriptor, AVSCAM_POOL_TAG);
    if (NT_SUCCESS(Status))
        Status = KsEdit(Pin, &((PKSPIN_DESCRIPTOR_EX)Pin->Descriptor)->AllocatorFraming, AVSCAM_POOL_TAG);
    if (!NT_SUCCESS(Status)) return Status;
    PKSALLOCATOR_FRAMING_EX Framing = (PKSALLOCATOR_FRAMING_EX)Pin->Descriptor->AllocatorFraming;
    PKS_FRAMING_ITEM Item = &Framing->FramingItem[0];
    Item->Frames = AVSCAM_CAPTURE_FRAMES;
    /* avshws writes Stepping 0; with Min = Max the stepping says nothing, and 1 is the value a
     * validator accepts for every range. */
    Item->PhysicalRange = (KS_FRAMING_RANGE){Format.ImageSize, Format.ImageSize, 1};
    Item->FramingRange.Range = (KS_FRAMING_RANGE){Format.ImageSize, Format.ImageSize, 1};

    AVSCAM_PIN* Context = (AVSCAM_PIN*)calloc(1, sizeof(AVSCAM_PIN));
    if (Context == NULL) return STATUS_INSUFFICIENT_RESOURCES;
    Context->Pin = Pin;
    Context->Format = Format;
    Pin->Context = Context;
    return STATUS_SUCCESS;
}

/* Gives every frame the hardware held back to the queue, empty (DataUsed 0), after the
 * hardware forgot them. The clones were made from a locked edge, so they are locked. */
static VOID AvsCamPinCancelClones(AVSCAM_PIN* P) {
    if (P->Hardware != NULL) AvsCamHwCancelBuffers(P->Hardware);
    PKSSTREAM_POINTER Clone;
    while ((Clone = KsPinGetFirstCloneStreamPointer(P->Pin)) != NULL) {
        Clone->StreamHeader->DataUsed = 0;
        KsStreamPointerDelete(Clone);
    }
    P->PendingIo = FALSE;
}

static NTSTATUS AvsCamPinClose(PKSPIN Pin, PIRP Irp) {
    (void)Irp;
    AVSCAM_PIN* P = (AVSCAM_PIN*)Pin->Context;
    if (P == NULL) return STATUS_SUCCESS;
    if (P->Hardware != NULL) { /* closed without going back to STOP: do what STOP would */
        AvsCamHwStop(P->Hardware);
        AvsCamPinCancelClones(P);
        AvsCamDeviceReleaseHardware(KsPinGetDevice(Pin), Pin);
    }
    free(P);
    Pin->Context = NULL;
    return STATUS_SUCCESS;
}

/* The hardware's interrupt: it wrote PictureNumber into Buffer, the oldest programmed frame. */
static VOID AvsCamPinFrameCompleted(PVOID Context, PUCHAR Buffer, ULONGLONG PictureNumber,
                                    ULONGLONG SkippedPictures) {
    AVSCAM_PIN* P = (AVSCAM_PIN*)Context;
    PKSSTREAM_POINTER Clone = KsPinGetFirstCloneStreamPointer(P->Pin);
    if (Clone == NULL || ((AVSCAM_CLONE_CONTEXT*)Clone->Context)->FrameVirtual != Buffer) {
        /* The hardware completes in programming order, and so do the clones: a bug otherwise. */
        AvsCamLog(P->Pin, KSIM_LOG_ERROR,
                  "capture pin: the hardware completed %p but the oldest clone holds %p", (void*)Buffer,
                  Clone == NULL ? NULL : (void*)((AVSCAM_CLONE_CONTEXT*)Clone->Context)->FrameVirtual);
        return;
    }
    PKSSTREAM_HEADER Header = Clone->StreamHeader;
    Header->DataUsed = P->Format.ImageSize;
    /* No clock in ksim: the picture's stream time is its place in the stream at the nominal
     * rate, so time runs on from where it stopped across a pause. */
    Header->PresentationTime.Time = (LONGLONG)(PictureNumber - 1u) * P->Format.AvgTimePerFrame;
    Header->PresentationTime.Numerator = 1;
    Header->PresentationTime.Denominator = 1;
    Header->Duration = P->Format.AvgTimePerFrame;
    Header->OptionsFlags |= KSSTREAM_HEADER_OPTIONSF_TIMEVALID | KSSTREAM_HEADER_OPTIONSF_DURATIONVALID |
                            KSSTREAM_HEADER_OPTIONSF_FRAMEINFO;
    if (Clone->KsimFrameInfo != NULL) {
        Clone->KsimFrameInfo->PictureNumber = (LONGLONG)PictureNumber;
        Clone->KsimFrameInfo->DropCount = (LONGLONG)SkippedPictures;
    }
    KsStreamPointerDelete(Clone); /* the frame completes: nothing references it any more */
    if (P->PendingIo) {
        P->PendingIo = FALSE;
        KsPinAttemptProcessing(P->Pin, TRUE);
    }
}

static NTSTATUS AvsCamPinProcess(PKSPIN Pin) {
    AVSCAM_PIN* P = (AVSCAM_PIN*)Pin->Context;
    if (P->Hardware == NULL) return STATUS_SUCCESS; /* PROCESS_IN_RUN_STATE_ONLY: not reached */
    NTSTATUS Status = STATUS_SUCCESS;
    PKSSTREAM_POINTER Leading = KsPinGetLeadingEdgeStreamPointer(Pin, KSSTREAM_POINTER_STATE_LOCKED);
    while (Leading != NULL) {
        if (P->Hardware->Count == AVSCAM_HW_QUEUE_DEPTH) {
            P->PendingIo = TRUE; /* AvsCamPinFrameCompleted calls KsPinAttemptProcessing */
            Status = STATUS_PENDING;
            break;
        }
        if (Leading->OffsetOut.Remaining < P->Format.ImageSize) {
            AvsCamLog(Pin, KSIM_LOG_WARNING,
                      "capture pin: a %lu-byte frame cannot hold the %lu-byte image: "
                      "completed empty",
                      (unsigned long)Leading->OffsetOut.Remaining, (unsigned long)P->Format.ImageSize);
            Leading->StreamHeader->DataUsed = 0;
            (void)KsStreamPointerSetStatusCode(Leading, STATUS_BUFFER_TOO_SMALL);
        } else {
            PKSSTREAM_POINTER Clone = NULL;
            Status = KsStreamPointerClone(Leading, NULL, sizeof(AVSCAM_CLONE_CONTEXT), &Clone);
            if (!NT_SUCCESS(Status)) break;
            AVSCAM_CLONE_CONTEXT* CloneContext = (AVSCAM_CLONE_CONTEXT*)Clone->Context;
            CloneContext->FrameVirtual = Leading->OffsetOut.Data;
            Clone->StreamHeader->DataUsed = 0;
            (void)AvsCamHwProgramBuffer(P->Hardware, CloneContext->FrameVirtual); /* room checked above */
        }
        /* The clone holds the frame; the edge moves on. Running off the end of the queue
         * (STATUS_DEVICE_NOT_READY) is the normal way out and leaves the edge unlocked. */
        const NTSTATUS Advanced = KsStreamPointerAdvance(Leading);
        if (!NT_SUCCESS(Advanced)) {
            Leading = NULL;
            if (Advanced != STATUS_DEVICE_NOT_READY) Status = Advanced;
        }
    }
    if (Leading != NULL) KsStreamPointerUnlock(Leading, FALSE);
    return Status;
}

static NTSTATUS AvsCamPinSetDeviceState(PKSPIN Pin, KSSTATE ToState, KSSTATE FromState) {
    AVSCAM_PIN* P = (AVSCAM_PIN*)Pin->Context;
    const int Step = (int)ToState - (int)FromState;
    if (Step != 1 && Step != -1) {
        AvsCamLog(Pin, KSIM_LOG_ERROR, "capture pin: state %d -> %d is not one step", (int)FromState,
                  (int)ToState);
        return STATUS_INVALID_DEVICE_STATE;
    }
    switch (ToState) {
        case KSSTATE_STOP: /* from ACQUIRE: give the hardware back */
            AvsCamPinCancelClones(P);
            AvsCamDeviceReleaseHardware(KsPinGetDevice(Pin), Pin);
            P->Hardware = NULL;
            return STATUS_SUCCESS;
        case KSSTATE_ACQUIRE:
            if (FromState == KSSTATE_STOP) {
                const AVSCAM_HW_SINK Sink = {.Context = P, .FrameCompleted = AvsCamPinFrameCompleted};
                return AvsCamDeviceAcquireHardware(KsPinGetDevice(Pin), Pin, &P->Format, &Sink, &P->Hardware);
            }
            /* From PAUSE: stop the hardware, return what it held, reset the counters. */
            AvsCamHwStop(P->Hardware);
            AvsCamPinCancelClones(P);
            return STATUS_SUCCESS;
        case KSSTATE_PAUSE:
            if (FromState == KSSTATE_RUN) AvsCamHwPause(P->Hardware);
            return STATUS_SUCCESS;
        case KSSTATE_RUN: /* start, or resume after a pause */
            return AvsCamHwStart(P->Hardware, KsimQueryTime(Pin));
    }
    return STATUS_INVALID_DEVICE_STATE;
}

/* The queue is being flushed: the hardware forgets its buffers and the frames go back empty. */
static VOID AvsCamPinReset(PKSPIN Pin) {
    AVSCAM_PIN* P = (AVSCAM_PIN*)Pin->Context;
    if (P != NULL) AvsCamPinCancelClones(P);
}

const KSPIN_DISPATCH AvsCamCapturePinDispatch = {
    .Create = AvsCamPinCreate,
    .Close = AvsCamPinClose,
    .Process = AvsCamPinProcess,
    .Reset = AvsCamPinReset,
    .SetDataFormat = NULL, /* not called by ksim: the format is fixed from Create on */
    .SetDeviceState = AvsCamPinSetDeviceState,
    .Connect = NULL,
    .Disconnect = NULL,
    .Clock = NULL,
    .Allocator = &AvsCamAllocatorDispatch,
};
