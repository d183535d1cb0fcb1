// Creating and populating a 64 MiB region (memfd, fallocate, seals, MAP_POPULATE mapping)
// against a raw anonymous shared mmap(MAP_POPULATE) of the same size, in the same run.
#include <benchmark/benchmark.h>
#include <sys/mman.h>

#include "ksim/shm/mapping.hpp"
#include "ksim/shm/region.hpp"

namespace {

using namespace ksim::shm;

void BM_Region_CreateAndPopulate(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    for (auto _ : state) {
        auto region = Region::create("bench-populate", size);
        if (!region) return state.SkipWithError(region.error().message.c_str());
        auto mapping = WritableMapping::map(*region);
        if (!mapping) return state.SkipWithError(mapping.error().message.c_str());
        benchmark::DoNotOptimize(mapping->bytes().data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Region_CreateAndPopulate)->Arg(64 << 20)->Unit(benchmark::kMillisecond)->MinTime(1.0);

void BM_Baseline_MmapPopulate(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    for (auto _ : state) {
        void* p =
            ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (p == MAP_FAILED) return state.SkipWithError("mmap");
        benchmark::DoNotOptimize(p);
        ::munmap(p, size);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Baseline_MmapPopulate)->Arg(64 << 20)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace
