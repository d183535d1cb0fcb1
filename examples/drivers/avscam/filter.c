/*
 * The filter descriptor: one capture filter ("AvsCamera" in topology configs) with one capture
 * pin factory ("capture"), as avshws's filter. The pin is pin-centric (KSPIN_DISPATCH.Process),
 * so the filter needs no dispatch routines of its own.
 */
#include "avscam.h"

/* Public KS category and pin-name GUIDs (ksmedia.h values; the ksim headers do not carry them). */
#define STATIC_AVSCAM_KSCATEGORY_CAPTURE \
    KSIM_GUID_INIT(0x65E8773D, 0x8F56, 0x11D0, 0xA3, 0xB9, 0x00, 0xA0, 0xC9, 0x22, 0x31, 0x96)
#define STATIC_AVSCAM_KSCATEGORY_VIDEO \
    KSIM_GUID_INIT(0x6994AD05, 0x93EF, 0x11D0, 0xA3, 0xCC, 0x00, 0xA0, 0xC9, 0x22, 0x31, 0x96)
/* PIN_CATEGORY_CAPTURE and PINNAME_VIDEO_CAPTURE are the same GUID. */
static const GUID AvsCamPinNameVideoCapture =
    KSIM_GUID_INIT(0xFB6C4281, 0x0353, 0x11D1, 0x90, 0x5F, 0x00, 0x00, 0xC0, 0xCC, 0x16, 0xBA);

/* The subtypes the pin can produce. A Windows driver declares KS_DATARANGE_VIDEO ranges and
 * intersects them with the client's request; ksim takes the format from the topology config
 * (it arrives as ConnectionFormat at Create) and ignores ranges, so the KSDATARANGE header is
 * enough to document what the pin's Create accepts. */
static const KSDATARANGE AvsCamRangeNv12 = {
    .FormatSize = sizeof(KSDATARANGE),
    .MajorFormat = STATIC_KSDATAFORMAT_TYPE_VIDEO,
    .SubFormat = KSIM_STATIC_FOURCC_SUBTYPE(KSIM_FOURCC_NV12),
};
static const KSDATARANGE AvsCamRangeYuy2 = {
    .FormatSize = sizeof(KSDATARANGE),
    .MajorFormat = STATIC_KSDATAFORMAT_TYPE_VIDEO,
    .SubFormat = KSIM_STATIC_FOURCC_SUBTYPE(KSIM_FOURCC_YUY2),
};
static const KSDATARANGE AvsCamRangeRgb24 = {
    .FormatSize = sizeof(KSDATARANGE),
    .MajorFormat = STATIC_KSDATAFORMAT_TYPE_VIDEO,
    .SubFormat = STATIC_KSDATAFORMAT_SUBTYPE_RGB24,
};
/* PKSDATARANGE is not a pointer to const: the casts are the same as in a Windows driver. */
static const PKSDATARANGE AvsCamCaptureRanges[] = {
    (PKSDATARANGE)&AvsCamRangeNv12,
    (PKSDATARANGE)&AvsCamRangeYuy2,
    (PKSDATARANGE)&AvsCamRangeRgb24,
};

static const KSPIN_DESCRIPTOR_EX AvsCamPinDescriptors[] = {
    {
        .Dispatch = &AvsCamCapturePinDispatch,
        .AutomationTable = NULL,
        .PinDescriptor =
            {
                .InterfacesCount = 0,
                .Interfaces = NULL,
                .MediumsCount = 0, /* the standard medium: host bus, memory type decides */
                .Mediums = NULL,
                .DataRangesCount = sizeof(AvsCamCaptureRanges) / sizeof(AvsCamCaptureRanges[0]),
                .DataRanges = AvsCamCaptureRanges,
                .DataFlow = KSPIN_DATAFLOW_OUT,
                .Communication = KSPIN_COMMUNICATION_BOTH,
                .Category = &AvsCamPinNameVideoCapture,
                .Name = &AvsCamPinNameVideoCapture,
            },
        /* Process only in RUN: a capture pin has nothing to do with buffers before then. */
        .Flags = KSPIN_FLAG_PROCESS_IN_RUN_STATE_ONLY,
        .InstancesPossible = 1,
        .InstancesNecessary = 1,
        .AllocatorFraming = &AvsCamCapturePinAllocatorFraming, /* edited per pin at Create */
        .IntersectHandler = NULL,
        .KsimName = "capture",
        .KsimAllocatorCapabilities = &AvsCamAllocatorCapabilities,
    },
};

static const KSFILTER_DISPATCH AvsCamFilterDispatch = {
    .Create = NULL,
    .Close = NULL,
    .Process = NULL, /* pin-centric: ksim does not host filter-centric Process yet */
    .Reset = NULL,
};

static const GUID AvsCamFilterCategories[] = {STATIC_AVSCAM_KSCATEGORY_CAPTURE,
                                              STATIC_AVSCAM_KSCATEGORY_VIDEO};

const KSFILTER_DESCRIPTOR AvsCamFilterDescriptor = {
    .Dispatch = &AvsCamFilterDispatch,
    .AutomationTable = NULL,
    .Version = KSFILTER_DESCRIPTOR_VERSION,
    .Flags = 0,
    .ReferenceGuid = NULL,
    .PinDescriptorsCount = sizeof(AvsCamPinDescriptors) / sizeof(AvsCamPinDescriptors[0]),
    .PinDescriptorSize = sizeof(KSPIN_DESCRIPTOR_EX),
    .PinDescriptors = AvsCamPinDescriptors,
    .CategoriesCount = sizeof(AvsCamFilterCategories) / sizeof(AvsCamFilterCategories[0]),
    .Categories = AvsCamFilterCategories,
    .KsimName = "AvsCamera",
};
