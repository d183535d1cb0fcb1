// The capture pin of the built-in video_capture and audio_capture drivers (capture_pin.cpp).
#pragma once

#include "ksim/ddk/avstream.h"

namespace ksim::daemon {

// Its dispatch; the pin's descriptor sets kCapturePinFlags.
extern const KSPIN_DISPATCH kCapturePinDispatch;
// Mappings (the hardware is programmed with each frame's S/G list) and Process only in RUN.
inline constexpr ULONG kCapturePinFlags = KSPIN_FLAG_GENERATE_MAPPINGS | KSPIN_FLAG_PROCESS_IN_RUN_STATE_ONLY;

}  // namespace ksim::daemon
