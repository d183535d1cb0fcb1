// Bad or extreme input never crashes the engine: deterministic pseudo-random graphs with odd
// ranges, steppings, compressions, flags and allocators (run under ASan/UBSan in CI), checked
// against invariants that hold for every decision.
#include <gtest/gtest.h>

#include <random>

#include "graph_builders.hpp"
#include "ksim/negotiation/negotiate.hpp"
#include "ksim/negotiation/record_json.hpp"
#include "ksim/negotiation/render.hpp"

namespace ksim::negotiation::test {
namespace {

struct Random {
    std::mt19937 gen;
    std::uint32_t pick(std::initializer_list<std::uint32_t> values) {
        return *(values.begin() + std::uniform_int_distribution<std::size_t>(0, values.size() - 1)(gen));
    }
    bool coin() { return pick({0, 1}) == 1; }
};

proto::FramingRange range(Random& r) {
    std::uint32_t a = r.pick({0, 1, 2, 1000, 4096, 65536, 0x7FFFFFFF, kMax});
    std::uint32_t b = r.pick({0, 1, 3, 4096, 8192, 1u << 20, kMax});
    if (a > b) std::swap(a, b);
    return {a, b, r.pick({0, 1, 2, 3, 4096, 0xFFFF, kMax})};
}

FramingItem random_item(Random& r) {
    FramingItem item;
    item.memory_type = r.coin() ? mt::kDontCare : (r.coin() ? mt::kKernelNonPaged : mt::kKernelPaged);
    item.bus_type = r.pick({0, 0, 1}) ? proto::Guid{} : proto::bus_type::kPci;
    item.frames = r.pick({0, 1, 2, 8, 4096, kMax});
    item.file_alignment = r.pick({0, 3, 0x3F, 0xFFF, kMax, 6});
    item.requirement_flags = static_cast<RequirementFlags>(r.pick({0, 0x1, 0x8, 0x80000002u, 0x8000000Fu}));
    item.physical_range = range(r);
    item.framing_range.range = range(r);
    return item;
}

PinInput random_pin(Random& r, std::string id, PinDirection dir) {
    std::vector<FramingItem> items;
    for (std::uint32_t n = r.pick({0, 1, 1, 2, 3}); n > 0; --n) items.push_back(random_item(r));
    PinInput p = pin(std::move(id), dir, r.coin() ? PinHosting::Kernel : PinHosting::User, std::move(items),
                     {r.pick({0, 1, 2, kMax}), r.pick({0, 1, 3, kMax}), r.pick({0, 1, kMax})});
    if (p.framing && r.pick({0, 0, 1})) {
        p.legacy_framing =
            proto::AllocatorFraming{r.pick({0, 2, 0xFFFFFFFF}), proto::PoolType::Paged, r.pick({0, 3}),
                                    r.pick({0, 4096, kMax}),    r.pick({0, 3}),         0};
        p.framing.reset();
    }
    if (r.coin()) {
        auto caps = vendor("v", r.coin() ? kVendorDma : mt::kUser, r.pick({0, 1, 8, kMax}));
        caps.mode = r.coin() ? proto::AllocatorMode::Kernel : proto::AllocatorMode::User;
        caps.contiguous = r.coin();
        caps.scatter_gather = r.coin();
        caps.max_sg_entries = r.pick({0, 1, 128});
        caps.max_segment_bytes = r.pick({0, 4096, kMax});
        caps.physical_base = r.coin() ? 0 : 0x1'0000'0000ull;
        caps.physical_limit = r.pick({0, 1}) ? UINT64_MAX : 0;
        caps.boundary = r.pick({0, 4096});
        caps.alignment_mask = r.pick({0, 0xFFF, kMax});
        p.allocator = caps;
    }
    return p;
}

TEST(NegotiationRobustness, RandomGraphs_NeverCrashAndKeepTheInvariants) {
    Random r{std::mt19937(20261125)};
    for (int round = 0; round < 200; ++round) {
        Graph g;
        const int chains = 1 + static_cast<int>(r.pick({0, 1, 2}));
        for (int c = 0; c < chains; ++c) {
            const std::string n = std::to_string(c);
            g.pins.push_back(random_pin(r, "a" + n + ".out", PinDirection::Out));
            g.pins.push_back(random_pin(r, "f" + n + ".in", PinDirection::In));
            g.pins.push_back(random_pin(r, "f" + n + ".out", PinDirection::Out));
            g.pins.push_back(random_pin(r, "z" + n + ".in", PinDirection::In));
            g.connections.push_back({"a" + n + ".out", "f" + n + ".in"});
            g.connections.push_back({"f" + n + ".out", "z" + n + ".in"});
            if (r.coin()) g.in_place.push_back({"f" + n + ".in", "f" + n + ".out"});
        }
        auto result = negotiate(g);
        ASSERT_TRUE(result) << result.error().message;
        ASSERT_EQ(result->connections.size(), g.connections.size());
        for (const auto& pipe : result->pipes) {
            const Decision& d = pipe.decision;
            std::size_t selected = 0;
            for (const auto& c : d.candidates) selected += c.selected ? 1 : 0;
            if (d.status == Status::Satisfied) {
                EXPECT_TRUE(d.allocator && d.create_request);
                EXPECT_GE(d.framing.frames, 1u);
                EXPECT_EQ(selected, d.copy_allocator ? 2u : 1u);
            } else {
                EXPECT_TRUE(d.failure && !d.allocator);
                EXPECT_EQ(selected, 0u);
            }
        }
        auto back = from_json(to_json(*result));
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(*back, *result);
        EXPECT_FALSE(render_explain(*result).empty());
        EXPECT_FALSE(render_dot(*result).empty());
    }
}

TEST(NegotiationRobustness, InvertedRangeFromTheProtocol_IsAnError) {
    Graph g = link(kout("a.out", {simple(mt::kKernelNonPaged, 2, 4096, 4096)}), kin("b.in", {}));
    g.pins[0].framing->items[0].physical_range = {8192, 4096, 1};
    auto r = negotiate(g);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("PhysicalRange min 8192 > max 4096"), std::string::npos)
        << r.error().message;
}

}  // namespace
}  // namespace ksim::negotiation::test
