#include "descriptor_convert.hpp"

#include <fmt/format.h>

#include <cstring>
#include <set>

#include "ksim/proto/memory_types.hpp"

namespace ksim::ddk_host {
namespace {

constexpr ULONG kMaxFramingItems = 16;

GUID fourcc_subtype(ULONG fourcc) {
    return GUID KSIM_STATIC_FOURCC_SUBTYPE(fourcc);
}

template <typename T>
std::vector<std::byte> bytes_of(const T& value) {
    std::vector<std::byte> out(sizeof(T));
    std::memcpy(out.data(), &value, sizeof(T));
    return out;
}

}  // namespace

proto::Guid to_guid(const GUID& g) {
    proto::Guid out;
    out.data1 = g.Data1;
    out.data2 = g.Data2;
    out.data3 = g.Data3;
    for (int i = 0; i < 8; ++i) out.data4[i] = g.Data4[i];
    return out;
}

std::optional<DescriptorProblem> check_filter_descriptor(const KSFILTER_DESCRIPTOR& f, unsigned max_pins) {
    if (f.PinDescriptorsCount == 0 || f.PinDescriptors == nullptr || f.PinDescriptorsCount > max_pins)
        return DescriptorProblem{"driver.descriptor-invalid",
                                 fmt::format("it lists {} pin descriptors{}", f.PinDescriptorsCount,
                                             f.PinDescriptors ? "" : " but no array"),
                                 fmt::format("1 to {} pin descriptors", max_pins)};
    if (f.PinDescriptorSize != sizeof(KSPIN_DESCRIPTOR_EX))
        return DescriptorProblem{
            "driver.descriptor-size",
            fmt::format("PinDescriptorSize is {}, this ksim's KSPIN_DESCRIPTOR_EX has {} bytes",
                        f.PinDescriptorSize, sizeof(KSPIN_DESCRIPTOR_EX)),
            "PinDescriptorSize = sizeof(KSPIN_DESCRIPTOR_EX), built against these headers"};
    std::set<std::string> names;
    for (ULONG i = 0; i < f.PinDescriptorsCount; ++i) {
        const KSPIN_DESCRIPTOR_EX& p = f.PinDescriptors[i];
        const std::string which = fmt::format("pin descriptor {}", i);
        if (p.KsimName == nullptr || *p.KsimName == '\0' || std::strchr(p.KsimName, '.') != nullptr)
            return DescriptorProblem{"driver.pin-name",
                                     fmt::format("{} has no KsimName, or one with '.'", which),
                                     "KsimName = \"capture\": the pin's id in configs (FILTER.PIN)"};
        if (!names.insert(p.KsimName).second)
            return DescriptorProblem{"driver.pin-name",
                                     fmt::format("two pin descriptors are named \"{}\"", p.KsimName),
                                     "unique KsimName per filter"};
        if (p.PinDescriptor.DataFlow != KSPIN_DATAFLOW_OUT && p.PinDescriptor.DataFlow != KSPIN_DATAFLOW_IN)
            return DescriptorProblem{"driver.pin-dataflow",
                                     fmt::format("pin \"{}\" has DataFlow {}", p.KsimName,
                                                 static_cast<int>(p.PinDescriptor.DataFlow)),
                                     "KSPIN_DATAFLOW_IN or KSPIN_DATAFLOW_OUT"};
        if (p.InstancesPossible == 0)
            return DescriptorProblem{"driver.pin-instances",
                                     fmt::format("pin \"{}\" allows 0 instances", p.KsimName),
                                     "InstancesPossible >= 1 (ksim creates one instance per pin descriptor)"};
        if (f.Dispatch != nullptr && f.Dispatch->Process != nullptr && p.Dispatch != nullptr &&
            p.Dispatch->Process != nullptr)
            return DescriptorProblem{
                "driver.process-conflict",
                fmt::format(
                    "the filter sets KSFILTER_DISPATCH.Process and pin \"{}\" sets KSPIN_DISPATCH.Process",
                    p.KsimName),
                "a filter is filter-centric or pin-centric: set the pins' Process to NULL, or the filter's"};
        if (p.Dispatch != nullptr && p.Dispatch->Clock != nullptr)
            return DescriptorProblem{"driver.clock-unsupported",
                                     fmt::format("pin \"{}\" sets KSPIN_DISPATCH.Clock", p.KsimName),
                                     "ksim provides no clock objects yet: leave Clock NULL"};
        if (const KSALLOCATOR_DISPATCH* a = p.Dispatch ? p.Dispatch->Allocator : nullptr;
            a != nullptr && (!a->InitializeAllocator || !a->DeleteAllocator || !a->Allocate || !a->Free))
            return DescriptorProblem{
                "driver.allocator-incomplete",
                fmt::format("pin \"{}\"'s KSALLOCATOR_DISPATCH lacks a routine", p.KsimName),
                "InitializeAllocator, DeleteAllocator, Allocate and Free are all required"};
    }
    return std::nullopt;
}

std::optional<std::vector<std::byte>> connection_format(const proto::FilterDescriptor& filter) {
    return connection_format(proto::DataFormat{filter.video, filter.audio});
}

std::optional<std::vector<std::byte>> connection_format(const proto::DataFormat& format) {
    if (format.video) {
        const proto::VideoParams& v = *format.video;
        KS_DATAFORMAT_VIDEOINFOHEADER f{};
        f.DataFormat.FormatSize = sizeof(f);
        f.DataFormat.SampleSize = proto::image_size(v);
        f.DataFormat.MajorFormat = GUID STATIC_KSDATAFORMAT_TYPE_VIDEO;
        // FORMAT_VideoInfo: the specifier of a VIDEOINFOHEADER format.
        f.DataFormat.Specifier =
            GUID KSIM_GUID_INIT(0x05589F80, 0xC356, 0x11CE, 0xBF, 0x01, 0x00, 0xAA, 0x00, 0x55, 0x59, 0x5A);
        KS_BITMAPINFOHEADER& b = f.VideoInfoHeader.bmiHeader;
        b.biSize = sizeof(b);
        b.biWidth = static_cast<LONG>(v.width);
        b.biHeight = static_cast<LONG>(v.height);
        b.biPlanes = 1;
        b.biSizeImage = proto::image_size(v);
        switch (v.format) {
            case proto::VideoFormat::Nv12:
                f.DataFormat.SubFormat = fourcc_subtype(KSIM_FOURCC_NV12);
                b.biCompression = KSIM_FOURCC_NV12;
                b.biBitCount = 12;
                break;
            case proto::VideoFormat::Yuy2:
                f.DataFormat.SubFormat = fourcc_subtype(KSIM_FOURCC_YUY2);
                b.biCompression = KSIM_FOURCC_YUY2;
                b.biBitCount = 16;
                break;
            case proto::VideoFormat::Rgb24:
                f.DataFormat.SubFormat = GUID STATIC_KSDATAFORMAT_SUBTYPE_RGB24;
                b.biCompression = KSIM_BI_RGB;
                b.biBitCount = 24;
                break;
        }
        f.VideoInfoHeader.rcSource = f.VideoInfoHeader.rcTarget = {0, 0, b.biWidth, b.biHeight};
        f.VideoInfoHeader.AvgTimePerFrame =
            static_cast<LONGLONG>(10'000'000ull * v.fps_denominator / std::max(1u, v.fps_numerator));
        f.VideoInfoHeader.dwBitRate = static_cast<ULONG>(std::min<std::uint64_t>(
            0xFFFFFFFFu,
            std::uint64_t{b.biSizeImage} * 8 * v.fps_numerator / std::max(1u, v.fps_denominator)));
        return bytes_of(f);
    }
    if (format.audio) {
        const proto::AudioParams& a = *format.audio;
        KSDATAFORMAT_WAVEFORMATEX f{};
        f.DataFormat.FormatSize = sizeof(f);
        f.DataFormat.SampleSize = a.channels * a.bits_per_sample / 8;
        f.DataFormat.MajorFormat = GUID STATIC_KSDATAFORMAT_TYPE_AUDIO;
        f.DataFormat.SubFormat = GUID STATIC_KSDATAFORMAT_SUBTYPE_PCM;
        // KSDATAFORMAT_SPECIFIER_WAVEFORMATEX.
        f.DataFormat.Specifier =
            GUID KSIM_GUID_INIT(0x05589F81, 0xC356, 0x11CE, 0xBF, 0x01, 0x00, 0xAA, 0x00, 0x55, 0x59, 0x5A);
        f.WaveFormatEx.wFormatTag = 1;
        f.WaveFormatEx.nChannels = static_cast<USHORT>(a.channels);
        f.WaveFormatEx.nSamplesPerSec = a.sample_rate;
        f.WaveFormatEx.wBitsPerSample = static_cast<USHORT>(a.bits_per_sample);
        f.WaveFormatEx.nBlockAlign = static_cast<USHORT>(a.channels * a.bits_per_sample / 8);
        f.WaveFormatEx.nAvgBytesPerSec = a.sample_rate * f.WaveFormatEx.nBlockAlign;
        f.KsimFramesPerPeriod = a.frames_per_period;
        return bytes_of(f);
    }
    return std::nullopt;
}

std::expected<proto::AllocatorFramingEx, DescriptorProblem> to_framing(const KSALLOCATOR_FRAMING_EX& f) {
    if (f.CountItems == 0 || f.CountItems > kMaxFramingItems)
        return std::unexpected(DescriptorProblem{
            "driver.framing-invalid", fmt::format("its AllocatorFraming has CountItems {}", f.CountItems),
            fmt::format("1 to {} framing items (DECLARE_SIMPLE_FRAMING_EX declares 1)", kMaxFramingItems)});
    proto::AllocatorFramingEx out;
    out.pin_flags = f.PinFlags;
    out.output_compression = {f.OutputCompression.RatioNumerator, f.OutputCompression.RatioDenominator,
                              f.OutputCompression.RatioConstantMargin};
    out.pin_weight = f.PinWeight;
    for (ULONG i = 0; i < f.CountItems; ++i) {
        // Items past the first live after the structure (an edited, larger copy; KsEditSized).
        const KS_FRAMING_ITEM& it = f.FramingItem[i];
        proto::FramingItem item;
        item.memory_type = to_guid(it.MemoryType);
        item.bus_type = to_guid(it.BusType);
        item.memory_flags = static_cast<proto::RequirementFlags>(it.MemoryFlags);
        item.bus_flags = it.BusFlags;
        proto::FramingItem::split_raw_flags(it.Flags, item.requirement_flags, item.pipe_flags);
        item.frames = it.Frames;
        item.file_alignment = it.FileAlignment;
        item.memory_type_weight = it.MemoryTypeWeight;
        item.physical_range = {it.PhysicalRange.MinFrameSize, it.PhysicalRange.MaxFrameSize,
                               it.PhysicalRange.Stepping};
        item.framing_range.range = {it.FramingRange.Range.MinFrameSize, it.FramingRange.Range.MaxFrameSize,
                                    it.FramingRange.Range.Stepping};
        item.framing_range.in_place_weight = it.FramingRange.InPlaceWeight;
        item.framing_range.not_in_place_weight = it.FramingRange.NotInPlaceWeight;
        out.items.push_back(item);
    }
    return out;
}

std::expected<proto::PinDescriptor, DescriptorProblem> to_pin_descriptor(const PinInstance& pin,
                                                                         const proto::PinDescriptor* listed) {
    const KSPIN_DESCRIPTOR_EX& d = *pin.ks.Descriptor;
    proto::PinDescriptor out;
    out.id = pin.id;
    out.direction =
        d.PinDescriptor.DataFlow == KSPIN_DATAFLOW_OUT ? proto::PinDirection::Out : proto::PinDirection::In;
    out.hosting = proto::PinHosting::Kernel;
    if (d.PinDescriptor.MediumsCount > 0 && d.PinDescriptor.Mediums != nullptr)
        out.medium = to_guid(d.PinDescriptor.Mediums[0].Set);
    if (d.AllocatorFraming != nullptr) {
        auto framing = to_framing(*d.AllocatorFraming);
        if (!framing) return std::unexpected(framing.error());
        out.framing = std::move(*framing);
    }
    if (pin.allocator() != nullptr) {
        if (listed != nullptr && listed->allocator) {
            out.allocator = listed->allocator;
        } else if (const KSIM_ALLOCATOR_CAPABILITIES* c = d.KsimAllocatorCapabilities) {
            proto::VendorAllocatorCaps caps;
            caps.name = c->Name != nullptr ? std::string(c->Name) : pin.id + "_allocator";
            caps.mode = proto::AllocatorMode::Kernel;
            caps.memory_type = to_guid(c->MemoryType);
            caps.min_frame_size = c->MinFrameSize;
            caps.max_frame_size = c->MaxFrameSize;
            caps.max_frames = c->MaxFrames;
            caps.alignment_mask = c->AlignmentMask;
            caps.contiguous = c->Contiguous != 0;
            caps.scatter_gather = c->ScatterGather != 0;
            caps.max_sg_entries = c->MaxMappings;
            caps.max_segment_bytes = c->MaxMappingBytes;
            caps.physical_base = static_cast<std::uint64_t>(c->PhysicalBase);
            caps.physical_limit = static_cast<std::uint64_t>(c->PhysicalLimit);
            caps.boundary = c->Boundary;
            if (caps.min_frame_size > caps.max_frame_size || caps.physical_base > caps.physical_limit)
                return std::unexpected(DescriptorProblem{
                    "driver.allocator-capabilities",
                    fmt::format("KsimAllocatorCapabilities \"{}\" has MinFrameSize > MaxFrameSize or "
                                "PhysicalBase > PhysicalLimit",
                                caps.name),
                    "MinFrameSize <= MaxFrameSize and PhysicalBase <= PhysicalLimit"});
            out.allocator = std::move(caps);
        } else {
            return std::unexpected(DescriptorProblem{
                "driver.allocator-capabilities-missing",
                "its KSPIN_DISPATCH.Allocator is set but no capabilities are declared for negotiation",
                "set KsimAllocatorCapabilities in the pin descriptor, or an \"allocator\" for the pin in the "
                "config's \"pins\""});
        }
    }
    return out;
}

}  // namespace ksim::ddk_host
