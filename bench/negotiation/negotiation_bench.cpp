// Negotiation throughput on a synthetic topology of 10,000 connections:
//   BM_Baseline           a trivial per-connection pass over the same graph (look up both pins
//                         by id, combine frames/alignment/size): the floor any engine pays
//   BM_Negotiate          the engine: negotiate(Graph) -> records, then the records are freed
//   BM_NegotiateToJson    engine + the JSON text the graph manager would commit
//   *_KeptHeap            the same after mallopt(M_TRIM_THRESHOLD) keeps freed heap mapped (as a
//                         process that stays at its high-water mark). With glibc's default, freeing
//                         many MB of heap each iteration returns the top of the heap to the kernel,
//                         and the next iteration page-faults it back in (about 15 us per 4 KiB page
//                         on this VM). The records live in a result arena whose chunks are cached
//                         (record_storage.hpp), so BM_Negotiate no longer pays that; the JSON rows
//                         (nlohmann trees on the heap) still do. These rows run last because the
//                         setting is process-wide.
// Report connections/s of BM_Negotiate and its ratio to BM_Baseline from the same run:
//   ksim_negotiation_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <algorithm>
#include <unordered_map>

#include "ksim/negotiation/negotiate.hpp"
#include "ksim/negotiation/record_json.hpp"
#include "ksim/proto/memory_types.hpp"

namespace {

using namespace ksim;
using namespace ksim::negotiation;
namespace mt = proto::memory_type;

constexpr std::size_t kConnections = 10'000;

proto::FramingItem item(proto::Guid memory, std::uint32_t frames, std::uint32_t min, std::uint32_t max,
                        proto::RequirementFlags extra = proto::RequirementFlags::None) {
    auto f = proto::make_simple_framing(memory, proto::RequirementFlags::PreferencesOnly | extra, frames,
                                        0x3F, min, max);
    return f.items[0];
}

PinInput make_pin(std::string id, proto::PinDirection dir, proto::PinHosting host, proto::FramingItem it) {
    PinInput p;
    p.id = std::move(id);
    p.direction = dir;
    p.hosting = host;
    p.framing.emplace();
    p.framing->items.push_back(it);
    return p;
}

// A mix like real graphs: capture → kernel sink with a vendor DMA allocator (selected),
// capture → user client (vendor rejected by mode), legacy-framed pins, and in-place chains
// (two connections per pipe), cycling so that the total is kConnections connections.
Graph synthetic_graph() {
    Graph g;
    g.name = "bench-10k";
    g.memory_types.push_back({"VENDOR_DMA", proto::make_guid("6B1F5A3C-2D4E-4F70-9A81-5C3D2E1F0A01"),
                              proto::MemoryClass::DeviceSpecific});
    proto::VendorAllocatorCaps dma;
    dma.name = "vendor_dma";
    dma.memory_type = g.memory_types[0].guid;
    dma.max_frames = 8;
    dma.alignment_mask = proto::file_alignment::kPage;
    dma.max_frame_size = 8u << 20;
    using D = proto::PinDirection;
    using H = proto::PinHosting;
    for (std::size_t i = 0; g.connections.size() < kConnections; ++i) {
        const std::string n = std::to_string(i);
        const std::uint32_t size = 4096u * (1 + static_cast<std::uint32_t>(i % 64));
        switch (i % 4) {
            case 0: {  // kernel chain, vendor DMA selected
                auto out =
                    make_pin("cam" + n + ".out", D::Out, H::Kernel, item(mt::kKernelNonPaged, 4, size, size));
                out.allocator = dma;
                g.pins.push_back(std::move(out));
                g.pins.push_back(
                    make_pin("chk" + n + ".in", D::In, H::Kernel, item(mt::kDontCare, 2, 0, 0xFFFFFFFFu)));
                g.connections.push_back({"cam" + n + ".out", "chk" + n + ".in"});
                break;
            }
            case 1: {  // user-mode client: vendor rejected by the mode rule
                auto out =
                    make_pin("cam" + n + ".out", D::Out, H::Kernel, item(mt::kKernelNonPaged, 4, size, size));
                out.allocator = dma;
                g.pins.push_back(std::move(out));
                g.pins.push_back(
                    make_pin("app" + n + ".in", D::In, H::User, item(mt::kDontCare, 2, 0, 0xFFFFFFFFu)));
                g.connections.push_back({"cam" + n + ".out", "app" + n + ".in"});
                break;
            }
            case 2: {  // legacy-framed source
                PinInput out;
                out.id = "old" + n + ".out";
                out.direction = D::Out;
                out.legacy_framing = proto::AllocatorFraming{0x2, proto::PoolType::NonPaged, 3, size, 0x3, 0};
                g.pins.push_back(std::move(out));
                g.pins.push_back(make_pin("snk" + n + ".in", D::In, H::Kernel,
                                          item(mt::kKernelNonPaged, 2, 0, 0xFFFFFFFFu)));
                g.connections.push_back({"old" + n + ".out", "snk" + n + ".in"});
                break;
            }
            default: {  // in-place chain: two connections, one pipe
                const auto ip = proto::RequirementFlags::InPlaceModifier;
                g.pins.push_back(make_pin("src" + n + ".out", D::Out, H::Kernel,
                                          item(mt::kKernelNonPaged, 3, size, size)));
                g.pins.push_back(make_pin("ovl" + n + ".in", D::In, H::Kernel,
                                          item(mt::kDontCare, 3, 0, 0xFFFFFFFFu, ip)));
                g.pins.push_back(make_pin("ovl" + n + ".out", D::Out, H::Kernel,
                                          item(mt::kDontCare, 3, 0, 0xFFFFFFFFu, ip)));
                g.pins.push_back(
                    make_pin("end" + n + ".in", D::In, H::Kernel, item(mt::kDontCare, 3, 0, 0xFFFFFFFFu)));
                g.connections.push_back({"src" + n + ".out", "ovl" + n + ".in"});
                g.connections.push_back({"ovl" + n + ".out", "end" + n + ".in"});
                g.in_place.push_back({"ovl" + n + ".in", "ovl" + n + ".out"});
                break;
            }
        }
    }
    return g;
}

const Graph& graph() {
    static const Graph g = synthetic_graph();
    return g;
}

// The floor: index pins by id, then per connection find both pins and combine the first item's
// frames, alignment and optimal size.
void BM_Baseline(benchmark::State& state) {
    const Graph& g = graph();
    for (auto _ : state) {
        std::unordered_map<std::string_view, const PinInput*> index;
        index.reserve(g.pins.size());
        for (const auto& p : g.pins) index.emplace(p.id, &p);
        std::vector<ResultFraming> out;
        out.reserve(g.connections.size());
        for (const auto& c : g.connections) {
            const PinInput* a = index.at(c.from);
            const PinInput* b = index.at(c.to);
            ResultFraming f{};
            for (const PinInput* p : {a, b}) {
                if (!p->framing) continue;
                const auto& it = p->framing->items.front();
                f.frames = std::max(f.frames, it.frames);
                f.alignment_mask |= it.file_alignment;
                f.frame_size =
                    std::max(f.frame_size, std::min(it.framing_range.range.max_frame_size, 1u << 24));
            }
            out.push_back(f);
        }
        benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * g.connections.size()));
}
BENCHMARK(BM_Baseline)->Unit(benchmark::kMillisecond);

void BM_Negotiate(benchmark::State& state) {
    const Graph& g = graph();
    for (auto _ : state) {
        auto result = negotiate(g);
        benchmark::DoNotOptimize(result);
        if (!result || !result->all_satisfied()) state.SkipWithError("synthetic graph must negotiate");
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * g.connections.size()));
}
BENCHMARK(BM_Negotiate)->Unit(benchmark::kMillisecond);

void BM_NegotiateToJson(benchmark::State& state) {
    const Graph& g = graph();
    for (auto _ : state) {
        auto text = to_json(*negotiate(g)).dump();
        benchmark::DoNotOptimize(text);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * g.connections.size()));
}
BENCHMARK(BM_NegotiateToJson)->Unit(benchmark::kMillisecond);

// From here on freed memory stays mapped; see the header comment.
template <auto Bench>
void kept_heap(benchmark::State& state) {
    static const bool kept = mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
    if (!kept) state.SkipWithError("mallopt(M_TRIM_THRESHOLD) failed");
    Bench(state);
}
BENCHMARK(kept_heap<BM_Baseline>)->Name("BM_Baseline_KeptHeap")->Unit(benchmark::kMillisecond);
BENCHMARK(kept_heap<BM_Negotiate>)->Name("BM_Negotiate_KeptHeap")->Unit(benchmark::kMillisecond);
BENCHMARK(kept_heap<BM_NegotiateToJson>)->Name("BM_NegotiateToJson_KeptHeap")->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
