// The lower-level API: malformed graphs are errors naming the problem; good ones negotiate
// deterministically.
#include <gtest/gtest.h>

#include "graph_builders.hpp"
#include "ksim/negotiation/negotiate.hpp"
#include "ksim/negotiation/record_json.hpp"

namespace ksim::negotiation::test {
namespace {

Graph good() {
    return link(kout("cam.out", {simple(mt::kKernelNonPaged, 2, 4096, 4096)}),
                kin("sink.in", {simple(mt::kDontCare, 2, 0, kMax)}));
}

void expect_invalid(const Graph& g, std::string_view fragment) {
    auto r = negotiate(g);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_NE(r.error().message.find(fragment), std::string::npos) << r.error().message;
}

TEST(NegotiationGraph_UnknownPin, IsAnErrorNamingThePin) {
    Graph g = good();
    g.connections[0].to = "sink.nope";
    expect_invalid(g, "sink.nope");
}

TEST(NegotiationGraph_DuplicatePinId, IsAnError) {
    Graph g = good();
    g.pins.push_back(g.pins[0]);
    expect_invalid(g, "duplicate pin id");
}

TEST(NegotiationGraph_ConnectionAgainstDirection, IsAnError) {
    Graph g = good();
    std::swap(g.connections[0].from, g.connections[0].to);
    expect_invalid(g, "output pin to an input pin");
}

TEST(NegotiationGraph_PinInTwoConnections, IsAnError) {
    Graph g = good();
    g.pins.push_back(kin("other.in", {}));
    g.connections.push_back({"cam.out", "other.in"});
    expect_invalid(g, "already in another connection");
}

TEST(NegotiationGraph_FramingWithoutItems, IsAnError) {
    Graph g = good();
    g.pins[0].framing->items.clear();
    expect_invalid(g, "no framing items");
}

TEST(NegotiationGraph_InPlacePairWithWrongDirections, IsAnError) {
    Graph g = good();
    g.in_place.push_back({"cam.out", "sink.in"});
    expect_invalid(g, "in-place pair 0");
}

TEST(NegotiationGraph_EmptyGraph, NegotiatesToNoRecords) {
    auto r = negotiate(Graph{});
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->connections.empty());
    EXPECT_TRUE(r->all_satisfied());
}

TEST(NegotiationGraph_SameInput, GivesByteIdenticalJson) {
    const Graph g =
        chain(with_allocator(kout("a.out", {simple(mt::kKernelNonPaged, 2, 4096, 4096)}), vendor("dma")),
              kin("f.in",
                  {with_flags(simple(mt::kDontCare, 2, 0, kMax), proto::RequirementFlags::InPlaceModifier)}),
              kout("f.out",
                   {with_flags(simple(mt::kDontCare, 2, 0, kMax), proto::RequirementFlags::InPlaceModifier)}),
              uin("app.in", {}));
    const std::string first = to_json(*negotiate(g)).dump(2);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(to_json(*negotiate(g)).dump(2), first);
}

TEST(NegotiationGraph_InPlaceCycle, TerminatesWithOnePipePerChain) {
    // f.out feeds back into f.in: a cycle through an in-place filter must not loop forever.
    Graph g;
    auto item = with_flags(simple(mt::kDontCare, 2, 0, kMax), proto::RequirementFlags::InPlaceModifier);
    g.pins = {kin("f.in", {item}), kout("f.out", {item})};
    g.connections = {{"f.out", "f.in"}};
    g.in_place = {{"f.in", "f.out"}};
    auto r = negotiate(g);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->pipes.size(), 1u);
    EXPECT_EQ(r->decision(r->connections[0]).status, Status::Satisfied);
}

}  // namespace
}  // namespace ksim::negotiation::test
