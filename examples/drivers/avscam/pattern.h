/*
 * The picture avscam's simulated sensor takes: a pattern simple enough that a test can check
 * every byte of a captured frame from the frame's PictureNumber alone.
 *
 * Let n be the picture number (KSIM_FRAME_INFO.PictureNumber of the frame: 1 for the first
 * picture after the pin left ACQUIRE for PAUSE; skipped pictures use up their numbers too),
 * W x H the size, and y a picture row counted from the top (0 .. H-1). Every row has one level
 *
 *     L(n, y) = 16 + ((y + 2 * n) mod 220)          (16..235: BT.601 limited-range luma)
 *
 * so the picture is grey horizontal bands that scroll up by two rows per picture. Per format:
 *   - NV12  (W, H even): the Y plane (W x H bytes, stride W) has Y[y][x] = L(n, y); the
 *           interleaved UV plane that follows (W x H/2 bytes) is all 128.
 *   - YUY2  (W even): row y is W/2 groups Y0 U Y1 V (stride 2W) with Y0 = Y1 = L(n, y) and
 *           U = V = 128.
 *   - RGB24 (a bottom-up DIB, B G R, stride (3W + 3) & ~3): picture row y is stored at memory
 *           row H-1-y; its 3W colour bytes are L(n, y), its padding bytes are 0.
 * Then, for every format, the first 8 bytes of the frame (memory offset 0; the top-left luma
 * samples for NV12/YUY2, the bottom-left pixels for RGB24) are overwritten with n as a 64-bit
 * little-endian number — the "header region" a checker reads first. Bytes from the pattern's
 * size (W*H*3/2, 2*W*H, stride*H) up to biSizeImage are 0.
 */
#ifndef AVSCAM_PATTERN_H
#define AVSCAM_PATTERN_H

#include "avscam.h"

/* Bytes of the frame header (n, little-endian) at offset 0. */
#define AVSCAM_PATTERN_HEADER_BYTES 8u

/* L(n, y) above. */
static inline UCHAR AvsCamPatternLevel(ULONGLONG PictureNumber, ULONG Row) {
    return (UCHAR)(16u + (ULONG)(((ULONGLONG)Row + 2u * PictureNumber) % 220u));
}

/* Writes picture PictureNumber in Format into Frame (Format->ImageSize bytes). */
VOID AvsCamRenderPattern(PUCHAR Frame, const AVSCAM_VIDEO_FORMAT* Format, ULONGLONG PictureNumber);

#endif /* AVSCAM_PATTERN_H */
