// When a vendor allocator's InitializeAllocator fails a pipe's first STOP->ACQUIRE: the one place
// that turns the failure into the pipe's record (AllocatorFailure, shown by `connections`, the
// provider's statistics and an AllocatorFailed event), whichever path failed — a minidriver's
// own routine (DriverAllocator) or a declared allocator under a vendor_initialize_fails fault.
#include "kernel_impl.hpp"
#include "ksim/proto/ntstatus.hpp"
#include "logging.hpp"

namespace ksim::daemon {

Error Kernel::Impl::allocator_failed(Pipe& pipe, const Pin& provider, const Pin& asking,
                                     const proto::VendorAllocatorCaps& caps,
                                     const proto::AllocatorFraming& given, std::uint32_t status,
                                     const proto::Fault* fault, Error error) {
    AllocatorFailure f;
    f.status = status;
    f.status_name = proto::ntstatus_name(status);
    f.framing = given;
    f.caps = caps;
    f.provider = provider.key;
    f.asked_by = asking.key;
    f.at = clock->now();
    if (fault) f.fault = fault->pointer;
    f.message = error.message;
    logger("core.kernel")->warn("{}; {} stays in STOP", error.message, asking.name);
    emit(
        {KernelEvent::Type::AllocatorFailed, provider.key, error.message, proto::PinState::Stop, kDaemon, f});
    pipe.failure = std::move(f);
    return error;
}

}  // namespace ksim::daemon
