// Faults injected from the topology's /faults (docs/config.md): each test shows the outcome the
// docs promise a client.
#include "kernel_fixture.hpp"

namespace ksim::daemon::testing {
namespace {

using proto::FaultKind;
using proto::PinHosting;
using proto::PinState;

proto::Fault fault_on(FaultKind kind, const PinKey& pin) {
    proto::Fault f;
    f.kind = kind;
    f.pin = proto::PinRef{pin.filter, pin.pin};
    f.pointer = "/faults/0";
    return f;
}

AllocatorCommit vendor_commit(const proto::Topology& t, const PinKey& provider) {
    auto c = default_commit(t);
    c.kind = AllocatorCommit::Kind::Vendor;
    c.provider = provider;
    c.memory_type = kVendorDma;
    c.alignment_mask = proto::file_alignment::kPage;
    return c;
}

TEST_F(KernelTest, Fault_VendorInitializeFails_AcquireFailsNamingAllocatorPinAndFault) {
    auto t = camera_to_sink(true, PinHosting::Kernel);
    auto f = fault_on(FaultKind::VendorInitializeFails, camera);
    f.status = 0xC00000A3u;  // STATUS_DEVICE_NOT_READY
    t.faults.push_back(f);
    make(t);
    ASSERT_TRUE(kernel->commit(vendor_commit(t, camera)).has_value());

    auto r = kernel->set_state(camera, PinState::Acquire, kDaemon);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::InsufficientResources);
    for (std::string_view needle : {"InitializeAllocator", "\"vendor_dma\"", "camera.capture", "STATUS_DEVICE_NOT_READY",
                                    "vendor_initialize_fails", "/faults/0"})
        EXPECT_NE(r.error().message.find(needle), std::string::npos) << needle << " in " << r.error().message;

    // The pin stays in STOP, no allocator instance or region exists, nothing is held.
    EXPECT_EQ(kernel->filters()[0].pins[0].state, PinState::Stop);
    auto status = kernel->allocator_status(camera);
    ASSERT_TRUE(status.has_value());
    EXPECT_FALSE(status->active);
    EXPECT_TRUE(kernel->ledger().empty());
    const auto s = stats(camera);
    EXPECT_EQ(s.vendor_calls->initialize, 1u);  // the callback ran and failed
    EXPECT_FALSE(s.vendor_initialized);
    // A second attempt fails the same way (the fault is not used up).
    EXPECT_FALSE(kernel->set_state(camera, PinState::Acquire, kDaemon).has_value());
}

TEST_F(KernelTest, Fault_VendorInitializeFails_OnlyWhenTheVendorAllocatorIsSelected) {
    auto t = camera_to_sink(true, PinHosting::Kernel);
    t.faults.push_back(fault_on(FaultKind::VendorInitializeFails, camera));
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t)).has_value());  // the default pool: no vendor call
    set(camera, PinState::Acquire);
    EXPECT_EQ(stats(camera).vendor_calls->initialize, 0u);
}

}  // namespace
}  // namespace ksim::daemon::testing
