// ksimsink: GstBuffers into the frames of a user-hosted ksim source pin (a GstBaseSink).
#pragma once

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define GST_TYPE_KSIM_SINK (gst_ksim_sink_get_type())
G_DECLARE_FINAL_TYPE(GstKsimSink, gst_ksim_sink, GST, KSIM_SINK, GstBaseSink)

G_END_DECLS
