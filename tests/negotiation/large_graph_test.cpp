// A large graph decides exactly like its parts: the engine plans pipes one at a time into reused
// buffers and indexes pins in one flat table, and neither may let one part of a graph leak into
// another. Every shipped config is copied many times into one graph (ids prefixed per copy);
// each copy's decisions must equal the decisions of the config negotiated alone.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "ksim/ddk_host/driver_host.hpp"
#include "ksim/negotiation/negotiate.hpp"
#include "ksim/negotiation/record_json.hpp"
#include "ksim/proto/topology_loader.hpp"

namespace ksim::negotiation {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kCopies = 300;

std::string prefix(std::size_t copy) {
    return "#" + std::to_string(copy) + "#";
}

// `base` repeated kCopies times, each copy's ids prefixed; copies interleave in the pin list so
// that lookups cross the whole table.
Graph replicate(const Graph& base) {
    Graph g;
    g.name = base.name;
    g.memory_types = base.memory_types;
    for (std::size_t k = 0; k < kCopies; ++k)
        for (const auto& c : base.connections)
            g.connections.push_back({prefix(k) + c.from, prefix(k) + c.to});
    for (const auto& p : base.pins)
        for (std::size_t k = 0; k < kCopies; ++k) {
            PinInput copy = p;
            copy.id = prefix(k) + p.id;
            g.pins.push_back(std::move(copy));
        }
    for (std::size_t k = 0; k < kCopies; ++k)
        for (const auto& ip : base.in_place)
            g.in_place.push_back({prefix(k) + ip.input, prefix(k) + ip.output});
    return g;
}

std::string without(std::string text, const std::string& what) {
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at))
        text.erase(at, what.size());
    return text;
}

TEST(NegotiationLargeGraph, EveryCopyOfAShippedConfig_DecidesAsTheConfigAlone) {
    std::size_t configs = 0;
    for (const auto& e : fs::directory_iterator(KSIM_CONFIGS_DIR)) {
        if (e.path().extension() != ".json" || e.path().filename().string().ends_with(".schema.json"))
            continue;
        ddk_host::DriverHost drivers;  // minidriver configs load their module (KSIM_DRIVER_PATH)
        auto topology = proto::load_topology_file(e.path(), proto::LoadOptions{&drivers});
        ASSERT_TRUE(topology) << e.path();
        const Graph base = graph_from_topology(*topology);
        if (base.connections.empty()) continue;
        ++configs;
        auto alone = negotiate(base);
        ASSERT_TRUE(alone) << e.path();
        auto big = negotiate(replicate(base));
        ASSERT_TRUE(big) << e.path();
        ASSERT_EQ(big->connections.size(), kCopies * base.connections.size());
        ASSERT_EQ(big->pipes.size(), kCopies * alone->pipes.size()) << e.path();
        for (std::size_t k = 0; k < kCopies; ++k)
            for (std::size_t i = 0; i < base.connections.size(); ++i) {
                const auto& rec = big->connections[k * base.connections.size() + i];
                const auto& expected = alone->connections[i];
                ASSERT_EQ(without(std::string(rec.id), prefix(k)), expected.id);
                ASSERT_EQ(without(to_json(big->decision(rec), big->memory_types).dump(), prefix(k)),
                          to_json(alone->decision(expected), alone->memory_types).dump())
                    << e.path().filename() << " copy " << k << " connection " << expected.id;
            }
    }
    EXPECT_GT(configs, 3u);
}

}  // namespace
}  // namespace ksim::negotiation
