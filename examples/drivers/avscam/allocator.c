/*
 * The pin's own vendor allocator (KSALLOCATOR_DISPATCH): frames carved out of ONE DMA common
 * buffer, the documented use of a vendor allocator (a device that can only DMA into memory it
 * allocated itself). ksimd calls InitializeAllocator only when negotiation selected this
 * allocator for the pin's pipe — which needs a kernel-mode connection — and never offline.
 *
 * Layout: Frames frames, each FrameSize rounded up to the negotiated alignment and to a page
 * (the stride), back to back from the start of the common buffer, which is page aligned. A
 * LIFO free list of frame indices makes Allocate and Free O(1); an "allocated" flag per frame
 * catches a Free of something Allocate did not hand out.
 */
#include <stdlib.h>

#include "avscam.h"

/* What negotiation compares this allocator against (ksim's KsimAllocatorCapabilities). */
const KSIM_ALLOCATOR_CAPABILITIES AvsCamAllocatorCapabilities = {
    .MinFrameSize = 1,
    .MaxFrameSize = 64u << 20, /* 64 MiB: a 4096x2160 RGB24 frame fits */
    .MaxFrames = AVSCAM_ALLOCATOR_MAX_FRAMES,
    .AlignmentMask = AVSCAM_ALLOCATOR_ALIGNMENT_MASK, /* every frame starts on a page */
    .Contiguous = TRUE,
    .ScatterGather = FALSE, /* the pin does not ask for mappings (no KSPIN_FLAG_GENERATE_MAPPINGS) */
    .MaxMappings = 0,
    .MaxMappingBytes = 0,
    .PhysicalBase = 0x100000000LL, /* the device's DMA window: 4 GiB .. 8 GiB - 1 */
    .PhysicalLimit = 0x1FFFFFFFFLL,
    .Boundary = 0,
    .MemoryType = STATIC_KSMEMORY_TYPE_KERNEL_NONPAGED,
    .Name = "avscam_dma",
};

/* The Context every routine after InitializeAllocator gets. */
typedef struct {
    PKSPIN Pin; /* for the log */
    PKSDEVICE Device;
    PUCHAR Base; /* the common buffer */
    PHYSICAL_ADDRESS Physical;
    ULONG Frames;
    ULONG FrameSize;
    ULONG Stride;
    ULONG FreeCount;
    ULONG* FreeList;    /* FreeList[0 .. FreeCount-1]: indices of free frames, top at the end */
    BOOLEAN* Allocated; /* per frame */
} AVSCAM_ALLOCATOR;

static BOOLEAN IsAlignmentMask(ULONG Mask) {
    return (Mask & (Mask + 1u)) == 0;
}

static VOID AvsCamAllocatorDestroy(AVSCAM_ALLOCATOR* A) {
    if (A->Base != NULL) KsimDeviceFreeCommonBuffer(A->Device, A->Base);
    free(A->FreeList);
    free(A->Allocated);
    free(A);
}

static NTSTATUS AvsCamInitializeAllocator(PKSPIN Pin, PKSALLOCATOR_FRAMING Framing, PVOID* Context) {
    const KSIM_ALLOCATOR_CAPABILITIES* Caps = &AvsCamAllocatorCapabilities;
    if (Framing->Frames == 0 || Framing->Frames > Caps->MaxFrames ||
        Framing->FrameSize < Caps->MinFrameSize || Framing->FrameSize > Caps->MaxFrameSize ||
        !IsAlignmentMask(Framing->FileAlignment) || Framing->FileAlignment > Caps->AlignmentMask) {
        AvsCamLog(Pin, KSIM_LOG_ERROR,
                  "avscam_dma: cannot provide %lu frames of %lu bytes aligned to mask 0x%lx "
                  "(it provides 1..%lu frames of %lu..%lu bytes, alignment masks 2^n-1 up to 0x%lx)",
                  (unsigned long)Framing->Frames, (unsigned long)Framing->FrameSize,
                  (unsigned long)Framing->FileAlignment, (unsigned long)Caps->MaxFrames,
                  (unsigned long)Caps->MinFrameSize, (unsigned long)Caps->MaxFrameSize,
                  (unsigned long)Caps->AlignmentMask);
        return STATUS_INVALID_PARAMETER;
    }
    /* Round each frame up to the alignment and to a page; the alignment is at most a page. */
    const ULONG Granule = PAGE_SIZE; /* >= FileAlignment + 1 */
    const ULONG Stride = (Framing->FrameSize + Granule - 1u) / Granule * Granule;
    const ULONGLONG Length = (ULONGLONG)Stride * Framing->Frames; /* <= 8 * 64 MiB */

    AVSCAM_ALLOCATOR* A = (AVSCAM_ALLOCATOR*)calloc(1, sizeof(AVSCAM_ALLOCATOR));
    if (A == NULL) return STATUS_INSUFFICIENT_RESOURCES;
    A->Pin = Pin;
    A->Device = KsPinGetDevice(Pin);
    A->Frames = Framing->Frames;
    A->FrameSize = Framing->FrameSize;
    A->Stride = Stride;
    A->FreeList = (ULONG*)calloc(A->Frames, sizeof(ULONG));
    A->Allocated = (BOOLEAN*)calloc(A->Frames, sizeof(BOOLEAN));
    if (A->FreeList == NULL || A->Allocated == NULL) {
        AvsCamAllocatorDestroy(A);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    PVOID Virtual = NULL;
    NTSTATUS Status = KsimDeviceAllocateCommonBuffer(A->Device, (ULONG)Length, &Virtual, &A->Physical);
    if (!NT_SUCCESS(Status)) {
        AvsCamLog(Pin, KSIM_LOG_ERROR, "avscam_dma: no common buffer of %llu bytes (status 0x%08lx)",
                  (unsigned long long)Length, (unsigned long)(ULONG)Status);
        AvsCamAllocatorDestroy(A);
        return Status;
    }
    A->Base = (PUCHAR)Virtual;
    if (((uintptr_t)A->Base & (PAGE_SIZE - 1u)) != 0) {
        AvsCamLog(Pin, KSIM_LOG_ERROR, "avscam_dma: the common buffer at %p is not page aligned", Virtual);
        AvsCamAllocatorDestroy(A);
        return STATUS_UNSUCCESSFUL;
    }
    if (A->Physical < Caps->PhysicalBase || A->Physical + (LONGLONG)Length - 1 > Caps->PhysicalLimit)
        AvsCamLog(Pin, KSIM_LOG_WARNING,
                  "avscam_dma: the common buffer's physical address 0x%llx is outside "
                  "the device's DMA window 0x%llx..0x%llx",
                  (unsigned long long)A->Physical, (unsigned long long)Caps->PhysicalBase,
                  (unsigned long long)Caps->PhysicalLimit);
    /* Frame 0 on top of the free list, so frames are handed out in address order at first. */
    for (ULONG i = 0; i < A->Frames; ++i) A->FreeList[i] = A->Frames - 1u - i;
    A->FreeCount = A->Frames;
    *Context = A;
    return STATUS_SUCCESS;
}

static PVOID AvsCamAllocate(PVOID Context) {
    AVSCAM_ALLOCATOR* A = (AVSCAM_ALLOCATOR*)Context;
    if (A->FreeCount == 0) return NULL; /* all frames are out */
    const ULONG Index = A->FreeList[--A->FreeCount];
    A->Allocated[Index] = TRUE;
    return A->Base + (size_t)Index * A->Stride;
}

static VOID AvsCamFree(PVOID Context, PVOID Buffer) {
    AVSCAM_ALLOCATOR* A = (AVSCAM_ALLOCATOR*)Context;
    /* Integer arithmetic: Buffer may point anywhere, and pointers into different objects do
     * not compare in C. */
    const uintptr_t Address = (uintptr_t)Buffer;
    const uintptr_t Base = (uintptr_t)A->Base;
    const uintptr_t Offset = Address - Base;
    if (Address < Base || Offset >= (uintptr_t)A->Stride * A->Frames || Offset % A->Stride != 0) {
        AvsCamLog(A->Pin, KSIM_LOG_ERROR,
                  "avscam_dma: Free(%p): not one of its frames (%lu frames of %lu bytes "
                  "at %p)",
                  Buffer, (unsigned long)A->Frames, (unsigned long)A->Stride, (void*)A->Base);
        return;
    }
    const ULONG Index = (ULONG)(Offset / A->Stride);
    if (!A->Allocated[Index]) {
        AvsCamLog(A->Pin, KSIM_LOG_ERROR, "avscam_dma: Free(%p): frame %lu is already free", Buffer,
                  (unsigned long)Index);
        return;
    }
    A->Allocated[Index] = FALSE;
    A->FreeList[A->FreeCount++] = Index;
}

static VOID AvsCamDeleteAllocator(PVOID Context) {
    AVSCAM_ALLOCATOR* A = (AVSCAM_ALLOCATOR*)Context;
    if (A->FreeCount != A->Frames)
        AvsCamLog(A->Pin, KSIM_LOG_WARNING, "avscam_dma: deleted with %lu of %lu frames still allocated",
                  (unsigned long)(A->Frames - A->FreeCount), (unsigned long)A->Frames);
    AvsCamAllocatorDestroy(A);
}

const KSALLOCATOR_DISPATCH AvsCamAllocatorDispatch = {
    .InitializeAllocator = AvsCamInitializeAllocator,
    .DeleteAllocator = AvsCamDeleteAllocator,
    .Allocate = AvsCamAllocate,
    .Free = AvsCamFree,
};
