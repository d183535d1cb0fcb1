#include "caps.hpp"

namespace ksim::gst {

GstCaps* template_caps() {
    return gst_caps_from_string(
        "video/x-raw, format = (string) { NV12, YUY2, BGR }, width = (int) [ 1, MAX ], "
        "height = (int) [ 1, MAX ], framerate = (fraction) [ 0/1, MAX ]; "
        "audio/x-raw, format = (string) { U8, S16LE, S24LE, S32LE }, layout = (string) interleaved, "
        "rate = (int) [ 1, MAX ], channels = (int) [ 1, MAX ]");
}

GstVideoFormat video_format(proto::VideoFormat format) {
    switch (format) {
        case proto::VideoFormat::Nv12:
            return GST_VIDEO_FORMAT_NV12;
        case proto::VideoFormat::Yuy2:
            return GST_VIDEO_FORMAT_YUY2;
        case proto::VideoFormat::Rgb24:
            return GST_VIDEO_FORMAT_BGR;
    }
    return GST_VIDEO_FORMAT_UNKNOWN;
}

GstCaps* caps_for(const proto::DataFormat& format) {
    if (format.video) {
        const auto& v = *format.video;
        GstVideoInfo info;
        gst_video_info_init(&info);
        if (!gst_video_info_set_format(&info, video_format(v.format), v.width, v.height)) return nullptr;
        info.fps_n = static_cast<gint>(v.fps_numerator);
        info.fps_d = static_cast<gint>(v.fps_denominator);
        return gst_video_info_to_caps(&info);
    }
    if (format.audio) {
        const auto& a = *format.audio;
        const auto sample = gst_audio_format_build_integer(a.bits_per_sample > 8, G_LITTLE_ENDIAN,
                                                           static_cast<gint>(a.bits_per_sample),
                                                           static_cast<gint>(a.bits_per_sample));
        if (sample == GST_AUDIO_FORMAT_UNKNOWN) return nullptr;
        GstAudioInfo info;
        gst_audio_info_init(&info);
        gst_audio_info_set_format(&info, sample, static_cast<gint>(a.sample_rate),
                                  static_cast<gint>(a.channels), nullptr);
        return gst_audio_info_to_caps(&info);
    }
    return nullptr;
}

VideoLayout video_layout(const proto::VideoParams& v) {
    VideoLayout l;
    l.size = proto::image_size(v);
    const auto w = static_cast<gint>(v.width);
    switch (v.format) {
        case proto::VideoFormat::Nv12:
            l.planes = 2;
            l.stride[0] = l.stride[1] = w;
            l.offset[1] = static_cast<gsize>(v.width) * v.height;
            l.row_bytes[0] = l.row_bytes[1] = v.width;
            l.rows[1] = v.height / 2;  // Cb/Cr at half resolution, interleaved
            break;
        case proto::VideoFormat::Yuy2:
            l.stride[0] = 2 * w;
            l.row_bytes[0] = 2 * static_cast<gsize>(v.width);
            break;
        case proto::VideoFormat::Rgb24:
            l.stride[0] = static_cast<gint>((v.width * 3 + 3) & ~3u);
            l.row_bytes[0] = 3 * static_cast<gsize>(v.width);
            l.bottom_up = true;
            break;
    }
    l.rows[0] = v.height;
    return l;
}

GstClockTime frame_duration(const proto::DataFormat& format) {
    if (format.video && format.video->fps_numerator > 0)
        return gst_util_uint64_scale(GST_SECOND, format.video->fps_denominator, format.video->fps_numerator);
    if (format.audio && format.audio->sample_rate > 0)
        return gst_util_uint64_scale(GST_SECOND, format.audio->frames_per_period, format.audio->sample_rate);
    return GST_CLOCK_TIME_NONE;
}

}  // namespace ksim::gst
