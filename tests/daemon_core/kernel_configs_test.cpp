// The shipped topologies run in the in-process Kernel with the decisions negotiation makes for
// them (written out here; docs/negotiation.md explains them).
#include "kernel_fixture.hpp"
#include "ksim/proto/topology_loader.hpp"
#include "ksim/shm/mapping.hpp"

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
    c.connections = {{PinRef{"camera", "capture"}, PinRef{"checker", "input"}}};
    c.kind = AllocatorCommit::Kind::Vendor;
    c.provider = PinRef{"camera", "capture"};
    c.memory_type = t.memory_types.at(0).guid;
    c.frame_size = 1280 * 720 * 3 / 2;
    c.frames = 4;
    c.alignment_mask = proto::file_alignment::kPage;
    ASSERT_TRUE(kernel->commit(c).has_value()) << kernel->commit(c).error().message;
    const PinRef checker{"checker", "input"};
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
    c.connections = {{PinRef{"camera", "capture"}, PinRef{"viewer", "input"}}};
    c.kind = AllocatorCommit::Kind::Vendor;
    c.provider = PinRef{"camera", "capture"};
    c.memory_type = t.memory_types.at(0).guid;
    c.frame_size = 1280 * 720 * 3 / 2;
    c.frames = 4;
    c.alignment_mask = proto::file_alignment::kPage;
    auto r = kernel->commit(c);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("mode.kernel-allocator-on-user-connection"), std::string::npos);
    c.kind = AllocatorCommit::Kind::User;
    c.provider = PinRef{"viewer", "input"};
    c.memory_type = proto::memory_type::kUser;
    c.alignment_mask = 0x3F;
    ASSERT_TRUE(kernel->commit(c).has_value()) << kernel->commit(c).error().message;
    EXPECT_EQ(stats(camera).vendor_calls->initialize, 0u);
}

TEST_F(KernelTest, Kernel_ShippedAudioCapture_DeliversPcmPeriodsToTheRecorder) {
    const auto t = load("audio-capture-pcm.json");
    make(t);
    const PinRef mic{"mic", "capture"}, recorder{"recorder", "input"};
    AllocatorCommit c;
    c.connections = {{mic, recorder}};
    c.kind = AllocatorCommit::Kind::User;
    c.provider = recorder;
    c.memory_type = proto::memory_type::kUser;
    c.frame_size = 480 * 2 * 2;
    c.frames = 8;
    c.alignment_mask = proto::file_alignment::kLong;
    ASSERT_TRUE(kernel->commit(c).has_value()) << kernel->commit(c).error().message;
    set(recorder, PinState::Acquire, 3);
    auto grant = kernel->open_stream(3, recorder);
    ASSERT_TRUE(grant.has_value()) << grant.error().message;
    auto fd = grant->regions[0].region->share(shm::Access::ReadOnly);
    ASSERT_TRUE(fd.has_value());
    auto map = shm::ReadOnlyMapping::map_fd(fd->get(), grant->regions[0].size);
    ASSERT_TRUE(map.has_value());
    set(recorder, PinState::Run, 3);
    set(mic, PinState::Run);
    const Ticks period = kTicksPerSecond * 480 / 48000;  // 10 ms
    for (int i = 0; i < 5; ++i) {
        clock->advance(period);
        kernel->advance_time();
    }
    ASSERT_EQ(port.delivered.size(), 5u);
    for (const auto& d : port.delivered) {
        EXPECT_EQ(d.header.data_used, 1920u);
        EXPECT_EQ(d.header.duration, period);
        // A 10 ms period of a 440 Hz half-scale sine holds 4.4 cycles: its peak is near 16383.
        auto bytes = map->slice(std::size_t{d.frame.index} * 1920, 1920);
        ASSERT_EQ(bytes.size(), 1920u);
        int peak = 0;
        for (std::size_t i = 0; i + 1 < bytes.size(); i += 2)
            peak = std::max(peak, std::abs(static_cast<int>(static_cast<std::int16_t>(
                                      std::to_integer<std::uint16_t>(bytes[i]) |
                                      (std::to_integer<std::uint16_t>(bytes[i + 1]) << 8)))));
        EXPECT_GT(peak, 16000);
        EXPECT_LE(peak, 16383);
    }
}

}  // namespace
}  // namespace ksim::daemon::testing
