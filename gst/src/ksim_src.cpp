// ksimsrc: a live push source over a user-hosted ksim sink pin.
//   READY -> PAUSED    PinSession::open (connect, commit, ACQUIRE, map the pool, data format)
//   PAUSED -> PLAYING  the upstream pin, then ours, to RUN; frames flow
//   PLAYING -> PAUSED  ours, then upstream, to PAUSE
//   PAUSED -> READY    both back to STOP, the connection closed
// Each frame is wrapped, not copied (frame_memory.hpp); RGB24 frames, stored bottom-up, are the
// exception: they are copied flipped into a top-down BGR buffer. The streaming thread waits in
// Stream::next_frame in short slices so that unlock() (a flush, a state change) ends the wait.
#include "ksim_src.hpp"

#include <atomic>
#include <cstring>
#include <memory>

#include "caps.hpp"
#include "element_common.hpp"
#include "frame_memory.hpp"

GST_DEBUG_CATEGORY_STATIC(ksim_src_debug);
#define GST_CAT_DEFAULT ksim_src_debug

namespace {

using namespace ksim;
using namespace std::chrono_literals;

// How long one wait for a frame lasts before unlock() is looked at again.
constexpr auto kWaitSlice = 100ms;

}  // namespace

namespace ksim::gst {

// The element's C++ side, created in instance_init, deleted in finalize.
struct SrcState {
    gst::ElementSettings settings;
    std::unique_ptr<gst::PinSession> session;  // between start() and stop()
    std::atomic<bool> flushing{false};
    // Presentation time (ns) -> running time: fixed at the first frame after start.
    bool have_offset = false;
    gint64 pts_offset = 0;
    std::int64_t drop_count = 0;
};

}  // namespace ksim::gst

struct _GstKsimSrc {
    GstPushSrc parent;
    ksim::gst::SrcState* state;
};

G_DEFINE_TYPE(GstKsimSrc, gst_ksim_src, GST_TYPE_PUSH_SRC)

namespace {

gst::SrcState& state_of(gpointer self) {
    return *GST_KSIM_SRC(self)->state;
}

void set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
    if (!gst::set_element_property(object, state_of(object).settings, id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

void get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
    if (!gst::get_element_property(object, state_of(object).settings, id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

void finalize(GObject* object) {
    delete GST_KSIM_SRC(object)->state;
    G_OBJECT_CLASS(gst_ksim_src_parent_class)->finalize(object);
}

gboolean start(GstBaseSrc* base) {
    gst::SrcState& s = state_of(base);
    auto session =
        gst::PinSession::open(gst::session_options(GST_ELEMENT(base), s.settings, gst::PinRole::Consumer));
    if (!session) {
        gst::post_error(GST_ELEMENT(base), session.error(), false, false);
        return FALSE;
    }
    s.session = std::move(*session);
    s.have_offset = false;
    s.drop_count = 0;
    GST_INFO_OBJECT(base, "pin %s: %u frames of %u bytes", s.session->pin().to_string().c_str(),
                    s.session->stream().frames(), s.session->stream().frame_size());
    return TRUE;
}

gboolean stop(GstBaseSrc* base) {
    state_of(base).session.reset();  // both pins to STOP; buffers still downstream keep their mapping
    return TRUE;
}

GstCaps* get_caps(GstBaseSrc* base, GstCaps* filter) {
    gst::SrcState& s = state_of(base);
    GstCaps* caps = s.session ? gst::caps_for(s.session->format()) : gst::template_caps();
    if (caps == nullptr) caps = gst_caps_new_empty();  // a format GStreamer cannot describe
    if (filter) {
        GstCaps* both = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
        gst_caps_unref(caps);
        caps = both;
    }
    return caps;
}

gboolean unlock(GstBaseSrc* base) {
    state_of(base).flushing = true;
    return TRUE;
}

gboolean unlock_stop(GstBaseSrc* base) {
    state_of(base).flushing = false;
    return TRUE;
}

gboolean query(GstBaseSrc* base, GstQuery* q) {
    gst::SrcState& s = state_of(base);
    if (GST_QUERY_TYPE(q) == GST_QUERY_LATENCY && s.session) {
        // A frame is complete one period after it started; the pool holds `frames` of them.
        const GstClockTime period = gst::frame_duration(s.session->format());
        if (GST_CLOCK_TIME_IS_VALID(period)) {
            gst_query_set_latency(q, TRUE, period, period * s.session->stream().frames());
            return TRUE;
        }
    }
    return GST_BASE_SRC_CLASS(gst_ksim_src_parent_class)->query(base, q);
}

// The running time now on the pipeline's clock (0 without one).
GstClockTime running_time_now(GstElement* element) {
    GstClock* clock = gst_element_get_clock(element);
    if (clock == nullptr) return 0;
    const GstClockTime now = gst_clock_get_time(clock);
    gst_object_unref(clock);
    const GstClockTime base = gst_element_get_base_time(element);
    return now > base ? now - base : 0;
}

void stamp(GstBaseSrc* base, gst::SrcState& s, GstBuffer* buffer, const proto::StreamHeader& h) {
    using proto::StreamHeaderOptions;
    if (proto::has_any(h.options_flags, StreamHeaderOptions::TimeValid)) {
        // KSTIME: time * numerator / denominator in 100 ns units.
        const auto den = h.presentation_time.denominator == 0 ? 1u : h.presentation_time.denominator;
        const gint64 pt = h.presentation_time.time * 100 * h.presentation_time.numerator / den;
        if (!s.have_offset) {
            s.pts_offset = static_cast<gint64>(running_time_now(GST_ELEMENT(base))) - pt;
            s.have_offset = true;
        }
        const gint64 pts = pt + s.pts_offset;
        GST_BUFFER_PTS(buffer) = pts > 0 ? static_cast<GstClockTime>(pts) : 0;
    }
    if (proto::has_any(h.options_flags, StreamHeaderOptions::DurationValid) && h.duration > 0)
        GST_BUFFER_DURATION(buffer) = static_cast<GstClockTime>(h.duration) * 100;
    if (proto::has_any(h.options_flags, StreamHeaderOptions::FrameInfo)) {
        GST_BUFFER_OFFSET(buffer) = static_cast<guint64>(h.picture_number);
        // Frames the hardware had no buffer for since the last one: a gap downstream should know of.
        if (h.drop_count > s.drop_count) GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
        s.drop_count = h.drop_count;
    }
}

// Zero-copy for NV12 / YUY2 (with a GstVideoMeta giving ksim's strides); a flipped copy for
// RGB24; the bytes as they are for audio.
GstBuffer* to_buffer(client::FrameView frame, const proto::DataFormat& format) {
    if (!format.video) return gst::wrap_frame(std::move(frame));
    const auto& v = *format.video;
    const gst::VideoLayout layout = gst::video_layout(v);
    if (layout.bottom_up) {
        const auto bytes = frame.bytes();
        const gsize row = static_cast<gsize>(layout.stride[0]);
        const gsize rows = std::min<gsize>(v.height, bytes.size() / row);
        GstBuffer* buffer = gst_buffer_new_allocate(nullptr, row * v.height, nullptr);
        GstMapInfo map;
        gst_buffer_map(buffer, &map, GST_MAP_WRITE);
        std::memset(map.data, 0, map.size);
        for (gsize r = 0; r < rows; ++r)
            std::memcpy(map.data + (v.height - 1 - r) * row, bytes.data() + r * row, row);
        gst_buffer_unmap(buffer, &map);
        return buffer;  // `frame` goes back to its pool here
    }
    GstBuffer* buffer = gst::wrap_frame(std::move(frame));
    gst_buffer_add_video_meta_full(buffer, GST_VIDEO_FRAME_FLAG_NONE, gst::video_format(v.format), v.width,
                                   v.height, layout.planes, const_cast<gsize*>(layout.offset),
                                   const_cast<gint*>(layout.stride));
    return buffer;
}

GstFlowReturn create(GstPushSrc* push, GstBuffer** out) {
    auto* base = GST_BASE_SRC(push);
    gst::SrcState& s = state_of(push);
    for (;;) {
        if (s.flushing) return GST_FLOW_FLUSHING;
        auto frame = s.session->stream().next_frame(kWaitSlice);
        if (frame) {
            const auto& format = s.session->format();
            if (format.video && frame->bytes().size() < proto::image_size(*format.video)) {
                GST_ELEMENT_ERROR(
                    push, STREAM, FORMAT, ("a frame is shorter than one image of the pin's format"),
                    ("%zu bytes, %u expected", frame->bytes().size(), proto::image_size(*format.video)));
                return GST_FLOW_ERROR;
            }
            const proto::StreamHeader header = frame->header();
            GstBuffer* buffer = to_buffer(std::move(*frame), format);
            stamp(base, s, buffer, header);
            *out = buffer;
            return GST_FLOW_OK;
        }
        if (frame.error().code == Errc::Timeout) continue;
        gst::post_error(GST_ELEMENT(push), frame.error(), true, false);
        return GST_FLOW_ERROR;
    }
}

GstStateChangeReturn change_state(GstElement* element, GstStateChange transition) {
    gst::SrcState& s = state_of(element);
    if (transition == GST_STATE_CHANGE_PAUSED_TO_PLAYING && s.session)
        if (auto r = s.session->run(); !r) {
            gst::post_error(element, r.error(), false, false);
            return GST_STATE_CHANGE_FAILURE;
        }
    const GstStateChangeReturn ret =
        GST_ELEMENT_CLASS(gst_ksim_src_parent_class)->change_state(element, transition);
    if (ret == GST_STATE_CHANGE_FAILURE) return ret;
    if (transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED && s.session)
        if (auto r = s.session->pause(); !r) GST_WARNING_OBJECT(element, "%s", r.error().message.c_str());
    return ret;
}

}  // namespace

static void gst_ksim_src_class_init(GstKsimSrcClass* klass) {
    GST_DEBUG_CATEGORY_INIT(ksim_src_debug, "ksimsrc", 0, "ksim user-hosted sink pin source");
    auto* object_class = G_OBJECT_CLASS(klass);
    object_class->set_property = set_property;
    object_class->get_property = get_property;
    object_class->finalize = finalize;
    ksim::gst::install_element_properties(object_class, "The user-hosted sink pin to read (FILTER.PIN)");

    auto* element_class = GST_ELEMENT_CLASS(klass);
    element_class->change_state = change_state;
    GstCaps* caps = ksim::gst::template_caps();
    gst_element_class_add_pad_template(element_class,
                                       gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
    gst_caps_unref(caps);
    gst_element_class_set_static_metadata(element_class, "ksim pin source", "Source/Video/Audio",
                                          "Frames of a user-hosted ksim (simulated kernel streaming) sink "
                                          "pin, mapped from ksimd's shared memory",
                                          "ksim");

    auto* base_class = GST_BASE_SRC_CLASS(klass);
    base_class->start = start;
    base_class->stop = stop;
    base_class->get_caps = get_caps;
    base_class->unlock = unlock;
    base_class->unlock_stop = unlock_stop;
    base_class->query = query;
    GST_PUSH_SRC_CLASS(klass)->create = create;
}

static void gst_ksim_src_init(GstKsimSrc* self) {
    self->state = new ksim::gst::SrcState();
    gst_base_src_set_live(GST_BASE_SRC(self), TRUE);
    gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
}
