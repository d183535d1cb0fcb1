// Where records live: the per-result arena, its chunk cache, and the lifetime rules of
// record_storage.hpp (a result outlives its graph, copies are independent, moves carry the arena).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>

#include "graph_builders.hpp"
#include "ksim/negotiation/negotiate.hpp"
#include "ksim/negotiation/record_json.hpp"

namespace ksim::negotiation::test {
namespace {

// A few pipes of each kind the bench mixes: a vendor allocator selected, one rejected by mode.
Graph sample(std::size_t copies) {
    Graph g;
    g.name = "storage";
    for (std::size_t i = 0; i < copies; ++i) {
        const std::string n = std::to_string(i);
        auto out = kout("cam" + n + ".out", {simple(mt::kKernelNonPaged, 4, 8192, 8192)});
        out.allocator = vendor("vendor_dma");
        g.pins.push_back(out);
        const std::string sink = "sink" + n + ".in";
        const FramingItem any = simple(mt::kDontCare, 2, 0, kMax);
        g.pins.push_back(i % 2 == 0 ? kin(sink, {any}) : uin(sink, {any}));
        g.connections.push_back({"cam" + n + ".out", "sink" + n + ".in"});
    }
    return g;
}

std::string dump(const NegotiationResult& r) {
    return to_json(r).dump();
}

TEST(NegotiationStorage_Result, OutlivesTheGraphItWasNegotiatedFrom) {
    std::optional<Graph> g = sample(50);
    auto r = negotiate(*g);
    ASSERT_TRUE(r);
    g.reset();
    EXPECT_NE(r->storage, nullptr);
    EXPECT_EQ(dump(*r), dump(*negotiate(sample(50))));
}

TEST(NegotiationStorage_Copy, IsOnTheHeapAndOutlivesTheOriginal) {
    std::optional<NegotiationResult> original = *negotiate(sample(20));
    const std::string expected = dump(*original);
    NegotiationResult copy = *original;
    original.reset();
    EXPECT_EQ(copy.storage, nullptr);
    EXPECT_EQ(copy.connections.get_allocator().arena(), nullptr);
    EXPECT_EQ(copy.connections[0].id.get_allocator().arena(), nullptr);
    EXPECT_EQ(copy.pipes[0].decision.candidates.get_allocator().arena(), nullptr);
    EXPECT_EQ(dump(copy), expected);
}

TEST(NegotiationStorage_MoveAssignment, CarriesTheArenaAlongAndDropsTheOldOne) {
    NegotiationResult target = *negotiate(sample(30));
    std::optional<NegotiationResult> source = *negotiate(sample(7));
    const std::string expected = dump(*source);
    RecordArena* arena = source->storage.get();
    target = std::move(*source);
    source.reset();
    EXPECT_EQ(target.storage.get(), arena);
    EXPECT_EQ(target.connections.get_allocator().arena(), arena);
    EXPECT_EQ(dump(target), expected);
    target = NegotiationResult{};  // old records destroyed before their arena
    EXPECT_TRUE(target.connections.empty());
}

TEST(NegotiationStorage_CopyAssignment, KeepsTheTargetsOwnStorage) {
    NegotiationResult target = *negotiate(sample(3));
    const NegotiationResult source = *negotiate(sample(9));
    target = source;
    EXPECT_EQ(dump(target), dump(source));
    EXPECT_EQ(target.storage, nullptr);  // the copy was made on the heap, then swapped in
}

TEST(NegotiationStorage_Arena, HandsOutAlignedDisjointBlocksAcrossChunks) {
    RecordArena arena;
    std::vector<std::pair<unsigned char*, std::size_t>> blocks;
    // Sizes up to 300 KiB force several chunks, including one bigger than the growth step.
    for (std::size_t i = 0; i < 400; ++i) {
        const std::size_t size = 1 + (i * 7919) % 3000 + (i % 97 == 0 ? 300u << 10 : 0);
        const std::size_t align = std::size_t{1} << (i % 5);
        auto* p = static_cast<unsigned char*>(arena.allocate(size, align));
        ASSERT_EQ(reinterpret_cast<std::uintptr_t>(p) % align, 0u) << i;
        std::memset(p, static_cast<int>(i & 0xFF), size);
        blocks.emplace_back(p, size);
    }
    for (std::size_t i = 0; i < blocks.size(); ++i)
        for (std::size_t k = 0; k < blocks[i].second; ++k)
            ASSERT_EQ(blocks[i].first[k], static_cast<unsigned char>(i & 0xFF))
                << "block " << i << " overwritten";
    EXPECT_GE(arena.allocated_bytes(), 400u);
}

TEST(NegotiationStorage_ChunkCache, GivesAReleasedChunkToTheNextArena) {
    void* first = nullptr;
    {
        RecordArena a;
        first = a.allocate(100'000, 8);
    }
    RecordArena b;
    EXPECT_EQ(b.allocate(100'000, 8), first) << "the released chunk of the same size is reused";
}

TEST(NegotiationStorage_Scope, NestsAndRestoresTheOuterArena) {
    EXPECT_EQ(RecordArena::current(), nullptr);
    RecordArena outer, inner;
    {
        const RecordArena::Scope a(&outer);
        EXPECT_EQ(RecordArena::current(), &outer);
        {
            const RecordArena::Scope b(&inner);
            EXPECT_EQ(RecordArena::current(), &inner);
            EXPECT_EQ(RecordString().get_allocator().arena(), &inner);
        }
        EXPECT_EQ(RecordArena::current(), &outer);
    }
    EXPECT_EQ(RecordArena::current(), nullptr);
    EXPECT_EQ(RecordString().get_allocator().arena(), nullptr);
}

TEST(NegotiationStorage_Threads, ResultsBuiltAndFreedOnDifferentThreadsStayIntact) {
    const std::string expected = dump(*negotiate(sample(40)));
    std::vector<NegotiationResult> handed_over(8);
    std::thread builder([&] {
        for (auto& r : handed_over) r = *negotiate(sample(40));
    });
    std::thread churn([&] {
        for (int i = 0; i < 8; ++i) EXPECT_EQ(negotiate(sample(40))->connections.size(), 40u);
    });
    builder.join();
    churn.join();
    for (const auto& r : handed_over) EXPECT_EQ(dump(r), expected);
    handed_over.clear();  // freed on this thread: the chunks go back to the shared cache
}

}  // namespace
}  // namespace ksim::negotiation::test
