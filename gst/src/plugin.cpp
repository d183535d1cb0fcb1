// The "ksim" GStreamer plugin (libgstksim.so): ksimsrc and ksimsink (docs/gstreamer.md).
#include <gst/gst.h>

#include "ksim_sink.hpp"
#include "ksim_src.hpp"

namespace {

gboolean plugin_init(GstPlugin* plugin) {
    return gst_element_register(plugin, "ksimsrc", GST_RANK_NONE, GST_TYPE_KSIM_SRC) &&
           gst_element_register(plugin, "ksimsink", GST_RANK_NONE, GST_TYPE_KSIM_SINK);
}

}  // namespace

#define PACKAGE "ksim"
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, ksim,
                  "ksim pins (simulated Windows kernel streaming) as GStreamer elements", plugin_init,
                  KSIM_VERSION, GST_LICENSE_UNKNOWN, "ksim", "ksim")
