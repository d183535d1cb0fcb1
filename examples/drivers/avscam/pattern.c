/* The sensor's picture (pattern.h has the formula). Row-wise memset: a 1080p NV12 frame is a
 * few microseconds of work, so the "DMA" never slows the timer callback down. */
#include "pattern.h"

#include <string.h>

static VOID RenderNv12(PUCHAR Frame, const AVSCAM_VIDEO_FORMAT* F, ULONGLONG N) {
    for (ULONG y = 0; y < F->Height; ++y)
        memset(Frame + (size_t)y * F->Stride, AvsCamPatternLevel(N, y), F->Width);
    memset(Frame + (size_t)F->Stride * F->Height, 128, (size_t)F->Width * F->Height / 2u);
}

static VOID RenderYuy2(PUCHAR Frame, const AVSCAM_VIDEO_FORMAT* F, ULONGLONG N) {
    for (ULONG y = 0; y < F->Height; ++y) {
        PUCHAR Row = Frame + (size_t)y * F->Stride;
        const UCHAR Level = AvsCamPatternLevel(N, y);
        for (ULONG x = 0; x < F->Width * 2u; x += 2u) {
            Row[x] = Level;
            Row[x + 1u] = 128;
        }
    }
}

static VOID RenderRgb24(PUCHAR Frame, const AVSCAM_VIDEO_FORMAT* F, ULONGLONG N) {
    const ULONG ColourBytes = F->Width * 3u;
    for (ULONG y = 0; y < F->Height; ++y) {
        PUCHAR Row = Frame + (size_t)(F->Height - 1u - y) * F->Stride; /* bottom-up */
        memset(Row, AvsCamPatternLevel(N, y), ColourBytes);
        memset(Row + ColourBytes, 0, F->Stride - ColourBytes);
    }
}

VOID AvsCamRenderPattern(PUCHAR Frame, const AVSCAM_VIDEO_FORMAT* Format, ULONGLONG PictureNumber) {
    switch (Format->FourCC) {
        case KSIM_FOURCC_NV12:
            RenderNv12(Frame, Format, PictureNumber);
            break;
        case KSIM_FOURCC_YUY2:
            RenderYuy2(Frame, Format, PictureNumber);
            break;
        case KSIM_BI_RGB:
            RenderRgb24(Frame, Format, PictureNumber);
            break;
    }
    memset(Frame + Format->PatternSize, 0, Format->ImageSize - Format->PatternSize);
    for (ULONG i = 0; i < AVSCAM_PATTERN_HEADER_BYTES; ++i) Frame[i] = (UCHAR)(PictureNumber >> (8u * i));
}
