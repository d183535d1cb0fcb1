// The capture kinds (topology kinds "video_capture" and "audio_capture") as built-in drivers: one
// filter with one capture pin (capture_pin.cpp) each; what the pin renders follows its
// ConnectionFormat (the config's "video" or "audio"). A config's input pin on a capture filter
// has no descriptor here: the class driver sends what reaches it home.
#include "../builtin_drivers.hpp"
#include "capture_pin.hpp"

namespace ksim::daemon {
namespace {

// The framing and the format are the config's (a built-in kind's pins are declared there), so
// the descriptor states none.
constexpr KSPIN_DESCRIPTOR_EX kCapturePins[] = {
    {&kCapturePinDispatch,
     nullptr,
     {0, nullptr, 0, nullptr, 0, nullptr, KSPIN_DATAFLOW_OUT, KSPIN_COMMUNICATION_BOTH, nullptr, nullptr},
     kCapturePinFlags,
     0xFFFFFFFFu,  // one instance per output pin the config declares
     0,
     nullptr,
     nullptr,
     "capture",
     nullptr},
};

constexpr KSFILTER_DESCRIPTOR filter_named(const char* name) {
    return {nullptr,
            nullptr,
            KSFILTER_DESCRIPTOR_VERSION,
            0,
            nullptr,
            1,
            sizeof(KSPIN_DESCRIPTOR_EX),
            kCapturePins,
            0,
            nullptr,
            name};
}

constexpr KSFILTER_DESCRIPTOR kVideoFilter = filter_named("VideoCapture");
constexpr KSFILTER_DESCRIPTOR kAudioFilter = filter_named("AudioCapture");
constexpr const KSFILTER_DESCRIPTOR* kVideoFilters[] = {&kVideoFilter};
constexpr const KSFILTER_DESCRIPTOR* kAudioFilters[] = {&kAudioFilter};
constexpr KSDEVICE_DESCRIPTOR kVideoDevice = {nullptr, 1, kVideoFilters, KSDEVICE_DESCRIPTOR_VERSION, 0};
constexpr KSDEVICE_DESCRIPTOR kAudioDevice = {nullptr, 1, kAudioFilters, KSDEVICE_DESCRIPTOR_VERSION, 0};

}  // namespace

NTSTATUS video_capture_driver_entry(PDRIVER_OBJECT driver, PCUNICODE_STRING registry_path) {
    return KsInitializeDriver(driver, registry_path, &kVideoDevice);
}

NTSTATUS audio_capture_driver_entry(PDRIVER_OBJECT driver, PCUNICODE_STRING registry_path) {
    return KsInitializeDriver(driver, registry_path, &kAudioDevice);
}

}  // namespace ksim::daemon
