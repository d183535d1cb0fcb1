#include "kernel_fixture.hpp"

namespace ksim::daemon::testing {

using namespace proto;

VendorAllocatorCaps vendor_caps() {
    VendorAllocatorCaps c;
    c.name = "vendor_dma";
    c.memory_type = kVendorDma;
    c.min_frame_size = 1024;
    c.max_frame_size = 1 << 20;
    c.max_frames = 8;
    c.alignment_mask = file_alignment::kPage;
    c.max_segment_bytes = 1024;  // several S/G entries per frame
    return c;
}

namespace {
PinDescriptor pin(std::string id, PinDirection dir, PinHosting hosting, AllocatorFramingEx framing) {
    PinDescriptor p;
    p.id = std::move(id);
    p.direction = dir;
    p.hosting = hosting;
    p.framing = std::move(framing);
    return p;
}
FilterDescriptor camera_filter(bool with_vendor, std::uint32_t frames) {
    FilterDescriptor f;
    f.id = "camera";
    f.kind = FilterKind::VideoCapture;
    f.video = VideoParams{VideoFormat::Nv12, kWidth, kHeight, 30, 1};
    auto p = pin("capture", PinDirection::Out, PinHosting::Kernel,
                 make_simple_framing(memory_type::kKernelNonPaged,
                                     RequirementFlags::SystemMemory | RequirementFlags::PreferencesOnly,
                                     frames, 0, 2 * kPageSize, 2 * kPageSize));
    if (with_vendor) p.allocator = vendor_caps();
    f.pins.push_back(p);
    return f;
}
FilterDescriptor sink_filter(std::string id, FilterKind kind, PinHosting hosting) {
    FilterDescriptor f;
    f.id = std::move(id);
    f.kind = kind;
    f.pins.push_back(pin("input", PinDirection::In, hosting,
                         make_simple_framing(memory_type::kDontCare, RequirementFlags::PreferencesOnly, 2,
                                             file_alignment::kQuad, 0, 0xFFFFFFFFu)));
    return f;
}
Connection conn(std::string ff, std::string fp, std::string tf, std::string tp) {
    return Connection{PinRef{std::move(ff), std::move(fp)}, PinRef{std::move(tf), std::move(tp)}, ""};
}
}  // namespace

Topology camera_to_sink(bool with_vendor, PinHosting sink_hosting, std::uint32_t frames) {
    Topology t;
    t.name = "test";
    t.filters.push_back(camera_filter(with_vendor, frames));
    t.filters.push_back(sink_filter(
        "sink", sink_hosting == PinHosting::Kernel ? FilterKind::KernelSink : FilterKind::UserSink,
        sink_hosting));
    t.connections.push_back(conn("camera", "capture", "sink", "input"));
    return t;
}

namespace {

// An in-place kernel transform "overlay" (input, output) that wants `frames` frames.
FilterDescriptor inplace_overlay(std::uint32_t frames) {
    FilterDescriptor overlay;
    overlay.id = "overlay";
    overlay.kind = FilterKind::InPlaceTransform;
    for (auto dir : {PinDirection::In, PinDirection::Out})
        overlay.pins.push_back(
            pin(dir == PinDirection::In ? "input" : "output", dir, PinHosting::Kernel,
                make_simple_framing(memory_type::kDontCare,
                                    RequirementFlags::InPlaceModifier | RequirementFlags::PreferencesOnly,
                                    frames, 0, 0, 0xFFFFFFFFu)));
    return overlay;
}

// A client-hosted source "app" (output) offering 2 user-memory frames of 256..4096 bytes.
FilterDescriptor user_app_source() {
    FilterDescriptor app;
    app.id = "app";
    app.kind = FilterKind::UserSource;
    app.pins.push_back(
        pin("output", PinDirection::Out, PinHosting::User,
            make_simple_framing(memory_type::kUser, RequirementFlags::PreferencesOnly, 2, 0, 256, 4096)));
    return app;
}

// A copy transform `id` (input, output) that wants 2 frames on each side and any size, writing
// `video` (nullopt: what arrives at its input).
FilterDescriptor copy_filter(std::string id, std::optional<VideoParams> video) {
    FilterDescriptor copy;
    copy.id = std::move(id);
    copy.kind = FilterKind::CopyTransform;
    copy.video = video;
    for (auto dir : {PinDirection::In, PinDirection::Out})
        copy.pins.push_back(pin(dir == PinDirection::In ? "input" : "output", dir, PinHosting::Kernel,
                                make_simple_framing(memory_type::kDontCare, RequirementFlags::PreferencesOnly,
                                                    2, 0, 0, 0xFFFFFFFFu)));
    return copy;
}

}  // namespace

Topology inplace_chain() {
    Topology t;
    t.name = "inplace";
    t.filters.push_back(camera_filter(false, 3));
    t.filters.push_back(inplace_overlay(3));
    t.filters.push_back(sink_filter("checker", FilterKind::KernelSink, PinHosting::Kernel));
    t.connections.push_back(conn("camera", "capture", "overlay", "input"));
    t.connections.push_back(conn("overlay", "output", "checker", "input"));
    return t;
}

Topology user_source_to_sink() {
    Topology t;
    t.name = "user-source";
    t.filters.push_back(user_app_source());
    t.filters.push_back(sink_filter("checker", FilterKind::KernelSink, PinHosting::Kernel));
    t.connections.push_back(conn("app", "output", "checker", "input"));
    return t;
}

Topology user_inplace_user() {
    Topology t;
    t.name = "user-inplace-user";
    t.filters.push_back(user_app_source());
    t.filters.push_back(inplace_overlay(2));
    t.filters.push_back(sink_filter("viewer", FilterKind::UserSink, PinHosting::User));
    t.connections.push_back(conn("app", "output", "overlay", "input"));
    t.connections.push_back(conn("overlay", "output", "viewer", "input"));
    return t;
}

Topology user_source_user_sink() {
    Topology t;
    t.name = "user-source-user-sink";
    t.filters.push_back(user_app_source());
    t.filters.push_back(sink_filter("viewer", FilterKind::UserSink, PinHosting::User));
    t.connections.push_back(conn("app", "output", "viewer", "input"));
    return t;
}

Topology user_copy_user() {
    Topology t;
    t.name = "user-copy-user";
    t.filters.push_back(user_app_source());
    t.filters.push_back(copy_filter("converter", std::nullopt));
    t.filters.push_back(sink_filter("viewer", FilterKind::UserSink, PinHosting::User));
    t.connections.push_back(conn("app", "output", "converter", "input"));
    t.connections.push_back(conn("converter", "output", "viewer", "input"));
    return t;
}

Topology copy_chain() {
    Topology t;
    t.name = "copy";
    t.filters.push_back(camera_filter(false, 2));
    t.filters.push_back(
        copy_filter("scaler", VideoParams{VideoFormat::Nv12, kWidth / 2, kHeight / 2, 30, 1}));
    t.filters.push_back(sink_filter("checker", FilterKind::KernelSink, PinHosting::Kernel));
    t.connections.push_back(conn("camera", "capture", "scaler", "input"));
    t.connections.push_back(conn("scaler", "output", "checker", "input"));
    return t;
}

AllocatorCommit default_commit(const Topology& t, std::uint32_t frames, Guid memory) {
    AllocatorCommit c;
    for (const auto& cn : t.connections)
        c.connections.emplace_back(PinRef{cn.from.filter, cn.from.pin}, PinRef{cn.to.filter, cn.to.pin});
    // A pipe with a user-hosted pin is user mode: the user-mode allocator serves it.
    bool user_mode = false;
    for (const auto& f : t.filters)
        for (const auto& p : f.pins) user_mode = user_mode || p.hosting == PinHosting::User;
    c.kind = user_mode ? AllocatorCommit::Kind::User : AllocatorCommit::Kind::Default;
    if (memory.is_null()) memory = user_mode ? memory_type::kUser : memory_type::kKernelNonPaged;
    c.provider = c.connections.front().second;
    c.memory_type = memory;
    c.frame_size = kImage;
    c.frames = frames;
    c.alignment_mask = file_alignment::kQuad;
    return c;
}

AllocatorCommit user_pipe_commit(std::vector<std::pair<PinRef, PinRef>> connections, PinRef provider,
                                 std::uint32_t frame_size, std::uint32_t frames) {
    AllocatorCommit c;
    c.connections = std::move(connections);
    c.kind = AllocatorCommit::Kind::User;
    c.provider = std::move(provider);
    c.memory_type = memory_type::kUser;
    c.frame_size = frame_size;
    c.frames = frames;
    c.alignment_mask = file_alignment::kQuad;
    return c;
}

}  // namespace ksim::daemon::testing
