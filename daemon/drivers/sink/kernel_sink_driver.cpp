// The kernel sink (topology kind "kernel_sink") as a built-in driver: one input pin with a
// pin-centric Process that checks each frame it receives and releases it at once. The checks:
// frame numbers strictly increase, data is present, and straight from a video capture pin the
// counter its test pattern draws in the image matches the header's frame number (the pattern
// counts from 0, PictureNumber from 1). A stall_releases fault on the pin is the class driver's
// (kernel_faults.cpp): it holds back the frames this driver releases.
#include <cstddef>
#include <cstdint>
#include <span>

#include "../builtin_drivers.hpp"
#include "../builtin_pin_link.hpp"
#include "ksim/daemon/content.hpp"

namespace ksim::daemon {
namespace {

// The pin's own state (KSPIN.Context): the last frame number seen.
struct SinkPinContext {
    LONGLONG last_picture = -1;
};

NTSTATUS sink_pin_create(PKSPIN pin, PIRP) {
    pin->Context = new SinkPinContext;
    return STATUS_SUCCESS;
}

NTSTATUS sink_pin_close(PKSPIN pin, PIRP) {
    delete static_cast<SinkPinContext*>(pin->Context);
    pin->Context = nullptr;
    return STATUS_SUCCESS;
}

bool frame_ok(const KSSTREAM_POINTER& frame, const SinkPinContext& context, const BuiltinPinLink& link) {
    const KSSTREAM_HEADER& header = *frame.StreamHeader;
    const LONGLONG picture = frame.KsimFrameInfo->PictureNumber;
    if (picture <= context.last_picture || header.DataUsed == 0) return false;
    if (link.upstream == nullptr || !link.upstream->draws_pattern) return true;
    const std::span<const std::byte> image(static_cast<const std::byte*>(header.Data), header.FrameExtent);
    const auto counter = read_frame_counter(image, *link.upstream->draws_pattern);
    return !counter || *counter + 1 == static_cast<std::uint64_t>(picture);
}

NTSTATUS sink_pin_process(PKSPIN pin) {
    auto& context = *static_cast<SinkPinContext*>(pin->Context);
    BuiltinPinLink* link = builtin_link_of(pin);
    PKSSTREAM_POINTER leading = KsPinGetLeadingEdgeStreamPointer(pin, KSSTREAM_POINTER_STATE_LOCKED);
    while (leading != nullptr) {
        if (link && !frame_ok(*leading, context, *link)) ++link->check_failures;
        context.last_picture = leading->KsimFrameInfo->PictureNumber;
        // Past the frame: nothing holds it any more, it completes and goes back to its pool.
        if (KsStreamPointerAdvance(leading) != STATUS_SUCCESS) break;  // off the end: unlocked
    }
    return STATUS_SUCCESS;
}

constexpr KSPIN_DISPATCH kSinkPinDispatch = {sink_pin_create, sink_pin_close, sink_pin_process, nullptr,
                                             nullptr,         nullptr,        nullptr,          nullptr,
                                             nullptr,         nullptr};

// The framing and the format are the config's (a built-in kind's pins are declared there), so
// the descriptor states none.
constexpr KSPIN_DESCRIPTOR_EX kSinkPins[] = {
    {&kSinkPinDispatch,
     nullptr,
     {0, nullptr, 0, nullptr, 0, nullptr, KSPIN_DATAFLOW_IN, KSPIN_COMMUNICATION_BOTH, nullptr, nullptr},
     0,
     0xFFFFFFFFu,  // one instance per input pin the config declares
     0,
     nullptr,
     nullptr,
     "input",
     nullptr},
};

constexpr KSFILTER_DESCRIPTOR kSinkFilter = {nullptr,
                                             nullptr,
                                             KSFILTER_DESCRIPTOR_VERSION,
                                             0,
                                             nullptr,
                                             1,
                                             sizeof(KSPIN_DESCRIPTOR_EX),
                                             kSinkPins,
                                             0,
                                             nullptr,
                                             "KernelSink"};

constexpr const KSFILTER_DESCRIPTOR* kSinkFilters[] = {&kSinkFilter};
constexpr KSDEVICE_DESCRIPTOR kSinkDevice = {nullptr, 1, kSinkFilters, KSDEVICE_DESCRIPTOR_VERSION, 0};

}  // namespace

NTSTATUS kernel_sink_driver_entry(PDRIVER_OBJECT driver, PCUNICODE_STRING registry_path) {
    return KsInitializeDriver(driver, registry_path, &kSinkDevice);
}

}  // namespace ksim::daemon
