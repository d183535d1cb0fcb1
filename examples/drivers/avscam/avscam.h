/*
 * avscam: an example AVStream-shaped capture minidriver for ksim, written in C against the public
 * driver API only (ksim/ddk/ks.h, ksim/ddk/avstream.h). Its shape follows the avshws sample of
 * the Windows driver samples: a device that owns simulated hardware (device.c, hwsim.c), one
 * capture filter (filter.c) with one capture pin (pin.c), and — beyond avshws — a vendor
 * allocator that carves frames out of one DMA common buffer (allocator.c).
 *
 * This header is private to the driver: the declarations its files share. Nothing in it is
 * exported; the module's only exported symbol is DriverEntry (device.c).
 * docs/minidriver.md walks through the driver from an empty file to frames in `ksimctl capture`.
 */
#ifndef AVSCAM_AVSCAM_H
#define AVSCAM_AVSCAM_H

#include "ksim/ddk/avstream.h"

/* The tag a Windows driver passes to pool allocations and KsEdit (ksim ignores it): 'mcvA'. */
#define AVSCAM_POOL_TAG 0x6D637641u

/* The capture format the pin was created with, decoded once from its ConnectionFormat. */
typedef struct {
    ULONG FourCC;             /* KSIM_FOURCC_NV12, KSIM_FOURCC_YUY2 or KSIM_BI_RGB (RGB24) */
    ULONG Width;              /* pixels */
    ULONG Height;             /* pixels, always positive (an RGB24 DIB is stored bottom-up) */
    ULONG Stride;             /* bytes of one row of the first plane */
    ULONG PatternSize;        /* bytes the pattern covers (pattern.h) */
    ULONG ImageSize;          /* biSizeImage: bytes of one frame, what the framing follows */
    LONGLONG AvgTimePerFrame; /* 100 ns */
} AVSCAM_VIDEO_FORMAT;

/* ---- descriptors (filter.c) and dispatch tables (pin.c, allocator.c, device.c) ------------ */
extern const KSDEVICE_DESCRIPTOR AvsCamDeviceDescriptor;
extern const KSFILTER_DESCRIPTOR AvsCamFilterDescriptor;
extern const KSPIN_DISPATCH AvsCamCapturePinDispatch;
extern const KSALLOCATOR_FRAMING_EX AvsCamCapturePinAllocatorFraming;
extern const KSALLOCATOR_DISPATCH AvsCamAllocatorDispatch;
extern const KSIM_ALLOCATOR_CAPABILITIES AvsCamAllocatorCapabilities;

/* The frames the pin asks for in its framing (and avshws's count). */
#define AVSCAM_CAPTURE_FRAMES 2u
/* What the vendor allocator can provide (AvsCamAllocatorCapabilities). */
#define AVSCAM_ALLOCATOR_MAX_FRAMES 8u
#define AVSCAM_ALLOCATOR_ALIGNMENT_MASK (PAGE_SIZE - 1u)

/* ---- the device's hardware (device.c) ------------------------------------------------------ */
typedef struct _AVSCAM_HARDWARE AVSCAM_HARDWARE;
typedef struct _AVSCAM_HW_SINK AVSCAM_HW_SINK;

/* STOP->ACQUIRE: gives Pin the device's one capture engine, programmed for Format, raising its
 * interrupts into Sink. Fails with STATUS_DEVICE_NOT_READY before Start or after Stop and with
 * STATUS_INVALID_DEVICE_STATE while another pin holds it. */
NTSTATUS AvsCamDeviceAcquireHardware(PKSDEVICE Device, PKSPIN Pin, const AVSCAM_VIDEO_FORMAT* Format,
                                     const AVSCAM_HW_SINK* Sink, AVSCAM_HARDWARE** Hardware);
/* ACQUIRE->STOP: gives it back. */
VOID AvsCamDeviceReleaseHardware(PKSDEVICE Device, PKSPIN Pin);

/* ---- small helpers ------------------------------------------------------------------------- */

/* KsimLog with printf formatting (one line, truncated at 255 characters). */
VOID AvsCamLog(PKSPIN Pin, ULONG Level, const char* Format, ...) __attribute__((format(printf, 3, 4)));

#endif /* AVSCAM_AVSCAM_H */
