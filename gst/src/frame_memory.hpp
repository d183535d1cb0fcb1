// A ksim frame as GStreamer memory, without a copy: the GstMemory wraps the bytes of a read-only
// FrameView straight in ksimd's shared memory and owns the view, so the frame goes back to its
// pool (libksim's release) when GStreamer frees the last buffer holding the memory — from
// whichever thread that is (FrameView allows it). The memory is flagged READONLY: the mapping is
// read-only by the OS, and an element that wants to write gets a copy (gst_buffer_make_writable).
#pragma once

#include <gst/gst.h>

#include "ksim/client/stream.hpp"

namespace ksim::gst {

// Takes the view; returns a buffer with one memory over its valid bytes.
GstBuffer* wrap_frame(client::FrameView frame);

}  // namespace ksim::gst
