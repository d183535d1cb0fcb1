// DriverAllocator: a minidriver's KSALLOCATOR_DISPATCH as ksim's FrameAllocator. initialize runs
// the driver's InitializeAllocator with the negotiated values (the legacy KSALLOCATOR_FRAMING);
// inside it, the driver's KsimDeviceAllocateCommonBuffer lands here and becomes the pool's
// shared-memory region, at a simulated physical address in the declared window. allocate /
// free call the driver's Allocate / Free and translate between the addresses the driver deals
// in and ksim's frame handles: each distinct frame address the driver returns becomes a frame
// index (at most the negotiated count), so the ledger, crash reclaim and read-only client
// mappings work for the driver's frames as for ksim's own. remove runs DeleteAllocator.
// Everything the driver returns is checked (inside the common buffer, whole frame, aligned,
// not handed out twice); a bad answer fails the call with an error naming the routine and is
// reported to the pin's Verifier.
// Called under the kernel lock only (the driver's routines are serialised like every other
// call into the driver).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ksim/ddk_host/objects.hpp"
#include "ksim/ddk_host/streaming_host.hpp"
#include "ksim/shm/allocator.hpp"
#include "ksim/shm/dma_allocator.hpp"
#include "ksim/shm/mapping.hpp"
#include "verifier.hpp"

namespace ksim::daemon {

class DriverAllocator final : public shm::FrameAllocator, public ddk_host::CommonBufferHost {
public:
    // `verifier`: where the driver's misuse is reported (may be null).
    DriverAllocator(ddk_host::PinInstance& pin, proto::VendorAllocatorCaps caps, std::string region_name,
                    Verifier* verifier = nullptr);
    ~DriverAllocator() override;

    Result<void> initialize(const proto::AllocatorFraming& negotiated) override;
    Result<shm::FrameHandle> allocate() override;
    Result<void> free(shm::FrameHandle frame) override;
    void remove() override;
    [[nodiscard]] const shm::Region& region() const override { return *region_; }
    [[nodiscard]] std::string kind() const override { return caps_.name; }
    [[nodiscard]] Result<shm::FrameLayout> frame(std::uint32_t index) const override;
    [[nodiscard]] shm::AllocatorStatus status() const override;

    [[nodiscard]] const proto::VendorAllocatorCaps& caps() const { return caps_; }
    [[nodiscard]] shm::DmaCallCounts calls() const { return calls_; }
    // Simulated physical address of frame `index` (known once the driver allocated it).
    [[nodiscard]] std::optional<std::uint64_t> physical_address(std::uint32_t index) const;
    // The NTSTATUS the last InitializeAllocator returned (0 before any).
    [[nodiscard]] NTSTATUS last_initialize_status() const { return last_initialize_status_; }

    // CommonBufferHost: what the driver's DMA calls reach during its allocator routines.
    NTSTATUS allocate_common_buffer(ULONG length, PVOID* virtual_address,
                                    PHYSICAL_ADDRESS* physical) override;
    void free_common_buffer(PVOID virtual_address) override;

protected:
    [[nodiscard]] const shm::FramePool* pool() const override { return nullptr; }

private:
    struct Slot {
        std::uint64_t offset = 0;
        bool known = false;  // the driver has returned this frame at least once
        bool outstanding = false;
        std::uint32_t generation = 0;
    };
    // Runs `call` (the driver's `routine`) with this allocator as the device's common-buffer host,
    // inside a DriverCall.
    template <typename F>
    auto with_dma(const char* routine, F&& call);
    std::string who() const;  // "vendor allocator 'name' of pin P"
    void drop_buffer();
    // Reports the misuse and returns the error that fails the call.
    std::unexpected<Error> misuse(VerifierRule rule, std::string_view routine, std::string what);

    ddk_host::PinInstance& pin_;
    proto::VendorAllocatorCaps caps_;
    std::string region_name_;
    const KSALLOCATOR_DISPATCH* dispatch_ = nullptr;
    PVOID context_ = nullptr;
    bool initialized_ = false;
    NTSTATUS last_initialize_status_ = 0;
    std::optional<shm::Region> region_;
    std::optional<shm::WritableMapping> mapping_;  // the driver's view of the common buffer
    std::uint64_t physical_base_ = 0;
    proto::AllocatorFraming negotiated_{};
    std::vector<Slot> slots_;
    std::uint32_t outstanding_ = 0;
    shm::DmaCallCounts calls_{};
    Verifier* verifier_ = nullptr;
};

}  // namespace ksim::daemon
