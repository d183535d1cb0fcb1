// DriverHost: loads minidriver modules and instantiates their filters and pins for a topology.
// It is the proto::DriverResolver of the config loader: ksimd and the offline tools load a
// config through it, so the framing every tool reads is what the driver's descriptor declared
// and its pin Create edited (offline equals online). Loading a module: its file must be owned by
// this process's user (or root) and not group/world-writable; dlopen; DriverEntry; the
// descriptor it registers with KsInitializeDriver is checked (ABI version, sizes, names); the
// device's Add and Start run. Instantiating a filter: filter Create, then each pin's Create with
// the topology's format. No allocator routine runs here. Destruction closes pins, filters,
// stops and removes devices, then unloads the modules.
// Not thread-safe: ksimd calls it under its kernel lock, the offline tools from one thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ksim/ddk_host/objects.hpp"
#include "ksim/proto/topology_loader.hpp"

namespace ksim::ddk_host {

// One loaded module (dlopen handle) and the device its DriverEntry registered.
struct DriverModule {
    std::string path;        // a built-in driver's name ("builtin:kernel_sink")
    std::string file_name;   // the path's last component, as a bugcheck report names the module
    void* handle = nullptr;  // null for a built-in driver (StaticDriver)
    DRIVER_OBJECT driver{};
    const KSDEVICE_DESCRIPTOR* descriptor = nullptr;
    ULONG abi_version = 0;  // what KsInitializeDriver passed
    bool initialize_called = false;
    std::unique_ptr<DeviceInstance> device;
    bool started = false;
};

// A driver linked into ksimd instead of loaded from a file (docs/minidriver.md, "Built-in
// drivers"): its DriverEntry runs as a loaded module's does, with the same checks, and the
// bugcheck and the verifier name it by `name` ("builtin:kernel_sink") where they name a file.
struct StaticDriver {
    const char* name;
    PFNKSIM_DRIVER_ENTRY entry;
};

struct HostOptions {
    // A driver's KsimLog lines and ksim's own notes about driver misuse: (level, object, text).
    // Levels are KSIM_LOG_*. Default: nothing.
    std::function<void(unsigned, const std::string&, const std::string&)> log;
    // Refuse modules not owned by this uid (or root), or writable by group/others.
    bool check_module_permissions = true;
    // Where a bare module name ("libmycam.so", no '/') is looked for after the directories of
    // $KSIM_DRIVER_PATH (colon-separated): the installed drivers' directory.
    std::string default_driver_dir = KSIM_DEFAULT_DRIVER_DIR;
};

class DriverHost final : public proto::DriverResolver {
public:
    explicit DriverHost(HostOptions options = {});
    ~DriverHost() override;
    DriverHost(const DriverHost&) = delete;
    DriverHost& operator=(const DriverHost&) = delete;

    // proto::DriverResolver: loads filter.driver->path (once per path), creates the filter
    // instance and its pins, and returns their descriptors: id = KsimName, direction, kernel
    // hosting, medium, the framing after Create, the allocator capabilities (from the
    // descriptor, or from the config's pin entry in `filter.pins`).
    std::expected<std::vector<proto::PinDescriptor>, proto::Diagnostics> driver_pins(
        const proto::FilterDescriptor& filter) override;

    // The format of the data crossing one of a filter's pins (KSPROPERTY_CONNECTION_DATAFORMAT),
    // nullopt when nothing declares one: what the pin's ConnectionFormat is created with.
    using PinFormat = std::function<std::optional<proto::DataFormat>(const proto::PinDescriptor&)>;

    // Hosts topology filter `filter` (a built-in kind, whose pins and framing are the config's)
    // with `driver`: DriverEntry the first time, then its one filter's Create and, for each
    // kernel-hosted pin of the config, the Create of the driver's first pin descriptor of that
    // direction (named by the config's pin id). A config pin with no such descriptor stays
    // without an instance (the class driver hosts it). Each pin's ConnectionFormat is
    // `pin_format`'s for it (a copy transform's input pin carries its upstream's format, its
    // output pin its own); without `pin_format`, the filter's format for every pin.
    std::expected<void, proto::Diagnostic> host_static(const proto::FilterDescriptor& filter,
                                                       const StaticDriver& driver,
                                                       const PinFormat& pin_format = {});

    // The pin instance of topology filter `filter_id`, pin `pin_id`; null when none.
    [[nodiscard]] PinInstance* find_pin(std::string_view filter_id, std::string_view pin_id) const;
    [[nodiscard]] const HostOptions& options() const { return options_; }

    // Logs through HostOptions::log.
    void log(unsigned level, const std::string& object, const std::string& text) const;

private:
    std::expected<DriverModule*, proto::Diagnostic> load(const proto::FilterDescriptor& filter);
    // DriverEntry, the descriptor's checks, the device's Add and Start (`ptr`: where errors point).
    std::expected<DriverModule*, proto::Diagnostic> start(std::unique_ptr<DriverModule> module,
                                                          PFNKSIM_DRIVER_ENTRY entry, const std::string& ptr);
    std::expected<FilterInstance*, proto::Diagnostic> create_filter(DriverModule& m,
                                                                    const KSFILTER_DESCRIPTOR& fd,
                                                                    const proto::FilterDescriptor& filter,
                                                                    const std::string& ptr);
    std::expected<PinInstance*, proto::Diagnostic> create_pin(FilterInstance& fi, ULONG index, std::string id,
                                                              const std::vector<std::byte>& format,
                                                              const std::string& ptr);
    HostOptions options_;
    std::vector<std::unique_ptr<DriverModule>> modules_;
    std::vector<std::unique_ptr<FilterInstance>> filters_;
};

// The host's routine table (what every object's KSIM_HOST_LINK.Api points at).
const KSIM_HOST_API& host_api();
// The DriverHost that owns `object` (a pin, filter, device or timer made by one).
DriverHost* host_of(const void* object);

}  // namespace ksim::ddk_host
