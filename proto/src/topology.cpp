#include "ksim/proto/topology.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ksim::proto {

const PinDescriptor* FilterDescriptor::find_pin(std::string_view pin_id) const {
    auto it = std::ranges::find(pins, pin_id, &PinDescriptor::id);
    return it == pins.end() ? nullptr : &*it;
}

const FilterDescriptor* Topology::find_filter(std::string_view id) const {
    auto it = std::ranges::find(filters, id, &FilterDescriptor::id);
    return it == filters.end() ? nullptr : &*it;
}

bool is_valid_id(std::string_view id) {
    return !id.empty() && id.find('.') == std::string_view::npos;
}

std::optional<PinRef> parse_pin_ref(std::string_view text) {
    const auto dot = text.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    const auto filter = text.substr(0, dot), pin = text.substr(dot + 1);
    if (!is_valid_id(filter) || !is_valid_id(pin)) return std::nullopt;
    return PinRef{std::string(filter), std::string(pin)};
}

const PinDescriptor* Topology::find_pin(const PinRef& ref) const {
    const FilterDescriptor* f = find_filter(ref.filter);
    return f ? f->find_pin(ref.pin) : nullptr;
}

std::uint32_t image_size(const VideoParams& v) {
    const std::uint64_t w = v.width, h = v.height;
    std::uint64_t bytes = 0;
    switch (v.format) {
        case VideoFormat::Nv12:
            bytes = w * h * 3 / 2;
            break;
        case VideoFormat::Yuy2:
            bytes = w * 2 * h;
            break;
        case VideoFormat::Rgb24:
            bytes = ((w * 3 + 3) & ~std::uint64_t{3}) * h;
            break;  // DIB rows
    }
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(bytes, 0xFFFFFFFFu));
}

std::uint32_t period_size(const AudioParams& a) {
    const std::uint64_t bytes =
        std::uint64_t{a.frames_per_period} * a.channels * ((a.bits_per_sample + 7) / 8);
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(bytes, 0xFFFFFFFFu));
}

std::optional<AllocatorFramingEx> effective_framing(const FilterDescriptor& filter,
                                                    const PinDescriptor& pin) {
    std::optional<AllocatorFramingEx> framing = pin.framing;
    if (!framing && pin.legacy_framing) framing = to_framing_ex(*pin.legacy_framing);
    if (!framing) return std::nullopt;

    // avshws edits its capture pin's framing at pin creation so that it follows the format:
    // physical and framing range Min = Max = the image size. ksim does the same for the
    // output pins of capture filters (stepping 1 instead of the sample's 0; see docs/framing.md).
    std::optional<std::uint32_t> size;
    if (pin.direction == PinDirection::Out) {
        if (filter.kind == FilterKind::VideoCapture && filter.video) size = image_size(*filter.video);
        if (filter.kind == FilterKind::AudioCapture && filter.audio) size = period_size(*filter.audio);
    }
    if (size) {
        for (FramingItem& item : framing->items) {
            item.physical_range = {*size, *size, 1};
            item.framing_range.range = {*size, *size, 1};
        }
    }
    return framing;
}

std::string_view to_string(PinDirection d) {
    return d == PinDirection::In ? "in" : "out";
}
std::string_view to_string(PinHosting h) {
    return h == PinHosting::Kernel ? "kernel" : "user";
}

std::string_view to_string(AllocatorKind k) {
    switch (k) {
        case AllocatorKind::Default:
            return "default";
        case AllocatorKind::Vendor:
            return "vendor";
        case AllocatorKind::User:
            return "user";
    }
    return "?";
}

std::optional<AllocatorKind> parse_allocator_kind(std::string_view name) {
    for (auto k : {AllocatorKind::Default, AllocatorKind::Vendor, AllocatorKind::User})
        if (to_string(k) == name) return k;
    return std::nullopt;
}

namespace {
constexpr FilterKindName kFilterKindNames[] = {
    {"video_capture", FilterKind::VideoCapture},
    {"audio_capture", FilterKind::AudioCapture},
    {"inplace_transform", FilterKind::InPlaceTransform},
    {"copy_transform", FilterKind::CopyTransform},
    {"kernel_sink", FilterKind::KernelSink},
    {"user_source", FilterKind::UserSource},
    {"user_sink", FilterKind::UserSink},
    {"driver", FilterKind::Driver},
};
}  // namespace

std::span<const FilterKindName> filter_kind_names() {
    return kFilterKindNames;
}

std::optional<FilterKind> parse_filter_kind(std::string_view name) {
    for (const FilterKindName& k : kFilterKindNames)
        if (k.name == name) return k.kind;
    return std::nullopt;
}

std::string_view to_string(FilterKind k) {
    for (const FilterKindName& n : kFilterKindNames)
        if (n.kind == k) return n.name;
    return "?";
}

std::string_view to_string(FaultKind k) {
    switch (k) {
        case FaultKind::VendorInitializeFails:
            return "vendor_initialize_fails";
        case FaultKind::PoolExhaustion:
            return "pool_exhaustion";
        case FaultKind::DropInterrupts:
            return "drop_interrupts";
        case FaultKind::DelayInterrupts:
            return "delay_interrupts";
        case FaultKind::StallReleases:
            return "stall_releases";
        case FaultKind::DisconnectClient:
            return "disconnect_client";
    }
    return "?";
}

std::string_view to_string(VideoFormat f) {
    switch (f) {
        case VideoFormat::Nv12:
            return "NV12";
        case VideoFormat::Yuy2:
            return "YUY2";
        case VideoFormat::Rgb24:
            return "RGB24";
    }
    return "?";
}

std::optional<VideoFormat> parse_video_format(std::string_view name) {
    for (auto f : {VideoFormat::Nv12, VideoFormat::Yuy2, VideoFormat::Rgb24})
        if (to_string(f) == name) return f;
    return std::nullopt;
}

std::optional<std::string> in_place_pair_problem(const FilterDescriptor& filter) {
    std::size_t inputs = 0, outputs = 0, declaring = 0;
    for (const PinDescriptor& pin : filter.pins) {
        ++(pin.direction == PinDirection::In ? inputs : outputs);
        if (declares_in_place(pin.framing)) ++declaring;
    }
    if (inputs == 1 && outputs == 1 && declaring == 2) return std::nullopt;
    return fmt::format(
        "filter {} has {} input and {} output pin(s), {} of them declaring INPLACE_MODIFIER in "
        "\"framing\"; an inplace_transform needs one of each, both declaring it",
        filter.id, inputs, outputs, declaring);
}

}  // namespace ksim::proto
