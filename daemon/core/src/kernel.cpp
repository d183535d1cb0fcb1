// Kernel facade: stub until the pin runtime lands (the header is the contract for daemon/server).
#include "ksim/daemon/kernel.hpp"

namespace ksim::daemon {

struct Kernel::Impl {
    proto::Topology topology;
};

namespace {
std::unexpected<Error> not_yet() { return fail(Errc::Unsupported, "daemon core: not implemented yet"); }
}  // namespace

Result<std::unique_ptr<Kernel>> Kernel::create(const proto::Topology& topology, KernelOptions, EventSink&,
                                               UserPinPort&) {
    auto impl = std::make_unique<Impl>();
    impl->topology = topology;
    return std::unique_ptr<Kernel>(new Kernel(std::move(impl)));
}

Kernel::Kernel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Kernel::~Kernel() = default;

std::vector<FilterInfo> Kernel::filters() const { return {}; }
Result<proto::AllocatorFramingEx> Kernel::allocator_framing_ex(const PinKey&) const { return not_yet(); }
Result<StreamAllocatorStatus> Kernel::allocator_status(const PinKey&) const { return not_yet(); }
Result<PinStats> Kernel::stats(const PinKey&) const { return not_yet(); }
std::vector<ConnectionInfo> Kernel::connections() const { return {}; }
Result<void> Kernel::commit(const AllocatorCommit&) { return not_yet(); }
Result<void> Kernel::set_state(const PinKey&, proto::PinState, ClientId) { return not_yet(); }
Result<PinKey> Kernel::create_user_pin(ClientId, const proto::PinDescriptor&, std::string) { return not_yet(); }
Result<void> Kernel::connect(ClientId, const PinKey&, const PinKey&) { return not_yet(); }
Result<StreamGrant> Kernel::open_stream(ClientId, const PinKey&) { return not_yet(); }
Result<void> Kernel::release_frame(ClientId, const shm::FrameDescriptor&) { return not_yet(); }
Result<shm::FrameDescriptor> Kernel::acquire_frame(ClientId, const PinKey&) { return not_yet(); }
Result<void> Kernel::submit_frame(ClientId, const PinKey&, const shm::FrameDescriptor&,
                                  const proto::StreamHeader&) {
    return not_yet();
}
void Kernel::client_gone(ClientId) {}
std::vector<LedgerEntry> Kernel::ledger() const { return {}; }
void Kernel::shutdown() {}
void Kernel::advance_time() {}

}  // namespace ksim::daemon
