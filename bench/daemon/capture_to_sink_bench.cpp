// Frames/s through the in-process Kernel (capture -> kernel sink, and capture -> in-place transform
// -> kernel sink in one pipe; fake clock: one frame period per iteration), against a baseline measured in the
// same run: rendering the same image into a frame buffer, i.e. the work the simulated DMA itself has to do
// (pool memory: one mapping per frame, rendered in place). The ratio is the Kernel's own overhead (queue,
// stream pointers, ledger, allocator, hand-off).
#include <benchmark/benchmark.h>

#include <string>
#include <utility>
#include <vector>

#include "ksim/daemon/content.hpp"
#include "ksim/daemon/kernel.hpp"
#include "null_kernel_peers.hpp"

namespace {

using namespace ksim;
using namespace ksim::daemon;
using bench::NullEvents;
using bench::NullPort;

proto::PinDescriptor pin(std::string id, proto::PinDirection direction, proto::AllocatorFramingEx framing) {
    proto::PinDescriptor p;
    p.id = std::move(id);
    p.direction = direction;
    p.framing = std::move(framing);
    return p;
}

proto::Topology topology(std::uint32_t w, std::uint32_t h) {
    proto::Topology t;
    proto::FilterDescriptor cam;
    cam.id = "camera";
    cam.kind = proto::FilterKind::VideoCapture;
    cam.video = proto::VideoParams{proto::VideoFormat::Nv12, w, h, 30, 1};
    proto::PinDescriptor out;
    out.id = "capture";
    out.direction = proto::PinDirection::Out;
    out.framing = proto::make_simple_framing(proto::memory_type::kKernelNonPaged,
                                             proto::RequirementFlags::SystemMemory, 4, 0, 4096, 4096);
    cam.pins.push_back(out);
    proto::FilterDescriptor sink;
    sink.id = "sink";
    sink.kind = proto::FilterKind::KernelSink;
    proto::PinDescriptor in;
    in.id = "input";
    in.direction = proto::PinDirection::In;
    in.framing = proto::make_simple_framing(proto::memory_type::kDontCare,
                                            proto::RequirementFlags::PreferencesOnly, 2, 0, 0, 0xFFFFFFFFu);
    sink.pins.push_back(in);
    t.filters = {cam, sink};
    t.connections.push_back(proto::Connection{{"camera", "capture"}, {"sink", "input"}, ""});
    return t;
}

// camera -> overlay (an in-place transform: INPLACE_MODIFIER on both pins) -> sink.
proto::Topology inplace_topology(std::uint32_t w, std::uint32_t h) {
    proto::Topology t = topology(w, h);
    proto::FilterDescriptor overlay;
    overlay.id = "overlay";
    overlay.kind = proto::FilterKind::InPlaceTransform;
    for (const auto direction : {proto::PinDirection::In, proto::PinDirection::Out})
        overlay.pins.push_back(pin(direction == proto::PinDirection::In ? "input" : "output", direction,
                                   proto::make_simple_framing(proto::memory_type::kDontCare,
                                                              proto::RequirementFlags::InPlaceModifier |
                                                                  proto::RequirementFlags::PreferencesOnly,
                                                              2, 0, 0, 0xFFFFFFFFu)));
    t.filters.insert(t.filters.begin() + 1, overlay);
    t.connections = {proto::Connection{{"camera", "capture"}, {"overlay", "input"}, ""},
                     proto::Connection{{"overlay", "output"}, {"sink", "input"}, ""}};
    return t;
}

void BM_Baseline_RenderOneImage(benchmark::State& state) {
    const proto::VideoParams v{proto::VideoFormat::Nv12, static_cast<std::uint32_t>(state.range(0)),
                               static_cast<std::uint32_t>(state.range(1)), 30, 1};
    auto gen = make_video_content(v);
    std::vector<std::byte> frame(gen->image_size());
    std::uint64_t n = 0;
    for (auto _ : state) {
        gen->render(frame, RenderInfo{n++, 0, 0});
        benchmark::DoNotOptimize(frame.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(n));
}

// The kernel, its pipe committed as `connections` (one pipe, pool memory, 4 frames), every pin
// in RUN from the sink up; then one frame period per iteration. Items: frames the sink completed.
void run_chain(benchmark::State& state, const proto::Topology& t,
               std::vector<std::pair<PinRef, PinRef>> connections) {
    const auto w = static_cast<std::uint32_t>(state.range(0)), h = static_cast<std::uint32_t>(state.range(1));
    NullEvents events;
    NullPort port;
    auto clock = std::make_shared<FakeClock>(0);
    KernelOptions o;
    o.clock = clock;
    o.streaming_threads = false;
    auto kernel = std::move(Kernel::create(t, o, events, port).value());
    AllocatorCommit c;
    c.connections = std::move(connections);
    c.provider = PinRef{"sink", "input"};
    c.memory_type = proto::memory_type::kKernelNonPaged;
    c.frame_size = proto::image_size(proto::VideoParams{proto::VideoFormat::Nv12, w, h, 30, 1});
    c.frames = 4;
    c.alignment_mask = 7;
    bool ok = kernel->commit(c).has_value();
    for (auto it = t.filters.rbegin(); ok && it != t.filters.rend(); ++it)
        for (const auto& p : it->pins)
            ok = ok && kernel->set_state(PinRef{it->id, p.id}, proto::PinState::Run, kDaemon).has_value();
    if (!ok) {
        state.SkipWithError("setup failed");
        return;
    }
    const Ticks period = kTicksPerSecond / 30;
    for (auto _ : state) {
        clock->advance(period);
        kernel->advance_time();
    }
    const auto s = kernel->stats(PinRef{"sink", "input"}).value();
    state.SetItemsProcessed(static_cast<std::int64_t>(s.completed));
    state.counters["dropped"] =
        static_cast<double>(kernel->stats(PinRef{"camera", "capture"}).value().dropped);
    kernel->shutdown();
}

void BM_Kernel_CaptureToKernelSink(benchmark::State& state) {
    const auto w = static_cast<std::uint32_t>(state.range(0)), h = static_cast<std::uint32_t>(state.range(1));
    run_chain(state, topology(w, h), {{PinRef{"camera", "capture"}, PinRef{"sink", "input"}}});
}

// The in-place transform inverts every byte of each frame where it is and passes it on.
void BM_Kernel_CaptureInPlaceToKernelSink(benchmark::State& state) {
    const auto w = static_cast<std::uint32_t>(state.range(0)), h = static_cast<std::uint32_t>(state.range(1));
    run_chain(state, inplace_topology(w, h),
              {{PinRef{"camera", "capture"}, PinRef{"overlay", "input"}},
               {PinRef{"overlay", "output"}, PinRef{"sink", "input"}}});
}

BENCHMARK(BM_Baseline_RenderOneImage)->Args({64, 48})->Args({640, 480})->Args({1920, 1080});
BENCHMARK(BM_Kernel_CaptureToKernelSink)->Args({64, 48})->Args({640, 480})->Args({1920, 1080});
BENCHMARK(BM_Kernel_CaptureInPlaceToKernelSink)->Args({64, 48})->Args({640, 480})->Args({1920, 1080});

}  // namespace

BENCHMARK_MAIN();
