// Frames into a minidriver: the flow test driver's input pin (tests/drivers/flow_driver.c)
// hosted by the in-process Kernel, fed by a driver's output pin (the recording driver) or by a
// built-in camera. Frames reach its queue in order with their bytes and headers, its Process
// runs only in RUN, advancing past a frame returns it to its pool, and after STOP the ledger
// and the pools are empty. Negotiation reads the input pin's framing as for an output pin.
#include <dlfcn.h>
#include <fmt/format.h>

#include <cstring>
#include <span>

#include "flow_driver.h"
#include "kernel_fixture.hpp"
#include "ksim/daemon/transforms.hpp"
#include "ksim/ddk_host/driver_host.hpp"
#include "ksim/negotiation/negotiate.hpp"
#include "ksim/negotiation/render.hpp"
#include "ksim/proto/topology_loader.hpp"
#include "recording_driver.h"

namespace ksim::daemon::testing {
namespace {

using proto::PinState;

// The flow driver's record, read from the module the DriverHost loaded (same process).
class FlowRecording {
public:
    FlowRecording() {
        handle_ = ::dlopen(KSIM_FLOW_DRIVER, RTLD_NOW);
        record_ = reinterpret_cast<PFN_FLOW_RECORD>(::dlsym(handle_, "ksim_flow_record"));
        reinterpret_cast<PFN_FLOW_RESET>(::dlsym(handle_, "ksim_flow_reset"))();
    }
    ~FlowRecording() { ::dlclose(handle_); }
    FlowRecording(const FlowRecording&) = delete;
    FlowRecording& operator=(const FlowRecording&) = delete;
    const FlowRecord* operator->() const { return record_(); }

private:
    void* handle_ = nullptr;
    PFN_FLOW_RECORD record_ = nullptr;
};

// What the recording driver writes into frame n (recording_driver.c): n in the first 8 bytes,
// every other byte n's low byte.
std::vector<UCHAR> recorder_frame(std::int64_t n, std::uint32_t size) {
    std::vector<UCHAR> bytes(size, static_cast<UCHAR>(n & 0xFF));
    std::memcpy(bytes.data(), &n, 8);
    return bytes;
}
std::uint64_t recorder_frame_hash(std::int64_t n, std::uint32_t size) {
    const std::vector<UCHAR> bytes = recorder_frame(n, size);
    return flow_hash(bytes.data(), size);
}

constexpr std::string_view kVideo =
    R"("video": {"format": "NV12", "width": 64, "height": 48, "fps": [30, 1]})";

class KernelDriverFlowTest : public KernelTest {
protected:
    // `camera`: the upstream filter's JSON (without id); consumer: the flow driver's Consumer.
    proto::Topology load(std::string_view camera_filter) {
        return load_text(fmt::format(
            R"({{"ksim_topology": 1, "name": "driver-flow-test", "filters": [
                {{"id": "camera", {}, {}}},
                {{"id": "consumer", "driver": {{"module": "{}", "filter": "Consumer"}}, {}}}],
              "connections": [{{"from": "camera.capture", "to": "consumer.input"}}]}})",
            camera_filter, kVideo, KSIM_FLOW_DRIVER, kVideo));
    }
    // camera (the recorder) -> copier (`copier`: a filter's JSON without its id) -> consumer.
    proto::Topology recorder_chain_through(std::string_view name, std::string_view copier) {
        return load_text(fmt::format(
            R"({{"ksim_topology": 1, "name": "{}", "filters": [
                {{"id": "camera", "driver": {{"module": "{}", "filter": "Recorder"}}, {}}},
                {{"id": "copier", {}}},
                {{"id": "consumer", "driver": {{"module": "{}", "filter": "Consumer"}}, {}}}],
              "connections": [{{"from": "camera.capture", "to": "copier.input"}},
                              {{"from": "copier.output", "to": "consumer.input"}}]}})",
            name, KSIM_RECORDING_DRIVER, kVideo, copier, KSIM_FLOW_DRIVER, kVideo));
    }
    // camera (the recording driver) -> copier (the flow driver's filter-centric `transform`:
    // Copier, or InPlaceInverter) -> consumer.
    proto::Topology load_chain(std::string_view transform = "Copier") {
        return recorder_chain_through("driver-flow-chain",
                                      fmt::format(R"("driver": {{"module": "{}", "filter": "{}"}}, {})",
                                                  KSIM_FLOW_DRIVER, transform, kVideo));
    }
    proto::Topology load_text(const std::string& text) {
        drivers = std::make_shared<ddk_host::DriverHost>();
        auto t = proto::load_topology_text(text, "/tests/driver-flow-test.json",
                                           proto::LoadOptions{drivers.get()});
        if (!t) {
            ADD_FAILURE() << t.error().front().to_string();
            return {};
        }
        return *t;
    }
    // Commits what negotiation decided for every pipe, as the graph manager does.
    void commit_negotiated(const proto::Topology& t) {
        const negotiation::NegotiationResult r = negotiation::negotiate(t);
        for (const negotiation::PipeRecord& pipe : r.pipes) {
            ASSERT_TRUE(pipe.decision.allocator.has_value()) << pipe.id;
            AllocatorCommit c;
            for (const auto& id : pipe.connections)
                for (const auto& rec : r.connections)
                    if (rec.id == id)
                        c.connections.emplace_back(proto::parse_pin_ref(rec.from).value(),
                                                   proto::parse_pin_ref(rec.to).value());
            c.kind = pipe.decision.allocator->kind;
            c.provider = proto::parse_pin_ref(pipe.decision.allocator->pin).value();
            c.memory_type = pipe.decision.allocator->memory_type;
            c.frame_size = pipe.decision.framing.frame_size;
            c.frames = pipe.decision.framing.frames;
            c.alignment_mask = pipe.decision.framing.alignment_mask;
            auto committed = kernel->commit(c);
            ASSERT_TRUE(committed.has_value()) << committed.error().message;
        }
    }
    void expect_everything_home() {
        EXPECT_TRUE(kernel->ledger().empty());
        EXPECT_EQ(stats(camera).in_flight, 0u);
        EXPECT_EQ(stats(consumer).in_flight, 0u);
    }

    // The consumer read the recorder's frames from..count-1 in order, byte for byte.
    void expect_recorder_frames(unsigned from, unsigned count) {
        for (unsigned i = from; i < count && i < FLOW_MAX_FRAMES; ++i) {
            SCOPED_TRACE(i);
            const FlowFrame& f = flow->log[i];
            EXPECT_EQ(f.picture_number, i + 1);
            EXPECT_EQ(f.data_used, kImage);
            EXPECT_EQ(f.hash, recorder_frame_hash(i + 1, kImage));
        }
    }
    // The consumer read the recorder's first `count` frames in order, every byte inverted.
    void expect_inverted_recorder_frames(unsigned count) {
        for (unsigned i = 0; i < count && i < FLOW_MAX_FRAMES; ++i) {
            SCOPED_TRACE(i);
            std::vector<UCHAR> inverted = recorder_frame(i + 1, kImage);
            for (UCHAR& b : inverted) b = static_cast<UCHAR>(~b);
            EXPECT_EQ(flow->log[i].picture_number, i + 1);
            EXPECT_EQ(flow->log[i].data_used, kImage);
            EXPECT_EQ(flow->log[i].hash, flow_hash(inverted.data(), kImage));
        }
    }
    void run_chain() {
        for (const PinRef& p : {consumer, copier_out, copier_in, camera}) set(p, PinState::Run);
    }
    // Both of the copier's pins are `driver`'s: its verifier watches them (ksimctl verifier shows it).
    void expect_copier_hosted_by(std::string_view driver) {
        for (const PinRef& p : {copier_in, copier_out}) {
            auto report = kernel->verifier_report(p);
            ASSERT_TRUE(report.has_value()) << p.to_string() << ": " << report.error().message;
            EXPECT_EQ(report->driver, driver);
        }
    }
    void stop_chain() {
        for (const PinRef& p : {camera, copier_in, copier_out, consumer}) set(p, PinState::Stop);
        EXPECT_TRUE(kernel->ledger().empty());
        for (const PinRef& p : {camera, copier_in, copier_out, consumer}) EXPECT_EQ(stats(p).in_flight, 0u);
    }

    FlowRecording flow;
    std::shared_ptr<ddk_host::DriverHost> drivers;
    const PinRef consumer{"consumer", "input"};
    const PinRef copier_in{"copier", "input"};
    const PinRef copier_out{"copier", "output"};
};

std::string recorder() {
    return fmt::format(R"("driver": {{"module": "{}", "filter": "Recorder"}})", KSIM_RECORDING_DRIVER);
}

TEST_F(KernelDriverFlowTest, Negotiation_ReadsTheDriverInputPinsFraming) {
    const proto::Topology t = load(recorder());
    const proto::PinDescriptor* in = t.find_pin(proto::PinRef{"consumer", "input"});
    ASSERT_NE(in, nullptr);
    EXPECT_EQ(in->direction, proto::PinDirection::In);
    EXPECT_EQ(in->hosting, proto::PinHosting::Kernel);
    ASSERT_TRUE(in->framing.has_value());
    EXPECT_EQ(in->framing->items.at(0).frames, 4u);
    // The offline record: a kernel-mode connection, the recorder's allocator selected, and the
    // input pin's 4 frames (the recorder asks for 3) in the framing InitializeAllocator receives.
    const negotiation::NegotiationResult r = negotiation::negotiate(t);
    ASSERT_EQ(r.pipes.size(), 1u);
    const negotiation::Decision& d = r.pipes[0].decision;
    EXPECT_EQ(d.mode, negotiation::ConnectionMode::Kernel);
    ASSERT_TRUE(d.allocator.has_value());
    EXPECT_EQ(d.allocator->kind, proto::AllocatorKind::Vendor);
    EXPECT_EQ(d.framing.frames, 4u);
    EXPECT_EQ(d.framing.frame_size, kImage);
    ASSERT_TRUE(d.create_request.has_value());
    EXPECT_EQ(d.create_request->frames, 4u);
    const std::string explain = negotiation::render_explain(r);
    EXPECT_NE(explain.find("consumer.input"), std::string::npos) << explain;
}

TEST_F(KernelDriverFlowTest, FromADriverOutput_TheInputPinReadsEveryFrameInOrderWithItsBytes) {
    const proto::Topology t = load(recorder());
    make(t, drivers);
    commit_negotiated(t);
    EXPECT_EQ(flow->connect, 1u);
    set(consumer, PinState::Run);
    set(camera, PinState::Run);
    run_periods(10);
    ASSERT_EQ(flow->frames, 10u);
    EXPECT_EQ(flow->process_outside_run, 0u);
    for (unsigned i = 0; i < 10; ++i) {
        const FlowFrame& f = flow->log[i];
        SCOPED_TRACE(i);
        EXPECT_EQ(f.picture_number, i + 1);
        EXPECT_EQ(f.first_word, i + 1);
        EXPECT_EQ(f.data_used, kImage);
        EXPECT_EQ(f.remaining, kImage);  // OffsetIn covers DataUsed
        EXPECT_EQ(f.hash, recorder_frame_hash(i + 1, kImage));
        EXPECT_NE(f.options_flags & KSSTREAM_HEADER_OPTIONSF_TIMEVALID, 0u);
    }
    EXPECT_EQ(stats(consumer).completed, 10u);
    EXPECT_EQ(stats(camera).allocator, "vendor:recorder_dma");

    // In PAUSE the frames queue up and Process waits (PROCESS_IN_RUN_STATE_ONLY); back in RUN it
    // reads them, still in order.
    set(consumer, PinState::Pause);
    const unsigned process_calls = flow->process;
    run_periods(3);
    EXPECT_EQ(flow->process, process_calls);
    EXPECT_EQ(flow->frames, 10u);
    EXPECT_GT(stats(consumer).in_flight, 0u);
    set(consumer, PinState::Run);
    EXPECT_EQ(flow->process, process_calls + 1);
    run_periods(4);
    ASSERT_GT(flow->frames, 13u);
    for (unsigned i = 10; i < flow->frames && i < FLOW_MAX_FRAMES; ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(flow->log[i].picture_number, i + 1);
        EXPECT_EQ(flow->log[i].hash, recorder_frame_hash(i + 1, kImage));
    }
    EXPECT_EQ(flow->process_outside_run, 0u);

    set(camera, PinState::Stop);
    set(consumer, PinState::Stop);
    expect_everything_home();
    void* recorder_module = ::dlopen(KSIM_RECORDING_DRIVER, RTLD_NOW | RTLD_NOLOAD);
    ASSERT_NE(recorder_module, nullptr);
    const RecordingCounts* rec =
        reinterpret_cast<PFN_RECORDING_COUNTS>(::dlsym(recorder_module, "ksim_recording_counts"))();
    EXPECT_GT(rec->allocate, 4u);
    EXPECT_EQ(rec->allocate, rec->free_calls);  // every frame the recorder's allocator gave came back
    ::dlclose(recorder_module);
}

TEST_F(KernelDriverFlowTest, FromABuiltInCamera_FramesArriveInOrder_AndGoHomeAtStop) {
    const proto::Topology t = load(R"("kind": "video_capture", "pins": [{"id": "capture", "direction": "out",
        "hosting": "kernel", "framing": {"simple": {"memory_type": "KERNEL_NONPAGED", "flags": ["PREFERENCES_ONLY"],
        "frames": 2, "alignment": "FILE_QUAD_ALIGNMENT", "min_frame_size": 0, "max_frame_size": 4294967295}}}])");
    make(t, drivers);
    commit_negotiated(t);
    set(consumer, PinState::Pause);
    set(camera, PinState::Run);
    run_periods(2);
    EXPECT_EQ(flow->process, 0u);  // frames wait in PAUSE
    EXPECT_EQ(flow->frames, 0u);
    set(consumer, PinState::Run);
    run_periods(8);
    ASSERT_GE(flow->frames, 8u);
    for (unsigned i = 0; i < flow->frames; ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(flow->log[i].picture_number, i + 1);
        EXPECT_EQ(flow->log[i].data_used, kImage);
    }
    // Stopped with frames still queued at the consumer: the flush returns them.
    set(consumer, PinState::Pause);
    run_periods(2);
    EXPECT_GT(stats(consumer).in_flight, 0u);
    set(consumer, PinState::Stop);
    set(camera, PinState::Stop);
    expect_everything_home();
    EXPECT_EQ(flow->process_outside_run, 0u);
}

TEST_F(KernelDriverFlowTest, ADriverInputPinBelowPause_DropsWhatArrives) {
    const proto::Topology t = load(recorder());
    make(t, drivers);
    commit_negotiated(t);
    set(consumer, PinState::Acquire);
    set(camera, PinState::Run);
    run_periods(3);
    EXPECT_EQ(flow->frames, 0u);
    EXPECT_EQ(stats(consumer).dropped, 3u);
    EXPECT_EQ(stats(consumer).in_flight, stats(camera).in_flight);  // one pipe: only the camera's queue
    set(camera, PinState::Stop);
    set(consumer, PinState::Stop);
    expect_everything_home();
}

TEST_F(KernelDriverFlowTest, FilterCentric_CopiesEachInputFrameIntoAnOutputFrame_ByteForByteDownstream) {
    const proto::Topology t = load_chain();
    make(t, drivers);
    commit_negotiated(t);
    run_chain();
    run_periods(10);
    EXPECT_EQ(flow->copied, 10u);
    EXPECT_EQ(flow->filter_process, 10u);  // one per input frame: each call used one of each
    ASSERT_EQ(flow->frames, 10u);
    expect_recorder_frames(0, 10);
    EXPECT_EQ(flow->index_errors, 0u);
    EXPECT_EQ(flow->filter_process_missing_data, 0u);
    EXPECT_EQ(flow->filter_process_outside_run, 0u);
    EXPECT_EQ(stats(copier_out).completed, 10u);
    stop_chain();
}

TEST_F(KernelDriverFlowTest, InPlacePairInOnePipe_EachInputFrameGoesOnThroughTheOutputPin_ModifiedWhereItIs) {
    const proto::Topology t = load_chain("InPlaceInverter");
    // Both pins declare INPLACE_MODIFIER: the kernel chain through them is one pipe.
    const negotiation::NegotiationResult r = negotiation::negotiate(t);
    ASSERT_EQ(r.pipes.size(), 1u);
    EXPECT_EQ(r.pipes[0].connections.size(), 2u);
    make(t, drivers);
    commit_negotiated(t);
    run_chain();
    run_periods(10);
    // One in-place section: each call saw the pins as each other's InPlaceCounterpart, the output
    // process pin showing the input's frame, and was called although the output pin has no
    // frames of its own (it takes none from the pool).
    EXPECT_EQ(flow->inverter_process, 10u);
    EXPECT_EQ(flow->inverter_counterparts, 10u);
    EXPECT_EQ(flow->inverter_same_frame, 10u);
    EXPECT_EQ(flow->inverted, 10u);
    // The consumer got the recorder's frames in order, inverted where they were.
    ASSERT_EQ(flow->frames, 10u);
    expect_inverted_recorder_frames(10);
    // Counted on both pins of the pair; the ledger passed each frame input -> output -> consumer.
    EXPECT_EQ(stats(copier_in).completed, 10u);
    EXPECT_EQ(stats(copier_out).completed, 10u);
    EXPECT_EQ(stats(copier_out).dropped, 0u);
    stop_chain();
}

TEST_F(KernelDriverFlowTest, BuiltInInPlaceTransformInOnePipe_InvertsEachFrameWhereItIs_AndPassesItOn) {
    // camera (the recorder) -> overlay (kind inplace_transform: the built-in driver) -> consumer.
    constexpr std::string_view kInPlacePin =
        R"({{"id": "{}", "direction": "{}", "hosting": "kernel", "framing": {{"simple": {{"memory_type": "DONT_CARE",
            "flags": ["INPLACE_MODIFIER", "PREFERENCES_ONLY"], "frames": 2, "alignment": "FILE_QUAD_ALIGNMENT",
            "min_frame_size": 0, "max_frame_size": 4294967295}}}}}})";
    const proto::Topology t = recorder_chain_through(
        "builtin-inplace", fmt::format(R"("kind": "inplace_transform", "pins": [{}, {}])",
                                       fmt::format(fmt::runtime(kInPlacePin), "input", "in"),
                                       fmt::format(fmt::runtime(kInPlacePin), "output", "out")));
    ASSERT_EQ(negotiation::negotiate(t).pipes.size(), 1u);
    make(t, drivers);
    commit_negotiated(t);
    expect_copier_hosted_by("builtin:inplace_transform");
    run_chain();
    run_periods(10);
    ASSERT_EQ(flow->frames, 10u);
    expect_inverted_recorder_frames(10);
    EXPECT_EQ(stats(copier_in).completed, 10u);
    EXPECT_EQ(stats(copier_out).completed, 10u);
    EXPECT_EQ(stats(copier_in).verifier_violations, 0u);
    stop_chain();
}

TEST_F(KernelDriverFlowTest, BuiltInCopyTransform_ScalesAndConvertsEachFrameIntoItsOwnPipe) {
    // camera (the recorder, NV12 64x48) -> copier (kind copy_transform, YUY2 32x24: the built-in
    // driver) -> consumer. Two pipes: the copier's output frames are its own pool's.
    constexpr std::string_view kCopyPin =
        R"({{"id": "{}", "direction": "{}", "hosting": "kernel", "framing": {{"simple": {{"memory_type": "DONT_CARE",
            "flags": ["PREFERENCES_ONLY"], "frames": 2, "alignment": "FILE_QUAD_ALIGNMENT",
            "min_frame_size": 0, "max_frame_size": 4294967295}}}}}})";
    const proto::VideoParams from{proto::VideoFormat::Nv12, kWidth, kHeight, 30, 1};
    const proto::VideoParams to{proto::VideoFormat::Yuy2, kWidth / 2, kHeight / 2, 30, 1};
    const proto::Topology t = recorder_chain_through(
        "builtin-copy", fmt::format(R"("kind": "copy_transform",
                       "video": {{"format": "YUY2", "width": {}, "height": {}, "fps": [30, 1]}}, "pins": [{}, {}])",
                                    to.width, to.height, fmt::format(fmt::runtime(kCopyPin), "input", "in"),
                                    fmt::format(fmt::runtime(kCopyPin), "output", "out")));
    ASSERT_EQ(negotiation::negotiate(t).pipes.size(), 2u);
    make(t, drivers);
    commit_negotiated(t);
    expect_copier_hosted_by("builtin:copy_transform");
    run_chain();
    run_periods(10);
    // Each of the recorder's frames reached the consumer scaled and converted, with its number.
    ASSERT_EQ(flow->frames, 10u);
    for (unsigned i = 0; i < 10; ++i) {
        SCOPED_TRACE(i);
        const std::vector<UCHAR> in = recorder_frame(i + 1, kImage);
        std::vector<UCHAR> out(proto::image_size(to));
        ASSERT_EQ(scale_video(std::as_bytes(std::span(in)), from, std::as_writable_bytes(std::span(out)), to),
                  out.size());
        EXPECT_EQ(flow->log[i].picture_number, i + 1);
        EXPECT_EQ(flow->log[i].data_used, out.size());
        EXPECT_EQ(flow->log[i].hash, flow_hash(out.data(), static_cast<ULONG>(out.size())));
    }
    EXPECT_EQ(stats(copier_in).completed, 10u);
    EXPECT_EQ(stats(copier_out).completed, 10u);
    EXPECT_EQ(stats(copier_out).dropped, 0u);
    EXPECT_EQ(stats(copier_in).verifier_violations, 0u);
    EXPECT_EQ(stats(copier_out).verifier_violations, 0u);
    stop_chain();
}

TEST_F(KernelDriverFlowTest, InPlaceTransformThatIsNoInPlacePair_IsRefusedByName) {
    // Without INPLACE_MODIFIER the pins are no in-place pair: the transform could pass nothing on.
    // A config file saying so is refused by the reader (filter.in-place-pair); a topology built
    // in code reaches Kernel::create, which refuses it too.
    const proto::Topology t = load_text(fmt::format(
        R"({{"ksim_topology": 1, "name": "builtin-inplace-unflagged", "filters": [
            {{"id": "camera", "driver": {{"module": "{}", "filter": "Recorder"}}, {}}},
            {{"id": "overlay", "kind": "kernel_sink", "pins": [
              {{"id": "input", "direction": "in", "hosting": "kernel"}}]}}],
          "connections": [{{"from": "camera.capture", "to": "overlay.input"}}]}})",
        KSIM_RECORDING_DRIVER, kVideo));
    proto::Topology unflagged = t;
    unflagged.filters[1].kind = proto::FilterKind::InPlaceTransform;
    proto::PinDescriptor output = unflagged.filters[1].pins[0];
    output.id = "output";
    output.direction = proto::PinDirection::Out;
    unflagged.filters[1].pins.push_back(output);
    KernelOptions o;
    o.drivers = drivers;
    auto k = Kernel::create(unflagged, o, events, port);
    ASSERT_FALSE(k.has_value());
    EXPECT_NE(k.error().message.find("filter overlay"), std::string::npos) << k.error().message;
    EXPECT_NE(k.error().message.find("INPLACE_MODIFIER"), std::string::npos) << k.error().message;
}

TEST_F(KernelDriverFlowTest, FilterCentric_NotCalledWhileARequiredPinLacksFrames) {
    const proto::Topology t = load_chain();
    make(t, drivers);
    commit_negotiated(t);
    // The output pin stays in ACQUIRE: its queue holds no frame, so the copier cannot process
    // though input frames arrive and wait.
    set(consumer, PinState::Run);
    set(copier_out, PinState::Acquire);
    set(copier_in, PinState::Run);
    set(camera, PinState::Run);
    run_periods(3);
    EXPECT_EQ(flow->filter_process, 0u);
    EXPECT_EQ(stats(copier_in).completed, 3u);
    EXPECT_GT(stats(copier_in).in_flight, 0u);
    // Output frames arrive in PAUSE (that pin has no PROCESS_IN_RUN_STATE_ONLY): the waiting
    // input frames are copied at once, in order, as far as the output frames go.
    set(copier_out, PinState::Pause);
    EXPECT_GT(flow->copied, 0u);
    EXPECT_EQ(flow->copied, flow->filter_process);
    set(copier_out, PinState::Run);
    run_periods(6);
    ASSERT_GE(flow->frames, 6u);
    expect_recorder_frames(0, flow->frames);
    EXPECT_EQ(flow->filter_process_missing_data, 0u);
    // The input pin (PROCESS_IN_RUN_STATE_ONLY) below RUN holds Process off too.
    set(copier_in, PinState::Pause);
    const unsigned calls = flow->filter_process;
    run_periods(2);
    EXPECT_EQ(flow->filter_process, calls);
    set(copier_in, PinState::Run);
    EXPECT_GT(flow->filter_process, calls);
    EXPECT_EQ(flow->filter_process_outside_run, 0u);
    stop_chain();
}

TEST_F(KernelDriverFlowTest, FilterCentric_AfterStatusPending_WaitsForKsFilterAttemptProcessing) {
    const proto::Topology t = load_chain();
    make(t, drivers);
    commit_negotiated(t);
    void* module = ::dlopen(KSIM_FLOW_DRIVER, RTLD_NOW | RTLD_NOLOAD);
    ASSERT_NE(module, nullptr);
    reinterpret_cast<PFN_FLOW_PEND_NEXT>(::dlsym(module, "ksim_flow_pend_next"))(4);
    ::dlclose(module);
    run_chain();
    run_periods(3);
    EXPECT_EQ(flow->pended, 1u);
    EXPECT_EQ(flow->filter_process, 1u);  // frames kept arriving: no call while it pends
    EXPECT_EQ(flow->copied, 0u);
    run_periods(3);  // the timer's KsFilterAttemptProcessing ends the pend: the waiting frames go
    EXPECT_EQ(flow->attempts, 1u);
    EXPECT_GE(flow->copied, 3u);
    ASSERT_GE(flow->frames, 3u);
    expect_recorder_frames(0, flow->frames);
    stop_chain();
}

TEST(DriverConfig, FilterCentricFilterWithAPinCentricPin_IsRefused) {
    ddk_host::DriverHost drivers;
    const auto t =
        proto::load_topology_text(fmt::format(R"({{"ksim_topology": 1, "name": "conflict", "filters": [
            {{"id": "copier", "driver": {{"module": "{}", "filter": "CopierPinProcess"}}, {}}}],
            "connections": []}})",
                                              KSIM_FLOW_DRIVER, kVideo),
                                  "/tests/conflict.json", proto::LoadOptions{&drivers});
    ASSERT_FALSE(t.has_value());
    ASSERT_EQ(t.error().size(), 1u);
    EXPECT_EQ(t.error().front().rule, "driver.process-conflict");
    EXPECT_NE(t.error().front().message.find("pin \"input\""), std::string::npos)
        << t.error().front().message;
}

}  // namespace
}  // namespace ksim::daemon::testing
