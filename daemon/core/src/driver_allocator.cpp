#include "driver_allocator.hpp"

#include <fmt/format.h>

#include "ksim/ddk_host/driver_call.hpp"
#include "ksim/proto/align.hpp"
#include "ksim/proto/ntstatus.hpp"
#include "logging.hpp"

namespace ksim::daemon {
namespace {

constexpr std::uint64_t kPage = proto::kPageSize;
constexpr std::uint64_t kMaxCommonBuffer = std::uint64_t{1} << 40;

std::string status_text(NTSTATUS s) {
    return proto::ntstatus_name(static_cast<std::uint32_t>(s));
}

}  // namespace

DriverAllocator::DriverAllocator(ddk_host::PinInstance& pin, proto::VendorAllocatorCaps caps,
                                 std::string region_name, Verifier* verifier)
    : pin_(pin),
      caps_(std::move(caps)),
      region_name_(std::move(region_name)),
      dispatch_(pin.allocator()),
      verifier_(verifier) {}

std::unexpected<Error> DriverAllocator::misuse(VerifierRule rule, std::string_view routine,
                                               std::string what) {
    if (verifier_ != nullptr) verifier_->report(rule, routine, what);
    return fail(Errc::InvalidState, who() + ": " + std::string(routine) + " returned " + what);
}

DriverAllocator::~DriverAllocator() {
    remove();
}

std::string DriverAllocator::who() const {
    return fmt::format("vendor allocator '{}' of driver pin {}", caps_.name, pin_.name);
}

template <typename F>
auto DriverAllocator::with_dma(const char* routine, F&& call) {
    const ddk_host::DriverCall in_driver(pin_, routine);
    ddk_host::DeviceInstance& device = pin_.device();
    device.common_buffers = this;
    struct Reset {
        ddk_host::DeviceInstance& d;
        ~Reset() { d.common_buffers = nullptr; }
    } reset{device};
    return call();
}

Result<void> DriverAllocator::initialize(const proto::AllocatorFraming& negotiated) {
    if (initialized_) return fail(Errc::InvalidState, who() + ": already initialized");
    if (auto ok = shm::validate_create_request(negotiated); !ok) return ok;
    negotiated_ = negotiated;
    KSALLOCATOR_FRAMING framing{};
    framing.OptionsFlags = negotiated.flags;
    framing.PoolType = static_cast<ULONG>(negotiated.pool_type);
    framing.Frames = negotiated.frames;
    framing.FrameSize = negotiated.frame_size;
    framing.FileAlignment = negotiated.file_alignment;
    ++calls_.initialize;
    PVOID context = nullptr;
    const NTSTATUS status = with_dma("KSALLOCATOR_DISPATCH.InitializeAllocator", [&] {
        return dispatch_->InitializeAllocator(&pin_.ks, &framing, &context);
    });
    last_initialize_status_ = status;
    if (!NT_SUCCESS(status)) {
        drop_buffer();
        return fail(
            Errc::InsufficientResources,
            fmt::format("{}: InitializeAllocator returned {} for {} frames of {} bytes (alignment mask "
                        "0x{:X})",
                        who(), status_text(status), negotiated.frames, negotiated.frame_size,
                        negotiated.file_alignment));
    }
    context_ = context;
    initialized_ = true;
    if (!region_) {
        remove();
        return fail(
            Errc::InvalidState,
            fmt::format("{}: InitializeAllocator succeeded without a common buffer; ksim serves a "
                        "driver's frames from the one it allocates with KsimDeviceAllocateCommonBuffer",
                        who()));
    }
    slots_.assign(negotiated.frames, Slot{});
    outstanding_ = 0;
    return {};
}

Result<shm::FrameHandle> DriverAllocator::allocate() {
    if (!initialized_) return fail(Errc::InvalidState, who() + ": not initialized");
    if (!mapping_) return fail(Errc::InvalidState, who() + ": its common buffer was freed");
    if (outstanding_ >= negotiated_.frames)
        return fail(Errc::NoMoreEntries, fmt::format("{}: all {} frames are out", who(), negotiated_.frames));
    ++calls_.allocate;
    PVOID frame = with_dma("KSALLOCATOR_DISPATCH.Allocate", [&] { return dispatch_->Allocate(context_); });
    if (frame == nullptr) return fail(Errc::NoMoreEntries, who() + ": Allocate returned NULL");
    const auto* base = mapping_->bytes().data();
    const auto* p = static_cast<const std::byte*>(frame);
    const std::uint64_t size = mapping_->bytes().size();
    if (p < base || static_cast<std::uint64_t>(p - base) + negotiated_.frame_size > size) {
        // Not memory of ours: never hand it back to the driver's Free either.
        return misuse(
            VerifierRule::AllocateForeignFrame, "Allocate",
            fmt::format("{} which is not a whole frame of {} bytes inside its common buffer ({} bytes)",
                        frame, negotiated_.frame_size, size));
    }
    const std::uint64_t offset = static_cast<std::uint64_t>(p - base);
    auto give_back = [&](std::string why) {
        ++calls_.free;
        with_dma("KSALLOCATOR_DISPATCH.Free", [&] { dispatch_->Free(context_, frame); });
        return misuse(VerifierRule::AllocateForeignFrame, "Allocate", std::move(why));
    };
    if (((physical_base_ + offset) & negotiated_.file_alignment) != 0)
        return give_back(fmt::format("a frame at offset {} that breaks the negotiated alignment mask 0x{:X}",
                                     offset, negotiated_.file_alignment));
    Slot* slot = nullptr;
    std::uint32_t index = 0;
    for (std::uint32_t i = 0; i < slots_.size(); ++i) {
        if (slots_[i].known && slots_[i].offset == offset) {
            slot = &slots_[i];
            index = i;
            break;
        }
    }
    if (slot == nullptr) {
        for (std::uint32_t i = 0; i < slots_.size() && slot == nullptr; ++i)
            if (!slots_[i].known) {
                slot = &slots_[i];
                index = i;
                slot->known = true;
                slot->offset = offset;
            }
        if (slot == nullptr)
            return give_back(fmt::format("a frame at offset {}: more distinct frames than the {} negotiated",
                                         offset, negotiated_.frames));
    } else if (slot->outstanding) {
        // The driver handed out a frame it already gave and did not get back: not ours to free.
        return misuse(VerifierRule::AllocateDuplicate, "Allocate",
                      fmt::format("the frame at offset {} again while it is still allocated", offset));
    }
    slot->outstanding = true;
    ++outstanding_;
    return shm::FrameHandle{region_->id(), index, slot->generation, 0};
}

Result<void> DriverAllocator::free(shm::FrameHandle frame) {
    if (!initialized_) return fail(Errc::InvalidState, who() + ": not initialized");
    if (frame.region != region_->id() || frame.index >= slots_.size())
        return fail(Errc::NotFound, fmt::format("{}: frame {}:{} is not one of its frames", who(),
                                                frame.region, frame.index));
    Slot& slot = slots_[frame.index];
    if (!mapping_) return fail(Errc::InvalidState, who() + ": its common buffer was freed");
    if (!slot.outstanding || slot.generation != frame.generation)
        return fail(Errc::StaleDescriptor,
                    fmt::format("{}: frame {} freed twice or with an old handle", who(), frame.index));
    ++calls_.free;
    PVOID address = mapping_->bytes().data() + slot.offset;
    with_dma("KSALLOCATOR_DISPATCH.Free", [&] { dispatch_->Free(context_, address); });
    slot.outstanding = false;
    ++slot.generation;
    --outstanding_;
    return {};
}

void DriverAllocator::remove() {
    if (initialized_) {
        ++calls_.remove;
        with_dma("KSALLOCATOR_DISPATCH.DeleteAllocator", [&] { dispatch_->DeleteAllocator(context_); });
        initialized_ = false;
        context_ = nullptr;
    }
    drop_buffer();
    slots_.clear();
    outstanding_ = 0;
}

void DriverAllocator::drop_buffer() {
    mapping_.reset();
    region_.reset();
    physical_base_ = 0;
}

Result<shm::FrameLayout> DriverAllocator::frame(std::uint32_t index) const {
    if (!initialized_) return fail(Errc::InvalidState, who() + ": not initialized");
    if (index >= slots_.size() || !slots_[index].known)
        return fail(Errc::NotFound, fmt::format("{}: frame {} has not been allocated yet", who(), index));
    return shm::FrameLayout{slots_[index].offset, negotiated_.frame_size};
}

shm::AllocatorStatus DriverAllocator::status() const {
    if (!initialized_) return {};
    return shm::AllocatorStatus{true, negotiated_.frames, negotiated_.frame_size, negotiated_.file_alignment,
                                outstanding_};
}

std::optional<std::uint64_t> DriverAllocator::physical_address(std::uint32_t index) const {
    if (!initialized_ || index >= slots_.size() || !slots_[index].known) return std::nullopt;
    return physical_base_ + slots_[index].offset;
}

NTSTATUS DriverAllocator::allocate_common_buffer(ULONG length, PVOID* virtual_address,
                                                 PHYSICAL_ADDRESS* physical) {
    auto log = logger("core.driver");
    if (region_) {
        log->error("{}: a second common buffer was asked for; ksim serves one per allocator", who());
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    if (length == 0 || length > kMaxCommonBuffer) return STATUS_INVALID_PARAMETER;
    const std::uint64_t base = proto::round_up_to(caps_.physical_base, kPage);
    if (base + length - 1 > caps_.physical_limit || base + length - 1 < base) {
        log->error("{}: a common buffer of {} bytes does not fit its physical window 0x{:X}-0x{:X}", who(),
                   length, caps_.physical_base, caps_.physical_limit);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    auto region =
        shm::Region::create(region_name_, length, shm::RegionOptions{shm::visibility_for(caps_.memory_type)});
    if (!region) {
        log->error("{}: common buffer of {} bytes: {}", who(), length, region.error().message);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    auto mapping = shm::WritableMapping::map(*region);
    if (!mapping) {
        log->error("{}: mapping its common buffer: {}", who(), mapping.error().message);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    region_ = std::move(*region);
    mapping_ = std::move(*mapping);
    physical_base_ = base;
    *virtual_address = mapping_->bytes().data();
    *physical = static_cast<PHYSICAL_ADDRESS>(base);
    return STATUS_SUCCESS;
}

void DriverAllocator::free_common_buffer(PVOID virtual_address) {
    if (!mapping_ || virtual_address != mapping_->bytes().data()) {
        logger("core.driver")
            ->error("{}: KsimDeviceFreeCommonBuffer({}) names no common buffer of this allocator", who(),
                    virtual_address);
        return;
    }
    // Frames still mapped by the pipe (and clients) keep their pages: unmapping here only drops
    // the driver's view. ksimd stops using the pool before it calls DeleteAllocator.
    if (initialized_ && outstanding_ > 0)
        logger("core.driver")->error("{}: common buffer freed with {} frames still out", who(), outstanding_);
    drop_buffer();
}

}  // namespace ksim::daemon
