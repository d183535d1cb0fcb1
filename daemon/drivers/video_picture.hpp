// The picture a pin's ConnectionFormat describes, as the built-in drivers read it (one decoding
// of KS_DATAFORMAT_VIDEOINFOHEADER for all of them; the class driver writes it from the
// config's "video", ddk/host's connection_format).
#pragma once

#include <optional>

#include "ksim/ddk/avstream.h"
#include "ksim/proto/topology.hpp"

namespace ksim::daemon {

// Format, width and height of a KS_DATAFORMAT_VIDEOINFOHEADER; nullopt for any other format or
// a picture ksim does not draw (NV12, YUY2 and 24-bit RGB only). The frame rate is left at its
// default: a driver that needs its frame period reads AvgTimePerFrame.
std::optional<proto::VideoParams> video_picture_of(const KSDATAFORMAT* format);

}  // namespace ksim::daemon
