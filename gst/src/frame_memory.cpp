#include "frame_memory.hpp"

namespace ksim::gst {
namespace {

void release_frame(gpointer view) {
    delete static_cast<client::FrameView*>(view);  // ~FrameView returns the frame to its pool
}

}  // namespace

GstBuffer* wrap_frame(client::FrameView frame) {
    auto* view = new client::FrameView(std::move(frame));
    const auto bytes = view->bytes();
    // GStreamer's prototype takes a non-const pointer; READONLY keeps every writer off it.
    auto* data = const_cast<std::byte*>(bytes.data());
    GstMemory* memory = gst_memory_new_wrapped(GST_MEMORY_FLAG_READONLY, data, bytes.size(), 0, bytes.size(),
                                               view, release_frame);
    GstBuffer* buffer = gst_buffer_new();
    gst_buffer_append_memory(buffer, memory);
    return buffer;
}

}  // namespace ksim::gst
