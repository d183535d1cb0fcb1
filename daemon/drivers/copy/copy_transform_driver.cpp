// The copy transform (topology kind "copy_transform") as a built-in driver: an input and an
// output pin, each in its own pipe, and a filter-centric Process. When both pins have a frame at
// their leading edge, it scales and converts the input frame (the format of its pin's
// ConnectionFormat: what the upstream pin sends) into the output frame (its pin's
// ConnectionFormat: the filter's "video"), sets the output's DataUsed and the frame's times and
// numbers, and lets both frames go. An input frame that finds no output frame waits in the input
// pin's queue until the output pipe frees one (docs/minidriver.md, "Built-in drivers").
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <optional>
#include <span>

#include "../builtin_drivers.hpp"
#include "../video_picture.hpp"
#include "ksim/daemon/transforms.hpp"

namespace ksim::daemon {
namespace {

enum : ULONG { kInput = 0, kOutput = 1 };  // the pin descriptors, as the process pin index lists them

// Each pin's KSPIN.Context: its picture, decoded once at Create (formats do not change).
struct CopyPinContext {
    std::optional<proto::VideoParams> video;
};

NTSTATUS copy_pin_create(PKSPIN pin, PIRP) {
    // Without a picture (a format other than NV12, YUY2 or RGB24, which no upstream declares) the
    // frame's bytes are copied as they are.
    pin->Context = new CopyPinContext{video_picture_of(pin->ConnectionFormat)};
    return STATUS_SUCCESS;
}

NTSTATUS copy_pin_close(PKSPIN pin, PIRP) {
    delete static_cast<CopyPinContext*>(pin->Context);
    pin->Context = nullptr;
    return STATUS_SUCCESS;
}

const std::optional<proto::VideoParams>& video_of(const KSPROCESSPIN& pp) {
    return static_cast<const CopyPinContext*>(pp.Pin->Context)->video;
}

NTSTATUS copy_process(PKSFILTER, PKSPROCESSPIN_INDEXENTRY index) {
    // A config may give a copy transform one side only: nothing to copy then.
    if (index[kInput].Count == 0 || index[kOutput].Count == 0) return STATUS_SUCCESS;
    KSPROCESSPIN& in = *index[kInput].Pins[0];
    KSPROCESSPIN& out = *index[kOutput].Pins[0];
    if (in.StreamPointer == nullptr || out.StreamPointer == nullptr) return STATUS_SUCCESS;
    const std::span<const std::byte> from(static_cast<const std::byte*>(in.Data), in.BytesAvailable);
    const std::span<std::byte> to(static_cast<std::byte*>(out.Data), out.BytesAvailable);
    std::uint32_t written = 0;
    if (video_of(in) && video_of(out)) written = scale_video(from, *video_of(in), to, *video_of(out));
    if (written == 0) {  // no pictures to scale, or buffers too small for them: the bytes as they are
        written = static_cast<std::uint32_t>(std::min(from.size(), to.size()));
        if (written > 0) std::memcpy(to.data(), from.data(), written);
    }
    // The output frame is the input frame's picture: its times, flags and numbers go with it.
    const KSSTREAM_HEADER& ih = *in.StreamPointer->StreamHeader;
    KSSTREAM_HEADER& oh = *out.StreamPointer->StreamHeader;
    oh.PresentationTime = ih.PresentationTime;
    oh.Duration = ih.Duration;
    oh.OptionsFlags = ih.OptionsFlags;
    oh.TypeSpecificFlags = ih.TypeSpecificFlags;
    *out.StreamPointer->KsimFrameInfo = *in.StreamPointer->KsimFrameInfo;
    // Both frames are done (an empty input frame as well): the input goes back to its pool, the
    // output, DataUsed = written, downstream.
    in.BytesUsed = in.BytesAvailable;
    in.Terminate = TRUE;
    out.BytesUsed = written;
    out.Terminate = TRUE;
    return STATUS_SUCCESS;
}

constexpr KSPIN_DISPATCH kCopyPinDispatch = {copy_pin_create, copy_pin_close, nullptr, nullptr, nullptr,
                                             nullptr,         nullptr,        nullptr, nullptr, nullptr};

// The framing and the output format are the config's, so the descriptors state none. Neither
// pin processes in RUN only: the class driver's copy ran in PAUSE as well.
constexpr KSPIN_DESCRIPTOR_EX kCopyPins[] = {
    {&kCopyPinDispatch,
     nullptr,
     {0, nullptr, 0, nullptr, 0, nullptr, KSPIN_DATAFLOW_IN, KSPIN_COMMUNICATION_BOTH, nullptr, nullptr},
     0,
     1,
     0,
     nullptr,
     nullptr,
     "input",
     nullptr},
    {&kCopyPinDispatch,
     nullptr,
     {0, nullptr, 0, nullptr, 0, nullptr, KSPIN_DATAFLOW_OUT, KSPIN_COMMUNICATION_BOTH, nullptr, nullptr},
     0,
     1,
     0,
     nullptr,
     nullptr,
     "output",
     nullptr},
};

constexpr KSFILTER_DISPATCH kCopyFilterDispatch = {nullptr, nullptr, copy_process, nullptr};

constexpr KSFILTER_DESCRIPTOR kCopyFilter = {&kCopyFilterDispatch,
                                             nullptr,
                                             KSFILTER_DESCRIPTOR_VERSION,
                                             0,
                                             nullptr,
                                             2,
                                             sizeof(KSPIN_DESCRIPTOR_EX),
                                             kCopyPins,
                                             0,
                                             nullptr,
                                             "CopyTransform"};

constexpr const KSFILTER_DESCRIPTOR* kCopyFilters[] = {&kCopyFilter};
constexpr KSDEVICE_DESCRIPTOR kCopyDevice = {nullptr, 1, kCopyFilters, KSDEVICE_DESCRIPTOR_VERSION, 0};

}  // namespace

NTSTATUS copy_transform_driver_entry(PDRIVER_OBJECT driver, PCUNICODE_STRING registry_path) {
    return KsInitializeDriver(driver, registry_path, &kCopyDevice);
}

}  // namespace ksim::daemon
