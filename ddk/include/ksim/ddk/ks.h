/*
 * ksim driver API, part 1 of 2: the kernel-streaming data types a minidriver declares and reads
 * (status codes, GUIDs, states, framing, data formats, stream headers). Plain C, C ABI, no
 * dependency on anything but <stdint.h> and <stddef.h>: a driver can be written in C or C++
 * and built apart from ksim against the installed headers.
 *
 * Names, field order and numeric values follow the documented Windows kernel-streaming ABI
 * (ks.h, ksmedia.h) so that a driver engineer recognises every piece; where ksim keeps only a
 * subset of a structure or adds a field, the comment says so and docs/minidriver.md lists it
 * under "Deviations". Nothing here is copied from an SDK: it is written from the documented
 * semantics (docs/minidriver.md, "Sources").
 */
#ifndef KSIM_DDK_KS_H
#define KSIM_DDK_KS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this API. KsInitializeDriver passes the value the driver was compiled with;
 * ksimd refuses a driver built against another version (validation rule driver.abi-version).
 * 2: KSPROCESSPIN / KSPROCESSPIN_INDEXENTRY, filter-centric Process, KsFilterAttemptProcessing
 * (a new entry at the end of KSIM_HOST_API). */
#define KSIM_DDK_ABI_VERSION 2u

/* ---- basic types (the Windows names, with their LP64-safe widths) ---------------------- */
typedef void VOID;
typedef void* PVOID;
typedef uint8_t UCHAR;
typedef uint8_t* PUCHAR;
typedef uint8_t BOOLEAN;
typedef uint16_t USHORT;
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef int64_t LONGLONG;
typedef uint64_t ULONGLONG;
typedef int32_t NTSTATUS;
typedef LONGLONG PHYSICAL_ADDRESS; /* LARGE_INTEGER.QuadPart */
#ifndef TRUE
#define TRUE 1
#define FALSE 0
#endif

/* I/O request packets do not exist in ksim: every PIRP argument is NULL (docs/minidriver.md). */
typedef struct _IRP IRP, *PIRP;

/* ---- NTSTATUS: the real values of the codes this API returns or accepts ---------------- */
#define NT_SUCCESS(Status) (((NTSTATUS)(Status)) >= 0)
#define STATUS_SUCCESS ((NTSTATUS)0x00000000L)
#define STATUS_PENDING ((NTSTATUS)0x00000103L)
#define STATUS_NO_MORE_ENTRIES ((NTSTATUS)0x8000001AL)
#define STATUS_UNSUCCESSFUL ((NTSTATUS)0xC0000001L)
#define STATUS_NOT_IMPLEMENTED ((NTSTATUS)0xC0000002L)
#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xC000000DL)
#define STATUS_INVALID_DEVICE_REQUEST ((NTSTATUS)0xC0000010L)
#define STATUS_NO_MEMORY ((NTSTATUS)0xC0000017L)
#define STATUS_BUFFER_TOO_SMALL ((NTSTATUS)0xC0000023L)
#define STATUS_INSUFFICIENT_RESOURCES ((NTSTATUS)0xC000009AL)
#define STATUS_DEVICE_NOT_READY ((NTSTATUS)0xC00000A3L)
#define STATUS_NOT_SUPPORTED ((NTSTATUS)0xC00000BBL)
#define STATUS_CANCELLED ((NTSTATUS)0xC0000120L)
#define STATUS_INVALID_DEVICE_STATE ((NTSTATUS)0xC0000184L)
#define STATUS_NOT_FOUND ((NTSTATUS)0xC0000225L)

/* ---- GUIDs ------------------------------------------------------------------------------ */
typedef struct _GUID {
    ULONG Data1;
    USHORT Data2;
    USHORT Data3;
    UCHAR Data4[8];
} GUID;

/* Initializers, usable in static descriptors: GUID g = STATICGUIDOF_...; */
#define KSIM_GUID_INIT(l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
    {                                                             \
        (l), (w1), (w2), {                                        \
            (b1), (b2), (b3), (b4), (b5), (b6), (b7), (b8)        \
        }                                                         \
    }
#define STATIC_GUID_NULL KSIM_GUID_INIT(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
#define STATIC_KS_TYPE_DONT_CARE STATIC_GUID_NULL
#define STATIC_KSMEMORY_TYPE_DONT_CARE STATIC_GUID_NULL
#define STATIC_KSMEMORY_TYPE_SYSTEM \
    KSIM_GUID_INIT(0x091BB638, 0x603F, 0x11D1, 0xB0, 0x67, 0x00, 0xA0, 0xC9, 0x06, 0x28, 0x02)
#define STATIC_KSMEMORY_TYPE_USER \
    KSIM_GUID_INIT(0x8CB0FC28, 0x7893, 0x11D1, 0xB0, 0x69, 0x00, 0xA0, 0xC9, 0x06, 0x28, 0x02)
#define STATIC_KSMEMORY_TYPE_KERNEL_PAGED \
    KSIM_GUID_INIT(0xD833F8F8, 0x7894, 0x11D1, 0xB0, 0x69, 0x00, 0xA0, 0xC9, 0x06, 0x28, 0x02)
#define STATIC_KSMEMORY_TYPE_KERNEL_NONPAGED \
    KSIM_GUID_INIT(0x4A6D5FC4, 0x7895, 0x11D1, 0xB0, 0x69, 0x00, 0xA0, 0xC9, 0x06, 0x28, 0x02)
#define STATIC_KSMEMORY_TYPE_DEVICE_UNKNOWN \
    KSIM_GUID_INIT(0x091BB639, 0x603F, 0x11D1, 0xB0, 0x67, 0x00, 0xA0, 0xC9, 0x06, 0x28, 0x02)
#define STATIC_KSMEDIUMSETID_Standard \
    KSIM_GUID_INIT(0x4747B320, 0x62CE, 0x11CF, 0xA5, 0xD6, 0x28, 0xDB, 0x04, 0xC1, 0x00, 0x00)
#define STATIC_KSDATAFORMAT_TYPE_VIDEO \
    KSIM_GUID_INIT(0x73646976, 0x0000, 0x0010, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71)
#define STATIC_KSDATAFORMAT_TYPE_AUDIO \
    KSIM_GUID_INIT(0x73647561, 0x0000, 0x0010, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71)
/* Media subtypes of the formats ksim renders: FOURCC-0000-0010-8000-00AA00389B71. */
#define KSIM_STATIC_FOURCC_SUBTYPE(fourcc) \
    KSIM_GUID_INIT((fourcc), 0x0000, 0x0010, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71)
#define KSIM_FOURCC(a, b, c, d) \
    ((ULONG)(UCHAR)(a) | ((ULONG)(UCHAR)(b) << 8) | ((ULONG)(UCHAR)(c) << 16) | ((ULONG)(UCHAR)(d) << 24))
#define KSIM_FOURCC_NV12 KSIM_FOURCC('N', 'V', '1', '2')
#define KSIM_FOURCC_YUY2 KSIM_FOURCC('Y', 'U', 'Y', '2')
#define KSIM_BI_RGB 0u /* RGB24: biCompression BI_RGB, subtype MEDIASUBTYPE_RGB24 */
#define STATIC_KSDATAFORMAT_SUBTYPE_RGB24 \
    KSIM_GUID_INIT(0xE436EB7D, 0x524F, 0x11CE, 0x9F, 0x53, 0x00, 0x20, 0xAF, 0x0B, 0xA7, 0x70)
#define STATIC_KSDATAFORMAT_SUBTYPE_PCM \
    KSIM_GUID_INIT(0x00000001, 0x0000, 0x0010, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71)

/* ---- states and pin properties ---------------------------------------------------------- */
typedef enum { KSSTATE_STOP = 0, KSSTATE_ACQUIRE = 1, KSSTATE_PAUSE = 2, KSSTATE_RUN = 3 } KSSTATE, *PKSSTATE;
typedef enum { KSRESET_BEGIN = 0, KSRESET_END = 1 } KSRESET;
typedef enum { KSPIN_DATAFLOW_IN = 1, KSPIN_DATAFLOW_OUT = 2 } KSPIN_DATAFLOW;
typedef enum {
    KSPIN_COMMUNICATION_NONE = 0,
    KSPIN_COMMUNICATION_SINK = 1,
    KSPIN_COMMUNICATION_SOURCE = 2,
    KSPIN_COMMUNICATION_BOTH = 3,
    KSPIN_COMMUNICATION_BRIDGE = 4
} KSPIN_COMMUNICATION;

/* KSIDENTIFIER, as used for mediums: the Set names the bus (KSMEDIUMSETID_Standard = host bus). */
typedef struct {
    GUID Set;
    ULONG Id;
    ULONG Flags;
} KSIDENTIFIER, KSPIN_MEDIUM, *PKSPIN_MEDIUM;

/* KSPIN_FLAG_* (KSPIN_DESCRIPTOR_EX.Flags). ksim honours the ones docs/minidriver.md lists. */
#define KSPIN_FLAG_DISPATCH_LEVEL_PROCESSING 0x00000001u
#define KSPIN_FLAG_CRITICAL_PROCESSING 0x00000002u
#define KSPIN_FLAG_HYPERCRITICAL_PROCESSING 0x00000004u
#define KSPIN_FLAG_ASYNCHRONOUS_PROCESSING 0x00000008u
#define KSPIN_FLAG_DO_NOT_INITIATE_PROCESSING 0x00000010u
#define KSPIN_FLAG_INITIATE_PROCESSING_ON_EVERY_ARRIVAL 0x00000020u
#define KSPIN_FLAG_FRAMES_NOT_REQUIRED_FOR_PROCESSING 0x00000040u
#define KSPIN_FLAG_ENFORCE_FIFO 0x00000080u
#define KSPIN_FLAG_GENERATE_MAPPINGS 0x00000100u
#define KSPIN_FLAG_DISTINCT_TRAILING_EDGE 0x00000200u
#define KSPIN_FLAG_PROCESS_IN_RUN_STATE_ONLY 0x00010000u
#define KSPIN_FLAG_SPLITTER 0x00020000u
#define KSPIN_FLAG_USE_STANDARD_TRANSPORT 0x00040000u
#define KSPIN_FLAG_DO_NOT_USE_STANDARD_TRANSPORT 0x00080000u
#define KSPIN_FLAG_FIXED_FORMAT 0x00100000u
#define KSPIN_FLAG_GENERATE_EOS_EVENTS 0x00200000u
#define KSPIN_FLAG_RENDERER (KSPIN_FLAG_PROCESS_IN_RUN_STATE_ONLY | KSPIN_FLAG_GENERATE_EOS_EVENTS)
#define KSPIN_FLAG_IMPLEMENT_CLOCK 0x00400000u
#define KSPIN_FLAG_SOME_FRAMES_REQUIRED_FOR_PROCESSING 0x00800000u
#define KSPIN_FLAG_PROCESS_IF_ANY_IN_RUN_STATE 0x01000000u
#define KSPIN_FLAG_DENY_USERMODE_ACCESS 0x80000000u

/* ---- framing (KSALLOCATOR_FRAMING_EX and the legacy KSALLOCATOR_FRAMING) ---------------- */
#define KSALLOCATOR_REQUIREMENTF_INPLACE_MODIFIER 0x00000001u
#define KSALLOCATOR_REQUIREMENTF_SYSTEM_MEMORY 0x00000002u
#define KSALLOCATOR_REQUIREMENTF_FRAME_INTEGRITY 0x00000004u
#define KSALLOCATOR_REQUIREMENTF_MUST_ALLOCATE 0x00000008u
#define KSALLOCATOR_REQUIREMENTF_SYSTEM_MEMORY_CUSTOM_ALLOCATION 0x00000010u
#define KSALLOCATOR_REQUIREMENTF_PREFERENCES_ONLY 0x80000000u
#define KSALLOCATOR_OPTIONF_COMPATIBLE 0x00000001u
#define KSALLOCATOR_OPTIONF_SYSTEM_MEMORY 0x00000002u
#define KSALLOCATOR_OPTIONF_VALID 0x00000003u
#define KSALLOCATOR_FLAG_PARTIAL_READ_SUPPORT 0x00000010u
#define KSALLOCATOR_FLAG_DEVICE_SPECIFIC 0x00000020u
#define KSALLOCATOR_FLAG_CAN_ALLOCATE 0x00000040u
#define KSALLOCATOR_FLAG_INSIST_ON_FRAMESIZE_RATIO 0x00000080u
#define KSALLOCATOR_FLAG_NO_FRAME_INTEGRITY 0x00000100u
#define KSALLOCATOR_FLAG_MULTIPLE_OUTPUT 0x00000200u
#define KSALLOCATOR_FLAG_CYCLE 0x00000400u
#define KSALLOCATOR_FLAG_ALLOCATOR_EXISTS 0x00000800u
#define KSALLOCATOR_FLAG_INDEPENDENT_RANGES 0x00001000u
#define KSALLOCATOR_FLAG_ATTENTION_STEPPING 0x00002000u

/* FileAlignment is a mask: alignment - 1. */
#define FILE_BYTE_ALIGNMENT 0x00000000u
#define FILE_WORD_ALIGNMENT 0x00000001u
#define FILE_LONG_ALIGNMENT 0x00000003u
#define FILE_QUAD_ALIGNMENT 0x00000007u
#define FILE_OCTA_ALIGNMENT 0x0000000Fu
#define FILE_32_BYTE_ALIGNMENT 0x0000001Fu
#define FILE_64_BYTE_ALIGNMENT 0x0000003Fu
#define FILE_128_BYTE_ALIGNMENT 0x0000007Fu
#define FILE_256_BYTE_ALIGNMENT 0x000000FFu
#define FILE_512_BYTE_ALIGNMENT 0x000001FFu
#define PAGE_SIZE 4096u

typedef enum { NonPagedPool = 0, PagedPool = 1 } POOL_TYPE;

typedef struct {
    ULONG MinFrameSize;
    ULONG MaxFrameSize;
    ULONG Stepping;
} KS_FRAMING_RANGE;

typedef struct {
    KS_FRAMING_RANGE Range;
    ULONG InPlaceWeight;    /* documented as unsupported: 0 */
    ULONG NotInPlaceWeight; /* documented as unsupported: 0 */
} KS_FRAMING_RANGE_WEIGHTED;

typedef struct {
    ULONG RatioNumerator;
    ULONG RatioDenominator;
    ULONG RatioConstantMargin;
} KS_COMPRESSION;

typedef struct {
    GUID MemoryType;   /* KSMEMORY_TYPE_*; GUID_NULL = don't care */
    GUID BusType;      /* GUID_NULL = don't care */
    ULONG MemoryFlags; /* KSALLOCATOR_REQUIREMENTF_* describing the memory */
    ULONG BusFlags;    /* unused by KS */
    ULONG Flags;       /* KSALLOCATOR_REQUIREMENTF_* | KSALLOCATOR_FLAG_* */
    ULONG Frames;      /* 0 = no requirement */
    union {
        ULONG FileAlignment; /* a mask */
        LONG FramePitch;
    };
    ULONG MemoryTypeWeight;
    KS_FRAMING_RANGE PhysicalRange;
    KS_FRAMING_RANGE_WEIGHTED FramingRange;
} KS_FRAMING_ITEM, *PKS_FRAMING_ITEM;

typedef struct {
    ULONG CountItems;
    ULONG PinFlags; /* reserved: 0 */
    KS_COMPRESSION OutputCompression;
    ULONG PinWeight;                /* reserved: 0 */
    KS_FRAMING_ITEM FramingItem[1]; /* CountItems items follow */
} KSALLOCATOR_FRAMING_EX, *PKSALLOCATOR_FRAMING_EX;

/* The legacy structure InitializeAllocator receives, filled with the negotiated values. */
typedef struct {
    union {
        ULONG OptionsFlags;      /* as a create request: KSALLOCATOR_OPTIONF_* */
        ULONG RequirementsFlags; /* as a framing query: KSALLOCATOR_REQUIREMENTF_* */
    };
    ULONG PoolType; /* POOL_TYPE */
    ULONG Frames;
    ULONG FrameSize;
    ULONG FileAlignment; /* a mask */
    ULONG Reserved;
} KSALLOCATOR_FRAMING, *PKSALLOCATOR_FRAMING;

/* One framing item, don't-care bus, full physical range, framing range [Min, Max] stepping 1,
 * compression 1/1 + 0, weights 0: the framing most AVStream drivers declare. */
#define DECLARE_SIMPLE_FRAMING_EX(FramingExName, MemoryType, Flags, Frames, Alignment, MinFrameSize, \
                                  MaxFrameSize)                                                      \
    const KSALLOCATOR_FRAMING_EX FramingExName = {1,                                                 \
                                                  0,                                                 \
                                                  {1, 1, 0},                                         \
                                                  0,                                                 \
                                                  {{MemoryType,                                      \
                                                    STATIC_KS_TYPE_DONT_CARE,                        \
                                                    0,                                               \
                                                    0,                                               \
                                                    (Flags),                                         \
                                                    (Frames),                                        \
                                                    {(Alignment)},                                   \
                                                    0,                                               \
                                                    {0, 0xFFFFFFFFu, 1},                             \
                                                    {{(MinFrameSize), (MaxFrameSize), 1}, 0, 0}}}}

/* ---- data formats ------------------------------------------------------------------------ */
typedef struct {
    ULONG FormatSize; /* bytes of the whole format structure */
    ULONG Flags;
    ULONG SampleSize;
    ULONG Reserved;
    GUID MajorFormat; /* KSDATAFORMAT_TYPE_VIDEO / _AUDIO */
    GUID SubFormat;
    GUID Specifier;
} KSDATAFORMAT, *PKSDATAFORMAT, KSDATARANGE, *PKSDATARANGE;

typedef struct {
    LONG left, top, right, bottom;
} KSIM_RECT;

typedef struct {
    ULONG biSize;
    LONG biWidth;
    LONG biHeight;
    USHORT biPlanes;
    USHORT biBitCount;
    ULONG biCompression; /* a FOURCC (NV12, YUY2) or KSIM_BI_RGB */
    ULONG biSizeImage;   /* bytes of one image: what a capture pin's framing follows */
    LONG biXPelsPerMeter;
    LONG biYPelsPerMeter;
    ULONG biClrUsed;
    ULONG biClrImportant;
} KS_BITMAPINFOHEADER;

typedef struct {
    KSIM_RECT rcSource;
    KSIM_RECT rcTarget;
    ULONG dwBitRate;
    ULONG dwBitErrorRate;
    LONGLONG AvgTimePerFrame; /* 100 ns units */
    KS_BITMAPINFOHEADER bmiHeader;
} KS_VIDEOINFOHEADER;

/* A video pin's ConnectionFormat (MajorFormat KSDATAFORMAT_TYPE_VIDEO). */
typedef struct {
    KSDATAFORMAT DataFormat;
    KS_VIDEOINFOHEADER VideoInfoHeader;
} KS_DATAFORMAT_VIDEOINFOHEADER, *PKS_DATAFORMAT_VIDEOINFOHEADER;

typedef struct {
    USHORT wFormatTag; /* 1 = PCM */
    USHORT nChannels;
    ULONG nSamplesPerSec;
    ULONG nAvgBytesPerSec;
    USHORT nBlockAlign;
    USHORT wBitsPerSample;
    USHORT cbSize;
} KSIM_WAVEFORMATEX;

/* An audio pin's ConnectionFormat (MajorFormat KSDATAFORMAT_TYPE_AUDIO). ksim adds the frames
 * of one period (one KS frame), which a real driver derives from its buffering. */
typedef struct {
    KSDATAFORMAT DataFormat;
    KSIM_WAVEFORMATEX WaveFormatEx;
    ULONG KsimFramesPerPeriod;
} KSDATAFORMAT_WAVEFORMATEX, *PKSDATAFORMAT_WAVEFORMATEX;

/* ---- stream headers and mappings --------------------------------------------------------- */
typedef struct {
    LONGLONG Time; /* 100 ns units */
    ULONG Numerator;
    ULONG Denominator;
} KSTIME;

#define KSSTREAM_HEADER_OPTIONSF_SPLICEPOINT 0x00000001u
#define KSSTREAM_HEADER_OPTIONSF_PREROLL 0x00000002u
#define KSSTREAM_HEADER_OPTIONSF_DATADISCONTINUITY 0x00000004u
#define KSSTREAM_HEADER_OPTIONSF_TYPECHANGED 0x00000008u
#define KSSTREAM_HEADER_OPTIONSF_TIMEVALID 0x00000010u
#define KSSTREAM_HEADER_OPTIONSF_TIMEDISCONTINUITY 0x00000040u
#define KSSTREAM_HEADER_OPTIONSF_FLUSHONPAUSE 0x00000080u
#define KSSTREAM_HEADER_OPTIONSF_DURATIONVALID 0x00000100u
#define KSSTREAM_HEADER_OPTIONSF_ENDOFSTREAM 0x00000200u
#define KSSTREAM_HEADER_OPTIONSF_FRAMEINFO 0x00004000u

/* KSSTREAM_HEADER: what the driver fills for each frame it completes. ksimd copies
 * PresentationTime, Duration, DataUsed and OptionsFlags into the frame's header when the frame
 * completes; Data and FrameExtent are ksimd's (the frame's address and size). */
typedef struct {
    ULONG Size;
    ULONG TypeSpecificFlags;
    KSTIME PresentationTime;
    LONGLONG Duration;
    ULONG FrameExtent;
    ULONG DataUsed;
    PVOID Data;
    ULONG OptionsFlags;
    ULONG Reserved;
} KSSTREAM_HEADER, *PKSSTREAM_HEADER;

/* KS_FRAME_INFO fields a video driver reports (ksim keeps them beside the header). */
typedef struct {
    LONGLONG PictureNumber;
    LONGLONG DropCount;
} KSIM_FRAME_INFO;

/* One scatter/gather entry of a frame (GENERATE_MAPPINGS pins). The physical address is a
 * simulated one, inside the device's DMA window. */
typedef struct {
    PHYSICAL_ADDRESS PhysicalAddress;
    ULONG ByteCount;
    ULONG Alignment;
} KSMAPPING, *PKSMAPPING;

typedef struct {
    union {
        PUCHAR Data;
        PKSMAPPING Mappings;
    };
    ULONG Count;     /* bytes, or mappings with KSPIN_FLAG_GENERATE_MAPPINGS */
    ULONG Remaining; /* bytes, or mappings with KSPIN_FLAG_GENERATE_MAPPINGS */
} KSSTREAM_POINTER_OFFSET, *PKSSTREAM_POINTER_OFFSET;

typedef enum {
    KSSTREAM_POINTER_STATE_UNLOCKED = 0,
    KSSTREAM_POINTER_STATE_LOCKED = 1
} KSSTREAM_POINTER_STATE;

#ifdef __cplusplus
}
#endif

#endif /* KSIM_DDK_KS_H */
