/* The simulated capture hardware (hwsim.h). */
#include "hwsim.h"

#include <string.h>

#include "pattern.h"

/* The timer callback: the sensor's frame-period tick, the avshws DPC and ISR in one. */
static VOID AvsCamHwTick(PVOID Context, LONGLONG Now) {
    AVSCAM_HARDWARE* Hw = (AVSCAM_HARDWARE*)Context;
    (void)Now; /* the picture's time comes from its number (pin.c), not from when the tick ran */
    if (!Hw->Running) return;
    const ULONGLONG Picture = ++Hw->PictureNumber;
    if (Hw->Count == 0) {
        ++Hw->SkippedPictures;
        return;
    }
    PUCHAR Buffer = Hw->Programmed[Hw->Head];
    Hw->Head = (Hw->Head + 1u) % AVSCAM_HW_QUEUE_DEPTH;
    --Hw->Count;
    AvsCamRenderPattern(Buffer, &Hw->Format, Picture);
    /* Last: the sink may program buffers (and run the pin's Process) from here. */
    Hw->Sink.FrameCompleted(Hw->Sink.Context, Buffer, Picture, Hw->SkippedPictures);
}

NTSTATUS AvsCamHwAcquire(AVSCAM_HARDWARE* Hw, PKSPIN Pin, const AVSCAM_VIDEO_FORMAT* Format,
                         const AVSCAM_HW_SINK* Sink) {
    memset(Hw, 0, sizeof(*Hw));
    Hw->Format = *Format;
    Hw->Sink = *Sink;
    const NTSTATUS Status = KsimTimerCreate(Pin, AvsCamHwTick, Hw, &Hw->Timer);
    if (!NT_SUCCESS(Status)) Hw->Timer = NULL;
    return Status;
}

NTSTATUS AvsCamHwStart(AVSCAM_HARDWARE* Hw, LONGLONG Now) {
    const NTSTATUS Status = KsimTimerStart(Hw->Timer, Now, Hw->Format.AvgTimePerFrame);
    if (NT_SUCCESS(Status)) Hw->Running = TRUE;
    return Status;
}

VOID AvsCamHwPause(AVSCAM_HARDWARE* Hw) {
    KsimTimerStop(Hw->Timer);
    Hw->Running = FALSE;
}

VOID AvsCamHwStop(AVSCAM_HARDWARE* Hw) {
    AvsCamHwPause(Hw);
    AvsCamHwCancelBuffers(Hw);
    Hw->PictureNumber = 0;
    Hw->SkippedPictures = 0;
}

VOID AvsCamHwRelease(AVSCAM_HARDWARE* Hw) {
    if (Hw->Timer != NULL) KsimTimerDelete(Hw->Timer);
    Hw->Timer = NULL;
    Hw->Running = FALSE;
}

BOOLEAN AvsCamHwProgramBuffer(AVSCAM_HARDWARE* Hw, PUCHAR Buffer) {
    if (Hw->Count == AVSCAM_HW_QUEUE_DEPTH) return FALSE;
    Hw->Programmed[(Hw->Head + Hw->Count) % AVSCAM_HW_QUEUE_DEPTH] = Buffer;
    ++Hw->Count;
    return TRUE;
}

VOID AvsCamHwCancelBuffers(AVSCAM_HARDWARE* Hw) {
    Hw->Head = 0;
    Hw->Count = 0;
}
