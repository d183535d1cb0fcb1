// The config loader and validator as ksimctl validate and ksimd --config run it: any text gives
// a topology or diagnostics, never a crash; every diagnostic renders.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ksim/proto/topology_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto loaded = ksim::proto::load_topology_text(text, "fuzz.json");
    if (!loaded)
        for (const auto& d : loaded.error()) (void)d.to_string();
    return 0;
}
