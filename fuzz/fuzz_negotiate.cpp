// Negotiation over every config that validates: no crash, and the same answer twice (records as
// JSON and the --explain text), since the engine is a pure function of its input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ksim/negotiation/negotiate.hpp"
#include "ksim/negotiation/record_json.hpp"
#include "ksim/negotiation/render.hpp"
#include "ksim/proto/topology_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto topology = ksim::proto::load_topology_text(text, "fuzz.json");
    if (!topology) return 0;
    auto first = ksim::negotiation::negotiate(*topology);
    auto second = ksim::negotiation::negotiate(*topology);
    if (ksim::negotiation::to_json(first).dump() != ksim::negotiation::to_json(second).dump() ||
        ksim::negotiation::render_explain(first) != ksim::negotiation::render_explain(second))
        std::abort();  // a nondeterministic negotiation
    return 0;
}
