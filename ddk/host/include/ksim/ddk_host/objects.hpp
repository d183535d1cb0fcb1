// The objects ksim makes for a loaded minidriver: one device per module, one filter instance
// per topology filter, one pin instance per pin descriptor, and the driver's timers. Each
// embeds the C object the driver sees (KSDEVICE, KSFILTER, KSPIN, KSIM_TIMER) as its first
// member, whose KSIM_HOST_LINK points back here, so a routine the driver calls finds its
// object in O(1) and can check its kind.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "ksim/ddk/avstream.h"

namespace ksim::ddk_host {

class StreamingHost;
class FilterProcessingHost;
class CommonBufferHost;
class DriverHost;
struct DriverModule;
struct FilterInstance;

// What every object starts with after its C part: its kind (checked on each routine) and the
// memory KsEdit gave it (freed with the object).
enum class ObjectKind : unsigned {
    Device = 0x4B534456,
    Filter = 0x4B534654,
    Pin = 0x4B53504E,
    Timer = 0x4B53544D
};

struct EditedBlock {
    std::unique_ptr<std::byte[]> bytes;
    std::size_t size = 0;
};

struct ObjectBase {
    explicit ObjectBase(ObjectKind k) : kind(k) {}
    ObjectKind kind;
    std::vector<EditedBlock> edits;
    std::string name;  // for messages: "module:filter", "filter.pin"
    // For the bugcheck report (driver_call.hpp), set when the object is made: the module whose
    // code it runs and how the report names the object ("filter 'camera' pin 'capture'").
    DriverModule* module = nullptr;
    std::string description;
};

struct DeviceInstance : ObjectBase {
    DeviceInstance() : ObjectBase(ObjectKind::Device) {}
    KSDEVICE ks{};
    DriverHost* host = nullptr;
    // Set by ksimd around the allocator routines it calls, so that AllocateCommonBuffer lands in
    // the allocator being initialized (null otherwise: the routine then fails, named).
    CommonBufferHost* common_buffers = nullptr;
};

// A timer the driver made with KsimTimerCreate: periodic at Start + Period * (n + 1).
struct TimerInstance : ObjectBase {
    TimerInstance() : ObjectBase(ObjectKind::Timer) {}
    KSIM_TIMER ks{};
    struct PinInstance* pin = nullptr;
    PFNKSIM_TIMER callback = nullptr;
    PVOID context = nullptr;
    bool armed = false;
    LONGLONG start = 0;
    LONGLONG period = 0;
    ULONGLONG fired = 0;  // n: deadlines already fired since the last start
    [[nodiscard]] LONGLONG next_deadline() const { return start + period * static_cast<LONGLONG>(fired + 1); }
};

struct PinInstance : ObjectBase {
    PinInstance() : ObjectBase(ObjectKind::Pin) {}
    KSPIN ks{};
    FilterInstance* filter = nullptr;
    std::string id;                      // KsimName
    std::vector<std::byte> format;       // what ks.ConnectionFormat points at
    StreamingHost* streaming = nullptr;  // set by ksimd while the pin is hosted; null offline
    std::vector<std::unique_ptr<TimerInstance>> timers;
    bool created = false;  // Create succeeded (Close is owed)
    // Built-in drivers only (linked into ksimd): what ksimd tells its own drivers beyond the
    // public API, owned by ksimd's pin (the daemon's BuiltinPinLink); null for loaded modules.
    void* builtin_link = nullptr;

    [[nodiscard]] const KSPIN_DISPATCH* dispatch() const {
        return ks.Descriptor ? ks.Descriptor->Dispatch : nullptr;
    }
    [[nodiscard]] const KSALLOCATOR_DISPATCH* allocator() const {
        const KSPIN_DISPATCH* d = dispatch();
        return d ? d->Allocator : nullptr;
    }
    [[nodiscard]] DeviceInstance& device() const;
    // The earliest deadline of an armed timer; false when none is armed.
    bool next_timer_deadline(LONGLONG& deadline) const;
    // Runs every armed timer's callbacks due by `now`, in deadline order. Returns how many ran.
    std::size_t fire_due_timers(LONGLONG now);
};

struct FilterInstance : ObjectBase {
    FilterInstance() : ObjectBase(ObjectKind::Filter) {}
    KSFILTER ks{};
    DeviceInstance* device = nullptr;
    std::string topology_id;  // the config's filter id
    std::vector<std::unique_ptr<PinInstance>> pins;
    bool created = false;
    FilterProcessingHost* processing = nullptr;  // set by ksimd for a filter-centric filter; null offline

    [[nodiscard]] const KSFILTER_DISPATCH* dispatch() const {
        return ks.Descriptor ? ks.Descriptor->Dispatch : nullptr;
    }
};

inline DeviceInstance& PinInstance::device() const {
    return *filter->device;
}

}  // namespace ksim::ddk_host
