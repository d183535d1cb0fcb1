// The in-place transform (topology kind "inplace_transform") as a built-in driver: an input pin
// whose pin-centric Process inverts every byte of each frame it is given, where the frame is,
// and advances past it; an output pin with no Process. The two pins are an in-place pair (their
// framing declares INPLACE_MODIFIER), so where the frame goes next is the class driver's: in
// one pipe section the same frame leaves through the output pin, across two pipes ksimd copies
// it into the output pipe (docs/minidriver.md, "Built-in drivers").
#include <cstddef>
#include <span>

#include "../builtin_drivers.hpp"
#include "ksim/daemon/transforms.hpp"

namespace ksim::daemon {
namespace {

NTSTATUS inplace_input_process(PKSPIN pin) {
    PKSSTREAM_POINTER leading = KsPinGetLeadingEdgeStreamPointer(pin, KSSTREAM_POINTER_STATE_LOCKED);
    while (leading != nullptr) {
        // OffsetIn: the frame's data, DataUsed bytes of it (ksim clamps DataUsed to the frame).
        invert_in_place(
            std::span(reinterpret_cast<std::byte*>(leading->OffsetIn.Data), leading->OffsetIn.Remaining));
        // Past the frame: it completes, and the class driver sends it on through the output pin.
        if (KsStreamPointerAdvance(leading) != STATUS_SUCCESS) break;  // off the end: unlocked
    }
    return STATUS_SUCCESS;
}

constexpr KSPIN_DISPATCH kInPlaceInputDispatch = {
    nullptr, nullptr, inplace_input_process, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};

// The framing (INPLACE_MODIFIER on both pins) and the format are the config's, so the
// descriptors state none.
constexpr KSPIN_DESCRIPTOR_EX kInPlacePins[] = {
    {&kInPlaceInputDispatch,
     nullptr,
     {0, nullptr, 0, nullptr, 0, nullptr, KSPIN_DATAFLOW_IN, KSPIN_COMMUNICATION_BOTH, nullptr, nullptr},
     0,
     1,
     0,
     nullptr,
     nullptr,
     "input",
     nullptr},
    {nullptr,
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

constexpr KSFILTER_DESCRIPTOR kInPlaceFilter = {nullptr, nullptr, KSFILTER_DESCRIPTOR_VERSION, 0,
                                                nullptr, 2,       sizeof(KSPIN_DESCRIPTOR_EX), kInPlacePins,
                                                0,       nullptr, "InPlaceTransform"};

constexpr const KSFILTER_DESCRIPTOR* kInPlaceFilters[] = {&kInPlaceFilter};
constexpr KSDEVICE_DESCRIPTOR kInPlaceDevice = {nullptr, 1, kInPlaceFilters, KSDEVICE_DESCRIPTOR_VERSION, 0};

}  // namespace

NTSTATUS inplace_transform_driver_entry(PDRIVER_OBJECT driver, PCUNICODE_STRING registry_path) {
    return KsInitializeDriver(driver, registry_path, &kInPlaceDevice);
}

}  // namespace ksim::daemon
