// What marking a call into driver code costs (ddk_host::DriverCall, the bugcheck's record of the
// routine in progress): a call through a function pointer to a routine that does next to nothing,
// bare and inside a DriverCall. ksimd makes a handful of driver calls per frame (Process, the
// timer callback, the allocator's Allocate and Free), so the difference times ~4 is the marker's
// share of a frame.
#include <benchmark/benchmark.h>

#include "ksim/ddk_host/driver_call.hpp"
#include "ksim/ddk_host/driver_host.hpp"

namespace {

namespace host = ksim::ddk_host;  // no using-directive: the bench files share one unity TU

[[gnu::noinline]] NTSTATUS trivial_routine(PKSPIN pin) {
    benchmark::DoNotOptimize(pin);
    return STATUS_SUCCESS;
}

// Read through a volatile, as ksimd reads a dispatch table the driver filled in.
NTSTATUS (*volatile routine_pointer)(PKSPIN) = trivial_routine;

void BM_Baseline_CallThroughDispatchPointer(benchmark::State& state) {
    host::PinInstance pin;
    for (auto _ : state) benchmark::DoNotOptimize(routine_pointer(&pin.ks));
}

void BM_DriverCall_CallInsideMarker(benchmark::State& state) {
    host::DriverModule module;
    module.file_name = "libbench.so";
    host::PinInstance pin;
    pin.module = &module;
    pin.description = "filter 'f' pin 'p'";
    for (auto _ : state)
        benchmark::DoNotOptimize(host::call_driver(pin, "KSPIN_DISPATCH.Process", routine_pointer, &pin.ks));
}

BENCHMARK(BM_Baseline_CallThroughDispatchPointer);
BENCHMARK(BM_DriverCall_CallInsideMarker);

}  // namespace
