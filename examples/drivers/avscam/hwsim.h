/*
 * The simulated capture hardware, after avshws's CHardwareSimulation: a sensor that takes one
 * picture per frame period (a KsimTimer at AvgTimePerFrame, absolute deadlines, no drift) and a
 * DMA engine with a bounded queue of programmed buffers. On each tick the engine writes the
 * picture (pattern.h) into the oldest programmed buffer and raises its "interrupt"
 * (AVSCAM_HW_SINK.FrameCompleted); with no buffer programmed the picture is skipped and
 * counted. The hardware knows nothing of pins or stream pointers: it sees buffers and the sink.
 *
 * Every routine and the timer callback run serialised by ksimd (avstream.h, "Threading"), so
 * the queue needs no lock — a real device would guard it with a spin lock shared with its ISR.
 */
#ifndef AVSCAM_HWSIM_H
#define AVSCAM_HWSIM_H

#include "avscam.h"

/* Buffers the DMA engine can have programmed at once (avshws: 128 scatter/gather mappings). */
#define AVSCAM_HW_QUEUE_DEPTH 4u

/* The hardware's one interrupt: it finished writing picture PictureNumber into Buffer (the
 * oldest programmed buffer); SkippedPictures counts the pictures it had no buffer for since
 * the last reset. Called from the timer callback; the sink may program buffers again. */
struct _AVSCAM_HW_SINK {
    PVOID Context;
    VOID (*FrameCompleted)(PVOID Context, PUCHAR Buffer, ULONGLONG PictureNumber, ULONGLONG SkippedPictures);
};

struct _AVSCAM_HARDWARE {
    AVSCAM_VIDEO_FORMAT Format;
    AVSCAM_HW_SINK Sink;
    PKSIM_TIMER Timer;                        /* NULL unless acquired */
    PUCHAR Programmed[AVSCAM_HW_QUEUE_DEPTH]; /* a ring: oldest at Head */
    ULONG Head;
    ULONG Count;
    ULONGLONG PictureNumber;   /* pictures taken since the last reset */
    ULONGLONG SkippedPictures; /* of which no buffer was programmed */
    BOOLEAN Running;
};

/* Creates the timer on Pin (callbacks run on its streaming thread) and programs the format. */
NTSTATUS AvsCamHwAcquire(AVSCAM_HARDWARE* Hw, PKSPIN Pin, const AVSCAM_VIDEO_FORMAT* Format,
                         const AVSCAM_HW_SINK* Sink);
/* Starts taking pictures (PAUSE->RUN): the first deadline is Now + AvgTimePerFrame. After a
 * pause the picture numbers carry on where they stopped. */
NTSTATUS AvsCamHwStart(AVSCAM_HARDWARE* Hw, LONGLONG Now);
/* RUN->PAUSE: no more pictures until AvsCamHwStart; programmed buffers stay programmed. */
VOID AvsCamHwPause(AVSCAM_HARDWARE* Hw);
/* PAUSE->ACQUIRE: stops, forgets every programmed buffer, resets the counters. */
VOID AvsCamHwStop(AVSCAM_HARDWARE* Hw);
/* Deletes the timer (ACQUIRE->STOP). */
VOID AvsCamHwRelease(AVSCAM_HARDWARE* Hw);

/* Programs Buffer (at least Format.ImageSize bytes) for a later picture; FALSE when the queue
 * is full (the driver retries after the next interrupt). */
BOOLEAN AvsCamHwProgramBuffer(AVSCAM_HARDWARE* Hw, PUCHAR Buffer);
/* Forgets the programmed buffers (the pin's queue is being flushed). */
VOID AvsCamHwCancelBuffers(AVSCAM_HARDWARE* Hw);

#endif /* AVSCAM_HWSIM_H */
