// check_commit: every decision the engine makes for a shipped config passes it (so ksimd accepts
// what ksim-graphmgr commits), and each forged commit is refused with the rule id a user would
// look up in docs/negotiation.md. One table case per commit.* rule at least.
#include "ksim/negotiation/commit_check.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <set>

#include "graph_builders.hpp"
#include "ksim/ddk_host/driver_host.hpp"
#include "ksim/negotiation/negotiate.hpp"
#include "ksim/negotiation/rules.hpp"
#include "ksim/proto/topology_loader.hpp"

namespace ksim::negotiation::test {
namespace {

namespace fs = std::filesystem;
using RF = proto::RequirementFlags;

// The commit a graph manager sends for an engine pipe record.
CommitRequest commit_of(const NegotiationResult& r, const PipeRecord& pipe) {
    CommitRequest c;
    for (const auto& id : pipe.connections)
        for (const auto& rec : r.connections)
            if (rec.id == id) c.connections.push_back({std::string(rec.from), std::string(rec.to)});
    c.kind = pipe.decision.allocator->kind;
    c.provider = std::string(pipe.decision.allocator->pin);
    c.memory_type = pipe.decision.allocator->memory_type;
    c.framing = pipe.decision.framing;
    return c;
}

TEST(CommitCheck, EveryEngineDecisionForEveryShippedConfig_IsAccepted) {
    std::size_t checked = 0;
    for (const auto& e : fs::directory_iterator(KSIM_CONFIGS_DIR)) {
        if (e.path().extension() != ".json" || e.path().filename().string().ends_with(".schema.json"))
            continue;
        ddk_host::DriverHost drivers;  // minidriver configs load their module (KSIM_DRIVER_PATH)
        auto topology = proto::load_topology_file(e.path(), proto::LoadOptions{&drivers});
        ASSERT_TRUE(topology) << e.path();
        const Graph graph = graph_from_topology(*topology);
        auto result = negotiate(graph);
        ASSERT_TRUE(result);
        for (const auto& pipe : result->pipes) {
            if (!pipe.decision.allocator) continue;
            auto r = check_commit(graph, commit_of(*result, pipe));
            EXPECT_TRUE(r) << e.path().filename() << " " << pipe.id << ": " << r.error().message;
            ++checked;
        }
    }
    EXPECT_GE(checked, 7u);  // the satisfied pipes of the shipped configs
}

// kernel cam.out -> f.in ~in place~ f.out -> sink.in: one pipe of two connections; the camera
// offers a vendor allocator.
Graph vendor_chain() {
    auto g = chain(
        with_allocator(kout("cam.out", {simple(kVendorDma, 2, 4096, 4096)}), vendor("vendor_dma")),
        kin("f.in",
            {with_flags(simple(mt::kDontCare, 2, 0, kMax, 0, RF::PreferencesOnly), RF::InPlaceModifier)}),
        kout("f.out",
             {with_flags(simple(mt::kDontCare, 2, 0, kMax, 0, RF::PreferencesOnly), RF::InPlaceModifier)}),
        kin("sink.in", {hard(mt::kDontCare, 3, 1024, 8192, 1, proto::file_alignment::kQuad)}));
    return g;
}
CommitRequest whole_chain(AllocatorKind kind = AllocatorKind::Vendor) {
    CommitRequest c;
    c.connections = {{"cam.out", "f.in"}, {"f.out", "sink.in"}};
    c.kind = kind;
    c.provider = "cam.out";
    c.framing = {4096, 4, proto::file_alignment::kPage};
    return c;
}
// kernel cam.out -> user app.in: a user-mode connection.
Graph kernel_to_user() {
    return link(
        with_allocator(kout("cam.out", {simple(mt::kKernelNonPaged, 2, 4096, 4096)}), vendor("vendor_dma")),
        uin("app.in", {simple(mt::kDontCare, 2, 0, kMax, 0, RF::PreferencesOnly)}));
}
CommitRequest user_link(AllocatorKind kind) {
    CommitRequest c;
    c.connections = {{"cam.out", "app.in"}};
    c.kind = kind;
    c.provider = "cam.out";
    c.memory_type = mt::kUser;
    c.framing = {4096, 2, 0};
    return c;
}

struct Forged {
    std::string name;
    std::function<Graph()> graph;
    std::function<CommitRequest()> commit;
    std::string_view rule;
    Errc code = Errc::NegotiationFailed;
};

template <class F>
std::function<CommitRequest()> edit(std::function<CommitRequest()> base, F f) {
    return [=] {
        CommitRequest c = base();
        f(c);
        return c;
    };
}

std::vector<Forged> forged() {
    const std::function<CommitRequest()> chain_commit = [] { return whole_chain(); };
    const std::function<CommitRequest()> user_commit = [] { return user_link(AllocatorKind::User); };
    return {
        {"UnknownConnection", vendor_chain, edit(chain_commit, [](auto& c) { c.connections[1].to = "f.in"; }),
         rule::kCommitUnknownConnection, Errc::NotFound},
        {"HalfOfAnInPlacePipe", vendor_chain, edit(chain_commit, [](auto& c) { c.connections.pop_back(); }),
         rule::kCommitPartialPipe},
        {"NoConnection", vendor_chain, edit(chain_commit, [](auto& c) { c.connections.clear(); }),
         rule::kCommitMalformed, Errc::InvalidArgument},
        {"ZeroFrames", vendor_chain, edit(chain_commit, [](auto& c) { c.framing.frames = 0; }),
         rule::kCommitMalformed, Errc::InvalidArgument},
        {"AlignmentNotAMask", vendor_chain, edit(chain_commit, [](auto& c) { c.framing.alignment_mask = 6; }),
         rule::kCommitMalformed, Errc::InvalidArgument},
        {"ProviderOutsideThePipe", vendor_chain,
         edit(chain_commit, [](auto& c) { c.provider = "nowhere.pin"; }), rule::kCommitProviderOutsidePipe,
         Errc::InvalidArgument},
        {"VendorKindOnAPinWithoutAllocator", vendor_chain,
         edit(chain_commit, [](auto& c) { c.provider = "sink.in"; }), rule::kCommitNoVendorAllocator,
         Errc::InvalidArgument},
        {"FrameSizeOutsideAPinsPhysicalRange", vendor_chain,
         edit(chain_commit, [](auto& c) { c.framing.frame_size = 16384; }),
         rule::kCommitFrameSizeOutsideRange},
        {"FewerFramesThanAPinRequires", vendor_chain,
         edit(chain_commit, [](auto& c) { c.framing.frames = 2; }), rule::kCommitTooFewFrames},
        {"WeakerAlignmentThanAPinRequires", vendor_chain,
         edit(chain_commit, [](auto& c) { c.framing.alignment_mask = 0; }), rule::kCommitAlignmentTooWeak},
        {"VendorCapsMaxFramesExceeded", vendor_chain,
         edit(chain_commit, [](auto& c) { c.framing.frames = 9; }), rule::kCapsMaxFrames},
        {"VendorMemoryTypeOtherThanItsOwn", vendor_chain,
         edit(chain_commit, [](auto& c) { c.memory_type = mt::kKernelPaged; }), rule::kCapsMemoryType},
        {"KernelVendorAllocatorOnAUserConnection", kernel_to_user,
         [] { return user_link(AllocatorKind::Vendor); }, rule::kKernelAllocatorOnUserConnection},
        {"DefaultAllocatorOnAUserConnection", kernel_to_user,
         [] { return user_link(AllocatorKind::Default); }, rule::kKernelAllocatorOnUserConnection},
        {"UserAllocatorOnAKernelPipe", vendor_chain, [] { return whole_chain(AllocatorKind::User); },
         rule::kUserAllocatorOnKernelConnection},
        {"DefaultAllocatorWithDeviceMemory", vendor_chain,
         edit(chain_commit,
              [](auto& c) {
                  c.kind = AllocatorKind::Default;
                  c.memory_type = kVendorDma;
              }),
         rule::kCommitDefaultAllocatorPoolOnly},
        {"KernelMemoryOnAUserPipe", kernel_to_user,
         edit(user_commit, [](auto& c) { c.memory_type = mt::kKernelNonPaged; }),
         rule::kCommitKernelMemoryOnUserPipe},
    };
}

class ForgedCommit : public ::testing::TestWithParam<Forged> {};

TEST_P(ForgedCommit, IsRefusedWithTheRuleId) {
    const Forged& f = GetParam();
    auto r = check_commit(f.graph(), f.commit());
    ASSERT_FALSE(r) << "accepted";
    EXPECT_EQ(r.error().code, f.code) << r.error().message;
    EXPECT_TRUE(r.error().message.starts_with(std::string(f.rule) + ": ")) << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(CommitCheck, ForgedCommit, ::testing::ValuesIn(forged()),
                         [](const auto& info) { return info.param.name; });

TEST(CommitCheck, TheUnforgedBasesOfTheTable_AreAccepted) {
    auto chain = check_commit(vendor_chain(), whole_chain());
    EXPECT_TRUE(chain) << chain.error().message;
    auto user = check_commit(kernel_to_user(), user_link(AllocatorKind::User));
    EXPECT_TRUE(user) << user.error().message;
}

TEST(CommitCheck, ConnectionsOfTwoPipes_AreRefusedAsSpanningPipes) {
    // Without the in-place pair the chain is two pipes.
    Graph g = vendor_chain();
    g.in_place.clear();
    auto r = check_commit(g, whole_chain());
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().message.starts_with("commit.spans-pipes: ")) << r.error().message;
}

TEST(CommitCheck, APipeTheEngineSplits_IsCommittedPerConnection) {
    // Both ends MUST_ALLOCATE: the engine cannot share one allocator and splits the chain.
    auto must = [](FramingItem i) { return with_flags(std::move(i), RF::MustAllocate); };
    Graph g = chain(
        kout("cam.out", {must(simple(mt::kKernelNonPaged, 2, 4096, 4096))}),
        kin("f.in",
            {with_flags(simple(mt::kDontCare, 2, 0, kMax, 0, RF::PreferencesOnly), RF::InPlaceModifier)}),
        kout("f.out",
             {with_flags(simple(mt::kDontCare, 2, 0, kMax, 0, RF::PreferencesOnly), RF::InPlaceModifier)}),
        kin("sink.in", {must(simple(mt::kKernelNonPaged, 2, 4096, 4096))}));
    auto result = negotiate(g);
    ASSERT_TRUE(result);
    ASSERT_EQ(result->pipes.size(), 2u) << "the engine splits the chain";
    for (const auto& pipe : result->pipes) {
        ASSERT_TRUE(pipe.decision.allocator);
        auto r = check_commit(g, commit_of(*result, pipe));
        EXPECT_TRUE(r) << pipe.id << ": " << r.error().message;
    }
    CommitRequest both = commit_of(*result, result->pipes[0]);
    both.connections = {{"cam.out", "f.in"}, {"f.out", "sink.in"}};
    auto r = check_commit(g, both);
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().message.starts_with("commit.spans-pipes: ")) << r.error().message;
}

TEST(CommitCheck, EveryCommitRule_HasAForgedCase) {
    std::set<std::string_view> covered{rule::kCommitSpansPipes};  // the test above
    for (const auto& f : forged()) covered.insert(f.rule);
    for (std::string_view id : rule::commit_rules())
        EXPECT_TRUE(covered.contains(id)) << id << " has no case";
}

}  // namespace
}  // namespace ksim::negotiation::test
