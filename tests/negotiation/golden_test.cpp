// Every shipped config has a golden `ksimctl negotiate --json` output in golden/<config>.json.
// Update after an intended change with:  KSIM_UPDATE_GOLDEN=1 ctest -R negotiation_golden
// (or run ksim_negotiation_tests with that variable set), then review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "ksim/ddk_host/driver_host.hpp"
#include "ksim/negotiation/negotiate.hpp"
#include "ksim/negotiation/record_json.hpp"
#include "ksim/negotiation/rules.hpp"
#include "ksim/proto/topology_loader.hpp"

namespace ksim::negotiation {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> shipped_configs() {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(KSIM_CONFIGS_DIR))
        if (e.path().extension() == ".json" && !e.path().filename().string().ends_with(".schema.json"))
            out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

std::string read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

NegotiationResult negotiate_file(const fs::path& config) {
    ddk_host::DriverHost drivers;  // minidriver configs load their module (KSIM_DRIVER_PATH)
    auto topology = proto::load_topology_file(config, proto::LoadOptions{&drivers});
    if (!topology) ADD_FAILURE() << config << " does not load";
    return topology ? negotiate(*topology) : NegotiationResult{};
}

TEST(NegotiationGolden, EveryShippedConfigMatchesItsGoldenJson) {
    const bool update = std::getenv("KSIM_UPDATE_GOLDEN") != nullptr;
    const auto configs = shipped_configs();
    ASSERT_FALSE(configs.empty());
    for (const auto& config : configs) {
        const std::string actual = to_json(negotiate_file(config)).dump(2) + "\n";
        const fs::path golden = fs::path(KSIM_GOLDEN_DIR) / config.filename();
        if (update) {
            std::ofstream(golden) << actual;
            continue;
        }
        ASSERT_TRUE(fs::exists(golden)) << golden << " is missing; run with KSIM_UPDATE_GOLDEN=1";
        EXPECT_EQ(read(golden), actual) << config.filename() << " differs from its golden; if intended, "
                                        << "regenerate with KSIM_UPDATE_GOLDEN=1 and review the diff";
    }
}

TEST(NegotiationGolden, EveryGoldenBelongsToAShippedConfig) {
    for (const auto& e : fs::directory_iterator(KSIM_GOLDEN_DIR))
        EXPECT_TRUE(fs::exists(fs::path(KSIM_CONFIGS_DIR) / e.path().filename())) << e.path() << " is stale";
}

TEST(NegotiationJson, EveryShippedConfigRoundTripsThroughJson) {
    for (const auto& config : shipped_configs()) {
        const NegotiationResult r = negotiate_file(config);
        const auto j = to_json(r);
        EXPECT_EQ(j["format"], "ksim.negotiation/1");
        auto back = from_json(j);
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(*back, r) << config.filename();
        EXPECT_EQ(to_json(*back).dump(), j.dump());
    }
}

TEST(NegotiationJson, OtherFormatVersion_IsUnsupported) {
    auto j = to_json(NegotiationResult{});
    j["format"] = "ksim.negotiation/2";
    auto r = from_json(j);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::Unsupported);
}

TEST(NegotiationJson, MissingKey_NamesItsPointer) {
    auto j = to_json(negotiate_file(fs::path(KSIM_CONFIGS_DIR) / "demo-capture-1080p.json"));
    j["connections"][0]["framing"].erase("frames");
    auto r = from_json(j);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_NE(r.error().message.find("/connections/0/framing"), std::string::npos) << r.error().message;
}

// Findings hold their rule as a view of the static id, so the reader accepts only known ids.
TEST(NegotiationJson, UnknownRuleId_IsRejectedWithItsPointer) {
    auto j = to_json(negotiate_file(fs::path(KSIM_CONFIGS_DIR) / "vendor-rejected-user-mode.json"));
    j["connections"][0]["candidates"][0]["reasons"][0]["rule"] = "caps.made-up";
    auto r = from_json(j);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_NE(r.error().message.find("/connections/0/candidates/0/reasons/0/rule"), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("caps.made-up"), std::string::npos) << r.error().message;
}

// The brief's expectations for three shipped configs, stated directly (the goldens pin the rest).
TEST(NegotiationShipped, FramingMismatch_FailsOnDisjointPhysicalRanges) {
    const auto r = negotiate_file(fs::path(KSIM_CONFIGS_DIR) / "framing-mismatch.json");
    ASSERT_EQ(r.connections.size(), 1u);
    EXPECT_FALSE(r.all_satisfied());
    ASSERT_TRUE(r.decision(r.connections[0]).failure);
    EXPECT_EQ(r.decision(r.connections[0]).failure->rule, rule::kPhysicalEmpty);
}

TEST(NegotiationShipped, VendorRejectedUserMode_RejectsVendorByTheModeRule) {
    const auto r = negotiate_file(fs::path(KSIM_CONFIGS_DIR) / "vendor-rejected-user-mode.json");
    const Decision& d = r.decision(r.connections.at(0));
    ASSERT_TRUE(d.allocator);
    EXPECT_EQ(d.allocator->kind, AllocatorKind::User);
    ASSERT_FALSE(d.candidates.empty());
    EXPECT_EQ(d.candidates[0].allocator.name, "vendor_dma");
    EXPECT_FALSE(d.candidates[0].selected);
    EXPECT_EQ(d.candidates[0].reasons.at(0).rule, rule::kKernelAllocatorOnUserConnection);
}

TEST(NegotiationShipped, KernelChainVendorDma_SelectsTheVendorAllocator) {
    const auto r = negotiate_file(fs::path(KSIM_CONFIGS_DIR) / "kernel-chain-vendor-dma.json");
    const Decision& d = r.decision(r.connections.at(0));
    ASSERT_TRUE(d.allocator);
    EXPECT_EQ(d.allocator->kind, AllocatorKind::Vendor);
    EXPECT_EQ(d.allocator->name, "vendor_dma");
    ASSERT_TRUE(d.create_request);
    EXPECT_EQ(d.create_request->frame_size, 1382400u);
    EXPECT_EQ(d.create_request->frames, 4u);
}

TEST(NegotiationDocs, EveryRuleIdIsDocumented) {
    const std::string doc = read(KSIM_NEGOTIATION_DOC);
    for (const auto ids : {rule::all(), rule::commit_rules()})
        for (std::string_view id : ids)
            EXPECT_NE(doc.find("`" + std::string(id) + "`"), std::string::npos)
                << id << " is not in docs/negotiation.md";
}

}  // namespace
}  // namespace ksim::negotiation
