// Frames/s through the in-process Kernel (capture -> kernel sink, fake clock: one frame period per
// iteration), against a baseline measured in the same run: rendering the same image into a frame
// buffer, i.e. the work the simulated DMA itself has to do (pool memory: one mapping per frame,
// rendered in place). The ratio is the Kernel's own overhead (queue, stream pointers, ledger,
// allocator, hand-off).
#include <benchmark/benchmark.h>

#include <vector>

#include "ksim/daemon/content.hpp"
#include "ksim/daemon/kernel.hpp"
#include "null_kernel_peers.hpp"

namespace {

using namespace ksim;
using namespace ksim::daemon;
using bench::NullEvents;
using bench::NullPort;

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

void BM_Kernel_CaptureToKernelSink(benchmark::State& state) {
    const auto w = static_cast<std::uint32_t>(state.range(0)), h = static_cast<std::uint32_t>(state.range(1));
    NullEvents events;
    NullPort port;
    auto clock = std::make_shared<FakeClock>(0);
    KernelOptions o;
    o.clock = clock;
    o.streaming_threads = false;
    auto kernel = std::move(Kernel::create(topology(w, h), o, events, port).value());
    AllocatorCommit c;
    c.connections = {{PinRef{"camera", "capture"}, PinRef{"sink", "input"}}};
    c.provider = PinRef{"sink", "input"};
    c.memory_type = proto::memory_type::kKernelNonPaged;
    c.frame_size = proto::image_size(proto::VideoParams{proto::VideoFormat::Nv12, w, h, 30, 1});
    c.frames = 4;
    c.alignment_mask = 7;
    if (!kernel->commit(c) || !kernel->set_state(PinRef{"sink", "input"}, proto::PinState::Run, kDaemon) ||
        !kernel->set_state(PinRef{"camera", "capture"}, proto::PinState::Run, kDaemon)) {
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

BENCHMARK(BM_Baseline_RenderOneImage)->Args({64, 48})->Args({640, 480})->Args({1920, 1080});
BENCHMARK(BM_Kernel_CaptureToKernelSink)->Args({64, 48})->Args({640, 480})->Args({1920, 1080});

}  // namespace

BENCHMARK_MAIN();
