// ksimsrc: the frames of a user-hosted ksim sink pin as GstBuffers (a live GstPushSrc).
#pragma once

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_KSIM_SRC (gst_ksim_src_get_type())
G_DECLARE_FINAL_TYPE(GstKsimSrc, gst_ksim_src, GST, KSIM_SRC, GstPushSrc)

G_END_DECLS
