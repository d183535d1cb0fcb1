// allocate+free pair of the default allocator, against a mutex lock/unlock pair and a
// malloc/free pair of the same size measured in the same run.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <mutex>
#include <vector>

#include "ksim/proto/framing.hpp"
#include "ksim/proto/memory_types.hpp"
#include "ksim/shm/default_allocator.hpp"

namespace {

using ksim::shm::DefaultAllocator;

DefaultAllocator& shared_allocator() {
    static DefaultAllocator allocator;
    static const bool initialized =
        allocator
            .initialize(ksim::proto::make_create_request(64, 4096, 0xFFF, ksim::proto::memory_type::kUser))
            .has_value();
    if (!initialized) std::abort();
    return allocator;
}

void BM_DefaultAllocator_AllocateFreePair(benchmark::State& state) {
    DefaultAllocator& allocator = shared_allocator();
    for (auto _ : state) {
        auto frame = allocator.allocate();
        benchmark::DoNotOptimize(frame);
        if (!frame || !allocator.free(*frame)) state.SkipWithError("allocate/free failed");
    }
}
BENCHMARK(BM_DefaultAllocator_AllocateFreePair)->Threads(1)->Threads(2);

void BM_Baseline_MutexLockUnlockPair(benchmark::State& state) {
    static std::mutex mutex;
    static std::vector<int> free_list(64);
    for (auto _ : state) {
        {
            std::lock_guard lock(mutex);
            benchmark::DoNotOptimize(free_list.back());
        }
        {
            std::lock_guard lock(mutex);
            benchmark::DoNotOptimize(free_list.back());
        }
    }
}
BENCHMARK(BM_Baseline_MutexLockUnlockPair)->Threads(1)->Threads(2);

void BM_Baseline_MallocFreePair4KiB(benchmark::State& state) {
    for (auto _ : state) {
        void* p = std::malloc(4096);
        benchmark::DoNotOptimize(p);
        std::free(p);
    }
}
BENCHMARK(BM_Baseline_MallocFreePair4KiB)->Threads(1)->Threads(2);

}  // namespace
