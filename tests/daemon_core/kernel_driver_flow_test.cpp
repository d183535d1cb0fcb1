// Frames into a minidriver: the flow test driver's input pin (tests/drivers/flow_driver.c)
// hosted by the in-process Kernel, fed by a driver's output pin (the recording driver) or by a
// built-in camera. Frames reach its queue in order with their bytes and headers, its Process
// runs only in RUN, advancing past a frame returns it to its pool, and after STOP the ledger
// and the pools are empty. Negotiation reads the input pin's framing as for an output pin.
#include <dlfcn.h>
#include <fmt/format.h>

#include <cstring>

#include "flow_driver.h"
#include "kernel_fixture.hpp"
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
std::uint64_t recorder_frame_hash(std::int64_t n, std::uint32_t size) {
    std::vector<UCHAR> bytes(size, static_cast<UCHAR>(n & 0xFF));
    std::memcpy(bytes.data(), &n, 8);
    return flow_hash(bytes.data(), size);
}

constexpr std::string_view kVideo =
    R"("video": {"format": "NV12", "width": 64, "height": 48, "fps": [30, 1]})";

class KernelDriverFlowTest : public KernelTest {
protected:
    // `camera`: the upstream filter's JSON (without id); consumer: the flow driver's Consumer.
    proto::Topology load(std::string_view camera_filter) {
        drivers = std::make_shared<ddk_host::DriverHost>();
        const std::string text = fmt::format(
            R"({{"ksim_topology": 1, "name": "driver-flow-test", "filters": [
                {{"id": "camera", {}, {}}},
                {{"id": "consumer", "driver": {{"module": "{}", "filter": "Consumer"}}, {}}}],
              "connections": [{{"from": "camera.capture", "to": "consumer.input"}}]}})",
            camera_filter, kVideo, KSIM_FLOW_DRIVER, kVideo);
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
                        c.connections.emplace_back(PinKey::parse(std::string(rec.from)).value(),
                                                   PinKey::parse(std::string(rec.to)).value());
            c.kind = pipe.decision.allocator->kind;
            c.provider = PinKey::parse(std::string(pipe.decision.allocator->pin)).value();
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

    FlowRecording flow;
    std::shared_ptr<ddk_host::DriverHost> drivers;
    const PinKey consumer{"consumer", "input"};
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

}  // namespace
}  // namespace ksim::daemon::testing
