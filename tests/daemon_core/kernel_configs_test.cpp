// The shipped topologies run in the in-process Kernel with the decisions negotiation makes for
// them (written out here; docs/negotiation.md explains them).
#include "kernel_fixture.hpp"

#include "ksim/proto/topology_loader.hpp"

namespace ksim::daemon::testing {
namespace {

using proto::PinState;

proto::Topology load(const char* name) {
    auto t = proto::load_topology_file(std::string(KSIM_CONFIGS_DIR) + "/" + name);
    EXPECT_TRUE(t.has_value()) << name;
    return t.value_or(proto::Topology{});
}

TEST_F(KernelTest, Kernel_ShippedKernelChainVendorDma_StreamsThroughTheVendorAllocator) {
    const auto t = load("kernel-chain-vendor-dma.json");
    make(t);
    AllocatorCommit c;
    c.connections = {{PinKey{"camera", "capture"}, PinKey{"checker", "input"}}};
    c.kind = AllocatorCommit::Kind::Vendor;
    c.provider = PinKey{"camera", "capture"};
    c.memory_type = t.memory_types.at(0).guid;
    c.frame_size = 1280 * 720 * 3 / 2;
    c.frames = 4;
    c.alignment_mask = proto::file_alignment::kPage;
    ASSERT_TRUE(kernel->commit(c).has_value()) << kernel->commit(c).error().message;
    const PinKey checker{"checker", "input"};
    set(checker, PinState::Run);
    set(camera, PinState::Run);
    const Ticks period = kTicksPerSecond / 60;
    for (int i = 0; i < 8; ++i) {
        clock->advance(period);
        kernel->advance_time();
    }
    EXPECT_EQ(stats(checker).completed, 8u);
    EXPECT_EQ(stats(checker).check_failures, 0u);
    EXPECT_EQ(stats(camera).allocator, "vendor:vendor_dma");
    EXPECT_EQ(stats(camera).vendor_calls->initialize, 1u);
    set(camera, PinState::Stop);
    set(checker, PinState::Stop);
    EXPECT_EQ(stats(camera).vendor_calls->remove, 1u);
}

TEST_F(KernelTest, Kernel_ShippedVendorRejectedUserMode_RefusesTheVendorAndAcceptsAUserPool) {
    const auto t = load("vendor-rejected-user-mode.json");
    make(t);
    AllocatorCommit c;
    c.connections = {{PinKey{"camera", "capture"}, PinKey{"viewer", "input"}}};
    c.kind = AllocatorCommit::Kind::Vendor;
    c.provider = PinKey{"camera", "capture"};
    c.memory_type = t.memory_types.at(0).guid;
    c.frame_size = 1280 * 720 * 3 / 2;
    c.frames = 4;
    c.alignment_mask = proto::file_alignment::kPage;
    auto r = kernel->commit(c);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("mode.kernel-allocator-on-user-connection"), std::string::npos);
    c.kind = AllocatorCommit::Kind::User;
    c.provider = PinKey{"viewer", "input"};
    c.memory_type = proto::memory_type::kUser;
    c.alignment_mask = 0x3F;
    ASSERT_TRUE(kernel->commit(c).has_value()) << kernel->commit(c).error().message;
    EXPECT_EQ(stats(camera).vendor_calls->initialize, 0u);
}

}  // namespace
}  // namespace ksim::daemon::testing
