// The one mapping between ksim's data formats (proto::DataFormat, what KSPROPERTY_CONNECTION_
// DATAFORMAT reports) and GStreamer caps, and ksim's frame layouts in GStreamer's terms.
//
//   NV12   video/x-raw,format=NV12  Y plane (width bytes a row), then interleaved Cb/Cr
//   YUY2   video/x-raw,format=YUY2  Y0 Cb Y1 Cr, 2*width bytes a row
//   RGB24  video/x-raw,format=BGR   a bottom-up DIB (rows padded to 4 bytes): GStreamer has no
//                                   bottom-up layout, so these frames are flipped when copied
//   PCM    audio/x-raw,format=U8/S16LE/S24LE/S32LE,layout=interleaved (WAVEFORMATEX PCM: 8-bit
//          samples are unsigned, wider ones signed little-endian)
#pragma once

#include <gst/audio/audio.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <optional>

#include "ksim/proto/topology.hpp"

namespace ksim::gst {

// Every format the elements can carry (their pad templates).
GstCaps* template_caps();

// The fixed caps of `format` (a new reference). nullptr when GStreamer has no equivalent (a PCM
// sample width it does not know).
GstCaps* caps_for(const proto::DataFormat& format);

// Where each plane of a ksim video frame starts and how far apart its rows are, top row first.
// For RGB24 (bottom-up) the top row is the last in memory: `bottom_up` says so and
// offsets/strides then describe the rows as stored (row 0 = the bottom one).
struct VideoLayout {
    guint planes = 1;
    gsize offset[2] = {0, 0};
    gint stride[2] = {0, 0};
    gsize row_bytes[2] = {0, 0};  // the image bytes of a row (without RGB24's padding)
    guint rows[2] = {0, 0};
    gsize size = 0;  // proto::image_size()
    bool bottom_up = false;
};
VideoLayout video_layout(const proto::VideoParams& video);

// GstVideoFormat of a ksim video format.
GstVideoFormat video_format(proto::VideoFormat format);

// One frame's duration in nanoseconds (GST_CLOCK_TIME_NONE when the rate is 0).
GstClockTime frame_duration(const proto::DataFormat& format);

}  // namespace ksim::gst
