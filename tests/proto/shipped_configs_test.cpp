// Every shipped config loads with the C++ loader and carries a comment; the known-bad config
// does not load. KSIM_CONFIGS_DIR and KSIM_TEST_DATA_DIR come from tests/proto/CMakeLists.txt.
#include <gtest/gtest.h>

#include <filesystem>

#include "ksim/ddk_host/driver_host.hpp"
#include "ksim/proto/topology.hpp"
#include "ksim/proto/topology_loader.hpp"

using namespace ksim::proto;
namespace fs = std::filesystem;

namespace {
std::vector<fs::path> shipped_configs() {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(KSIM_CONFIGS_DIR)) {
        auto name = e.path().filename().string();
        if (e.path().extension() == ".json" && !name.ends_with(".schema.json")) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}
}  // namespace

TEST(ShippedConfigs, AtLeastSevenExist) {
    EXPECT_GE(shipped_configs().size(), 7u);
}

TEST(ShippedConfigs, EveryConfig_LoadsAndHasComment) {
    for (const auto& path : shipped_configs()) {
        ksim::ddk_host::DriverHost drivers;  // minidriver configs load their module (KSIM_DRIVER_PATH)
        auto r = load_topology_file(path, LoadOptions{&drivers});
        ASSERT_TRUE(r) << path << ": " << r.error().front().to_string();
        EXPECT_FALSE(r->comment.empty()) << path;
        EXPECT_FALSE(r->filters.empty()) << path;
        EXPECT_FALSE(r->connections.empty()) << path;
    }
}

TEST(ShippedConfigs, DefaultDemo_IsAvshwsShaped1080pNv12) {
    auto r = load_topology_file(fs::path(KSIM_CONFIGS_DIR) / "demo-capture-1080p.json");
    ASSERT_TRUE(r);
    const FilterDescriptor* camera = r->find_filter("camera");
    ASSERT_NE(camera, nullptr);
    ASSERT_TRUE(camera->video);
    EXPECT_EQ(image_size(*camera->video), 1920u * 1080u * 3u / 2u);
    const PinDescriptor& pin = camera->pins.at(0);
    auto framing = effective_framing(*camera, pin);
    ASSERT_TRUE(framing);
    ASSERT_EQ(framing->items.size(), 1u);
    EXPECT_EQ(framing->items[0].frames, 2u);
    EXPECT_EQ(framing->items[0].memory_type, memory_type::kKernelNonPaged);
    EXPECT_EQ(framing->items[0].physical_range.min_frame_size, 3110400u);
    EXPECT_EQ(framing->items[0].physical_range.max_frame_size, 3110400u);
    EXPECT_EQ(framing->items[0].requirement_flags,
              RequirementFlags::SystemMemory | RequirementFlags::PreferencesOnly);
    EXPECT_EQ(r->find_pin(PinRef{"viewer", "input"})->hosting, PinHosting::User);
}

TEST(ShippedConfigs, VendorDmaChain_DeclaresKernelAllocatorWithCustomMemoryType) {
    auto r = load_topology_file(fs::path(KSIM_CONFIGS_DIR) / "kernel-chain-vendor-dma.json");
    ASSERT_TRUE(r);
    const PinDescriptor* pin = r->find_pin(PinRef{"camera", "capture"});
    ASSERT_TRUE(pin && pin->allocator);
    ASSERT_EQ(r->memory_types.size(), 1u);
    EXPECT_EQ(pin->allocator->memory_type, r->memory_types[0].guid);
    EXPECT_EQ(pin->allocator->alignment_mask, 0xFFFu);
    EXPECT_EQ(pin->allocator->physical_base, 0x100000000ull);
    EXPECT_EQ(pin->allocator->physical_limit, 0x1FFFFFFFFull);
    EXPECT_EQ(pin->framing->items[0].file_alignment, 63u);
}

TEST(ShippedConfigs, KnownBadConfig_FailsWithSeveralDiagnostics) {
    auto r = load_topology_file(fs::path(KSIM_TEST_DATA_DIR) / "bad-config.json");
    ASSERT_FALSE(r);
    EXPECT_GE(r.error().size(), 5u);
}
