// ksimsink: feeds a user-hosted ksim source pin.
//   READY -> PAUSED    PinSession::open (connect, commit, ACQUIRE, map the pool writable, format)
//   PAUSED -> PLAYING  the downstream pin, then ours, to RUN
//   PLAYING -> PAUSED  ours, then downstream, to PAUSE
//   PAUSED -> READY    both back to STOP, the connection closed
// The only caps it accepts are the pin's format. render() copies each buffer into a frame from
// the pin's pool (ksim's layout: tight NV12 / YUY2 rows, RGB24 bottom-up with rows padded to 4
// bytes, whatever strides upstream used) and submits it; an audio buffer larger than one frame
// fills as many frames as it needs. Waiting for a free frame is done in short slices so that
// unlock() (a flush, a state change) ends it.
#include "ksim_sink.hpp"

#include <atomic>
#include <cstring>
#include <memory>
#include <vector>

#include "caps.hpp"
#include "element_common.hpp"

GST_DEBUG_CATEGORY_STATIC(ksim_sink_debug);
#define GST_CAT_DEFAULT ksim_sink_debug

namespace {

using namespace ksim;
using namespace std::chrono_literals;

constexpr auto kWaitSlice = 100ms;

}  // namespace

namespace ksim::gst {

// The element's C++ side, created in instance_init, deleted in finalize.
struct SinkState {
    gst::ElementSettings settings;
    std::unique_ptr<gst::PinSession> session;  // between start() and stop()
    std::atomic<bool> flushing{false};
    GstVideoInfo video;  // the negotiated caps (video)
    GstAudioInfo audio;  // (audio)
    std::int64_t picture_number = 0;
};

}  // namespace ksim::gst

struct _GstKsimSink {
    GstBaseSink parent;
    ksim::gst::SinkState* state;
};

G_DEFINE_TYPE(GstKsimSink, gst_ksim_sink, GST_TYPE_BASE_SINK)

namespace {

gst::SinkState& state_of(gpointer self) {
    return *GST_KSIM_SINK(self)->state;
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
    delete GST_KSIM_SINK(object)->state;
    G_OBJECT_CLASS(gst_ksim_sink_parent_class)->finalize(object);
}

gboolean start(GstBaseSink* base) {
    gst::SinkState& s = state_of(base);
    auto session =
        gst::PinSession::open(gst::session_options(GST_ELEMENT(base), s.settings, gst::PinRole::Producer));
    if (!session) {
        gst::post_error(GST_ELEMENT(base), session.error(), false, true);
        return FALSE;
    }
    s.session = std::move(*session);
    s.picture_number = 0;
    const auto& format = s.session->format();
    if (format.video && s.session->stream().frame_size() < proto::image_size(*format.video)) {
        gst::post_error(GST_ELEMENT(base),
                        Error{Errc::InvalidArgument,
                              "the pin's frames (" + std::to_string(s.session->stream().frame_size()) +
                                  " bytes) are smaller than one image of its format (" +
                                  std::to_string(proto::image_size(*format.video)) + " bytes)"},
                        false, true);
        s.session.reset();
        return FALSE;
    }
    return TRUE;
}

gboolean stop(GstBaseSink* base) {
    state_of(base).session.reset();
    return TRUE;
}

GstCaps* get_caps(GstBaseSink* base, GstCaps* filter) {
    gst::SinkState& s = state_of(base);
    GstCaps* caps = s.session ? gst::caps_for(s.session->format()) : gst::template_caps();
    if (caps == nullptr) caps = gst_caps_new_empty();
    if (filter) {
        GstCaps* both = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
        gst_caps_unref(caps);
        caps = both;
    }
    return caps;
}

gboolean set_caps(GstBaseSink* base, GstCaps* caps) {
    gst::SinkState& s = state_of(base);
    if (!s.session) return FALSE;
    if (s.session->format().video) return gst_video_info_from_caps(&s.video, caps);
    return gst_audio_info_from_caps(&s.audio, caps);
}

gboolean propose_allocation(GstBaseSink*, GstQuery* query) {
    // render() maps buffers as video frames, so any strides upstream chooses are fine.
    gst_query_add_allocation_meta(query, GST_VIDEO_META_API_TYPE, nullptr);
    return TRUE;
}

gboolean unlock(GstBaseSink* base) {
    state_of(base).flushing = true;
    return TRUE;
}

gboolean unlock_stop(GstBaseSink* base) {
    state_of(base).flushing = false;
    return TRUE;
}

// A free frame of the pin's pool, waiting in slices; nullopt once flushing (no error posted).
std::optional<Result<client::WritableFrame>> acquire(gst::SinkState& s) {
    for (;;) {
        if (s.flushing) return std::nullopt;
        auto frame = s.session->stream().acquire_frame(kWaitSlice);
        if (frame || frame.error().code != Errc::Timeout) return frame;
    }
}

// Copies one video buffer into ksim's layout; returns the bytes used, 0 when the buffer does not
// map as a frame of the negotiated caps.
std::uint32_t copy_video(gst::SinkState& s, GstBuffer* buffer, std::span<std::byte> out) {
    const auto& v = *s.session->format().video;
    const gst::VideoLayout layout = gst::video_layout(v);
    GstVideoFrame frame;
    if (!gst_video_frame_map(&frame, &s.video, buffer, GST_MAP_READ)) return 0;
    for (guint p = 0; p < layout.planes; ++p) {
        const guint rows = layout.rows[p];
        const auto* in = static_cast<const guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, p));
        const gsize in_stride = static_cast<gsize>(GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p));
        const gsize out_stride = static_cast<gsize>(layout.stride[p]);
        const gsize row_bytes = std::min(layout.row_bytes[p], in_stride);
        for (guint r = 0; r < rows; ++r) {
            const guint to_row = layout.bottom_up ? rows - 1 - r : r;
            std::memcpy(out.data() + layout.offset[p] + to_row * out_stride, in + r * in_stride, row_bytes);
        }
    }
    gst_video_frame_unmap(&frame);
    return static_cast<std::uint32_t>(layout.size);
}

void fill_header(gst::SinkState& s, proto::StreamHeader& h, GstClockTime pts, GstClockTime duration) {
    using proto::StreamHeaderOptions;
    h.options_flags = StreamHeaderOptions::FrameInfo;
    if (GST_CLOCK_TIME_IS_VALID(pts)) {
        h.presentation_time = {static_cast<std::int64_t>(pts / 100), 1, 1};  // KSTIME in 100 ns
        h.options_flags |= StreamHeaderOptions::TimeValid;
    }
    if (GST_CLOCK_TIME_IS_VALID(duration)) {
        h.duration = static_cast<std::int64_t>(duration / 100);
        h.options_flags |= StreamHeaderOptions::DurationValid;
    }
    h.picture_number = ++s.picture_number;  // KS_FRAME_INFO.PictureNumber, from 1 as the camera does
}

GstFlowReturn fail(GstBaseSink* base, const Error& e) {
    gst::post_error(GST_ELEMENT(base), e, true, true);
    return GST_FLOW_ERROR;
}

GstFlowReturn render_video(GstBaseSink* base, gst::SinkState& s, GstBuffer* buffer) {
    auto frame = acquire(s);
    if (!frame) return GST_FLOW_FLUSHING;
    if (!*frame) return fail(base, frame->error());
    client::WritableFrame& f = **frame;
    const std::uint32_t used = copy_video(s, buffer, f.bytes());
    if (used == 0) {
        GST_ELEMENT_ERROR(base, STREAM, FORMAT, ("a buffer does not map as a frame of the negotiated caps"),
                          ("%" G_GSIZE_FORMAT " bytes", gst_buffer_get_size(buffer)));
        return GST_FLOW_ERROR;
    }
    fill_header(s, f.header(), GST_BUFFER_PTS(buffer), GST_BUFFER_DURATION(buffer));
    if (auto r = f.submit(used); !r) return fail(base, r.error());
    return GST_FLOW_OK;
}

GstFlowReturn render_audio(GstBaseSink* base, gst::SinkState& s, GstBuffer* buffer) {
    GstMapInfo map;
    if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return GST_FLOW_ERROR;
    const gint bpf = std::max(1, GST_AUDIO_INFO_BPF(&s.audio));
    const gint rate = GST_AUDIO_INFO_RATE(&s.audio);
    GstFlowReturn ret = GST_FLOW_OK;
    for (gsize done = 0; done < map.size && ret == GST_FLOW_OK;) {
        auto frame = acquire(s);
        if (!frame) {
            ret = GST_FLOW_FLUSHING;
            break;
        }
        if (!*frame) {
            ret = fail(base, frame->error());
            break;
        }
        client::WritableFrame& f = **frame;
        // Whole sample frames only, so that a chunk never splits a sample.
        const gsize room = f.bytes().size() / bpf * bpf;
        const gsize chunk = std::min(map.size - done, room);
        std::memcpy(f.bytes().data(), map.data + done, chunk);
        const GstClockTime pts = GST_BUFFER_PTS(buffer);
        const auto at = [&](gsize bytes) { return gst_util_uint64_scale(bytes / bpf, GST_SECOND, rate); };
        fill_header(s, f.header(),
                    GST_CLOCK_TIME_IS_VALID(pts) && rate > 0 ? pts + at(done) : GST_CLOCK_TIME_NONE,
                    rate > 0 ? at(chunk) : GST_CLOCK_TIME_NONE);
        if (auto r = f.submit(static_cast<std::uint32_t>(chunk)); !r) ret = fail(base, r.error());
        done += chunk;
        if (chunk == 0) {
            ret = fail(base,
                       Error{Errc::InvalidArgument, "the pin's frames are smaller than one sample frame"});
        }
    }
    gst_buffer_unmap(buffer, &map);
    return ret;
}

GstFlowReturn render(GstBaseSink* base, GstBuffer* buffer) {
    gst::SinkState& s = state_of(base);
    return s.session->format().video ? render_video(base, s, buffer) : render_audio(base, s, buffer);
}

// At EOS, waits until the pool is whole again — every frame submitted came back, consumed by
// the pin downstream — by taking each of its frames (returned unused right after). Without it a
// pipeline that stops at EOS would STOP the pins under frames still in flight, which KS cancels.
// Bounded: a consumer that never returns its frames does not hang the pipeline.
void drain(GstBaseSink* base, gst::SinkState& s) {
    constexpr auto kDrainTimeout = 5s;
    const auto deadline = std::chrono::steady_clock::now() + kDrainTimeout;
    std::vector<client::WritableFrame> held;
    while (held.size() < s.session->stream().frames() && !s.flushing) {
        if (std::chrono::steady_clock::now() >= deadline) {
            GST_WARNING_OBJECT(base, "EOS: %zu of %u frames came back within 5 s", held.size(),
                               s.session->stream().frames());
            return;
        }
        auto frame = s.session->stream().acquire_frame(kWaitSlice);
        if (frame)
            held.push_back(std::move(*frame));
        else if (frame.error().code != Errc::Timeout)
            return;  // the daemon's error surfaces at the next render or state change
    }
}

gboolean event(GstBaseSink* base, GstEvent* e) {
    gst::SinkState& s = state_of(base);
    if (GST_EVENT_TYPE(e) == GST_EVENT_EOS && s.session) drain(base, s);
    return GST_BASE_SINK_CLASS(gst_ksim_sink_parent_class)->event(base, e);
}

GstStateChangeReturn change_state(GstElement* element, GstStateChange transition) {
    gst::SinkState& s = state_of(element);
    if (transition == GST_STATE_CHANGE_PAUSED_TO_PLAYING && s.session)
        if (auto r = s.session->run(); !r) {
            gst::post_error(element, r.error(), false, true);
            return GST_STATE_CHANGE_FAILURE;
        }
    const GstStateChangeReturn ret =
        GST_ELEMENT_CLASS(gst_ksim_sink_parent_class)->change_state(element, transition);
    if (ret == GST_STATE_CHANGE_FAILURE) return ret;
    if (transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED && s.session)
        if (auto r = s.session->pause(); !r) GST_WARNING_OBJECT(element, "%s", r.error().message.c_str());
    return ret;
}

}  // namespace

static void gst_ksim_sink_class_init(GstKsimSinkClass* klass) {
    GST_DEBUG_CATEGORY_INIT(ksim_sink_debug, "ksimsink", 0, "ksim user-hosted source pin sink");
    auto* object_class = G_OBJECT_CLASS(klass);
    object_class->set_property = set_property;
    object_class->get_property = get_property;
    object_class->finalize = finalize;
    ksim::gst::install_element_properties(object_class, "The user-hosted source pin to feed (FILTER.PIN)");

    auto* element_class = GST_ELEMENT_CLASS(klass);
    element_class->change_state = change_state;
    GstCaps* caps = ksim::gst::template_caps();
    gst_element_class_add_pad_template(element_class,
                                       gst_pad_template_new("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
    gst_caps_unref(caps);
    gst_element_class_set_static_metadata(
        element_class, "ksim pin sink", "Sink/Video/Audio",
        "Submits buffers as frames of a user-hosted ksim (simulated kernel streaming) source pin, filled in "
        "ksimd's shared memory",
        "ksim");

    auto* base_class = GST_BASE_SINK_CLASS(klass);
    base_class->start = start;
    base_class->stop = stop;
    base_class->get_caps = get_caps;
    base_class->set_caps = set_caps;
    base_class->propose_allocation = propose_allocation;
    base_class->unlock = unlock;
    base_class->unlock_stop = unlock_stop;
    base_class->render = render;
    base_class->event = event;
}

static void gst_ksim_sink_init(GstKsimSink* self) {
    self->state = new ksim::gst::SinkState();
    gst_video_info_init(&self->state->video);
    gst_audio_info_init(&self->state->audio);
}
