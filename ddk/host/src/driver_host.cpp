// Loading modules and instantiating their filters and pins (see driver_host.hpp).
#include "ksim/ddk_host/driver_host.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "descriptor_convert.hpp"
#include "ksim/ddk_host/driver_call.hpp"
#include "ksim/proto/ntstatus.hpp"

namespace ksim::ddk_host {
namespace {

constexpr ULONG kMaxFilters = 64;
constexpr ULONG kMaxPins = 64;

proto::Diagnostic diag(std::string pointer, std::string rule, std::string message, std::string hint) {
    return proto::Diagnostic{
        "", 0, 0, std::move(pointer), std::move(rule), std::move(message), std::move(hint)};
}

std::string status_text(NTSTATUS s) {
    return proto::ntstatus_name(static_cast<std::uint32_t>(s));
}

// The same rule the daemon applies to its runtime directory: code that runs inside ksimd must
// not be replaceable by another user.
std::optional<std::string> permission_problem(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return fmt::format("cannot stat {}: {}", path, std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return fmt::format("{} is not a regular file", path);
    if (st.st_uid != ::geteuid() && st.st_uid != 0)
        return fmt::format("{} is owned by uid {}, not by this process's user (uid {}) or root", path,
                           st.st_uid, ::geteuid());
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return fmt::format("{} is writable by {} (mode {:04o})", path,
                           (st.st_mode & S_IWOTH) != 0 ? "every user" : "its group", st.st_mode & 07777);
    return std::nullopt;
}

// A module named with a path is taken relative to its config (the loader resolved it); a bare
// file name is searched like a shared library: $KSIM_DRIVER_PATH, then the installed drivers.
std::vector<std::filesystem::path> candidates(const proto::DriverRef& ref, const std::string& default_dir) {
    if (ref.module.find('/') != std::string::npos) return {ref.path};
    std::vector<std::filesystem::path> out;
    if (const char* env = std::getenv("KSIM_DRIVER_PATH")) {
        std::string_view rest(env);
        while (!rest.empty()) {
            const auto colon = rest.find(':');
            const std::string_view dir = rest.substr(0, colon);
            if (!dir.empty()) out.push_back(std::filesystem::path(dir) / ref.module);
            rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
        }
    }
    if (!default_dir.empty()) out.push_back(std::filesystem::path(default_dir) / ref.module);
    return out;
}

std::string filter_names(const KSDEVICE_DESCRIPTOR& d) {
    std::string out;
    for (ULONG i = 0; i < d.FilterDescriptorsCount; ++i) {
        const KSFILTER_DESCRIPTOR* f = d.FilterDescriptors[i];
        if (f == nullptr || f->KsimName == nullptr) continue;
        out += (out.empty() ? "" : ", ") + std::string(f->KsimName);
    }
    return out.empty() ? "(none)" : out;
}

}  // namespace

DriverHost::DriverHost(HostOptions options) : options_(std::move(options)) {}

DriverHost::~DriverHost() {
    // Pins, then filters (Close in reverse creation order), then devices, then the modules.
    for (auto it = filters_.rbegin(); it != filters_.rend(); ++it) {
        FilterInstance& f = **it;
        for (auto p = f.pins.rbegin(); p != f.pins.rend(); ++p) {
            PinInstance& pin = **p;
            if (pin.created && pin.dispatch() && pin.dispatch()->Close) {
                const DriverCall call(pin, "KSPIN_DISPATCH.Close");
                pin.dispatch()->Close(&pin.ks, nullptr);
            }
            pin.created = false;
        }
        if (f.created && f.ks.Descriptor->Dispatch && f.ks.Descriptor->Dispatch->Close) {
            const DriverCall call(f, "KSFILTER_DISPATCH.Close");
            f.ks.Descriptor->Dispatch->Close(&f.ks, nullptr);
        }
    }
    filters_.clear();
    for (auto it = modules_.rbegin(); it != modules_.rend(); ++it) {
        DriverModule& m = **it;
        if (m.started && m.descriptor->Dispatch) {
            if (m.descriptor->Dispatch->Stop) {
                const DriverCall call(*m.device, "KSDEVICE_DISPATCH.Stop");
                m.descriptor->Dispatch->Stop(&m.device->ks, nullptr);
            }
            if (m.descriptor->Dispatch->Remove) {
                const DriverCall call(*m.device, "KSDEVICE_DISPATCH.Remove");
                m.descriptor->Dispatch->Remove(&m.device->ks, nullptr);
            }
        }
        m.device.reset();
        if (m.handle != nullptr) ::dlclose(m.handle);
    }
}

void DriverHost::log(unsigned level, const std::string& object, const std::string& text) const {
    if (options_.log) options_.log(level, object, text);
}

PinInstance* DriverHost::find_pin(std::string_view filter_id, std::string_view pin_id) const {
    for (const auto& f : filters_) {
        if (f->topology_id != filter_id) continue;
        for (const auto& p : f->pins)
            if (p->id == pin_id) return p.get();
    }
    return nullptr;
}

std::expected<DriverModule*, proto::Diagnostic> DriverHost::load(const proto::FilterDescriptor& filter) {
    const std::string ptr = filter.pointer + "/driver/module";
    const auto paths = candidates(*filter.driver, options_.default_driver_dir);
    auto found =
        std::find_if(paths.begin(), paths.end(), [](const auto& p) { return std::filesystem::exists(p); });
    if (found == paths.end()) {
        std::string tried;
        for (const auto& p : paths) tried += (tried.empty() ? "" : ", ") + p.string();
        return std::unexpected(
            diag(ptr, "driver.module-missing",
                 fmt::format("no driver module \"{}\" (looked at {})", filter.driver->module,
                             tried.empty() ? "nothing: $KSIM_DRIVER_PATH is empty" : tried),
                 "a path relative to the config file (\"drivers/libmycam.so\"), or a file name "
                 "found in $KSIM_DRIVER_PATH or the installed drivers' directory"));
    }
    const std::string path = std::filesystem::absolute(*found).lexically_normal().string();
    for (const auto& m : modules_)
        if (m->path == path) return m.get();
    if (options_.check_module_permissions)
        if (auto problem = permission_problem(path))
            return std::unexpected(diag(ptr, "driver.module-permissions",
                                        fmt::format("driver module refused: {}", *problem),
                                        "a module owned by ksimd's user, not writable by group or others "
                                        "(chmod go-w)"));
    auto module = std::make_unique<DriverModule>();
    module->path = path;
    module->file_name = std::filesystem::path(path).filename().string();
    module->handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (module->handle == nullptr)
        return std::unexpected(diag(ptr, "driver.module-unloadable",
                                    fmt::format("dlopen failed: {}", ::dlerror()),
                                    "a shared object built for this machine (a CMake MODULE library)"));
    auto entry = reinterpret_cast<PFNKSIM_DRIVER_ENTRY>(::dlsym(module->handle, KSIM_DRIVER_ENTRY_SYMBOL));
    if (entry == nullptr) {
        ::dlclose(module->handle);
        return std::unexpected(diag(ptr, "driver.entry-missing",
                                    fmt::format("{} exports no symbol {}", path, KSIM_DRIVER_ENTRY_SYMBOL),
                                    "define NTSTATUS DriverEntry(PDRIVER_OBJECT, PCUNICODE_STRING) with "
                                    "KSIM_DRIVER_EXPORT (extern \"C\" in C++)"));
    }
    return start(std::move(module), entry, ptr);
}

std::expected<DriverModule*, proto::Diagnostic> DriverHost::start(std::unique_ptr<DriverModule> module,
                                                                  PFNKSIM_DRIVER_ENTRY entry,
                                                                  const std::string& ptr) {
    module->driver.Ksim = KSIM_HOST_LINK{&host_api(), module.get()};
    const std::string path = module->path;
    // Keep the module in the list from here on, so the destructor unloads it on every path.
    DriverModule* m = module.get();
    modules_.push_back(std::move(module));
    const NTSTATUS status = [&] {
        const DriverCall call(*m, "DriverEntry");
        return entry(&m->driver, m->path.c_str());
    }();
    if (m->initialize_called && m->abi_version != KSIM_DDK_ABI_VERSION)
        return std::unexpected(diag(ptr, "driver.abi-version",
                                    fmt::format("{} was built against ksim driver API version {}; this ksim "
                                                "implements version {}",
                                                path, m->abi_version, KSIM_DDK_ABI_VERSION),
                                    "rebuild the driver against this ksim's headers (ksim/ddk/avstream.h)"));
    if (!NT_SUCCESS(status))
        return std::unexpected(diag(ptr, "driver.entry-failed",
                                    fmt::format("DriverEntry of {} returned {}", path, status_text(status)),
                                    "DriverEntry returns STATUS_SUCCESS after KsInitializeDriver"));
    if (m->descriptor == nullptr)
        return std::unexpected(
            diag(ptr, "driver.no-descriptor",
                 fmt::format("DriverEntry of {} did not register a device descriptor", path),
                 "call KsInitializeDriver(DriverObject, RegistryPath, &DeviceDescriptor)"));
    const KSDEVICE_DESCRIPTOR& d = *m->descriptor;
    if (d.FilterDescriptorsCount > kMaxFilters ||
        (d.FilterDescriptorsCount > 0 && d.FilterDescriptors == nullptr))
        return std::unexpected(
            diag(ptr, "driver.descriptor-invalid",
                 fmt::format("the device descriptor of {} lists {} filters {}", path,
                             d.FilterDescriptorsCount, d.FilterDescriptors ? "(too many)" : "but no array"),
                 fmt::format("at most {} filter descriptors", kMaxFilters)));
    m->device = std::make_unique<DeviceInstance>();
    m->device->ks.Ksim = KSIM_HOST_LINK{&host_api(), static_cast<ObjectBase*>(m->device.get())};
    m->device->ks.Descriptor = m->descriptor;
    m->device->module = m;
    m->device->description = "device";
    m->device->host = this;
    m->device->name = m->file_name;
    if (d.Dispatch != nullptr && d.Dispatch->Add != nullptr)
        if (NTSTATUS s = call_driver(*m->device, "KSDEVICE_DISPATCH.Add", d.Dispatch->Add, &m->device->ks);
            !NT_SUCCESS(s))
            return std::unexpected(
                diag(ptr, "driver.device-add-failed",
                     fmt::format("the device's Add of {} returned {}", path, status_text(s)),
                     "Add returns STATUS_SUCCESS"));
    if (d.Dispatch != nullptr && d.Dispatch->Start != nullptr)
        if (NTSTATUS s = call_driver(*m->device, "KSDEVICE_DISPATCH.Start", d.Dispatch->Start, &m->device->ks,
                                     nullptr, nullptr, nullptr);
            !NT_SUCCESS(s)) {
            if (d.Dispatch->Remove)
                call_driver(*m->device, "KSDEVICE_DISPATCH.Remove", d.Dispatch->Remove, &m->device->ks,
                            nullptr);
            return std::unexpected(
                diag(ptr, "driver.device-start-failed",
                     fmt::format("the device's Start of {} returned {}", path, status_text(s)),
                     "Start returns STATUS_SUCCESS"));
        }
    m->started = true;
    return m;
}

std::expected<FilterInstance*, proto::Diagnostic> DriverHost::create_filter(
    DriverModule& m, const KSFILTER_DESCRIPTOR& fd, const proto::FilterDescriptor& filter,
    const std::string& ptr) {
    if (auto problem = check_filter_descriptor(fd, kMaxPins))
        return std::unexpected(diag(
            ptr, problem->rule,
            fmt::format("filter \"{}\" of {}: {}", fd.KsimName ? fd.KsimName : "", m.path, problem->message),
            problem->hint));
    auto instance = std::make_unique<FilterInstance>();
    FilterInstance& fi = *instance;
    fi.ks.Ksim = KSIM_HOST_LINK{&host_api(), static_cast<ObjectBase*>(&fi)};
    fi.ks.Descriptor = &fd;
    fi.device = m.device.get();
    fi.topology_id = filter.id;
    fi.name = filter.id;
    fi.module = &m;
    fi.description = fmt::format("filter '{}'", filter.id);
    filters_.push_back(std::move(instance));  // owned from here: the destructor closes what was created
    if (fd.Dispatch != nullptr && fd.Dispatch->Create != nullptr)
        if (NTSTATUS s = call_driver(fi, "KSFILTER_DISPATCH.Create", fd.Dispatch->Create, &fi.ks, nullptr);
            !NT_SUCCESS(s))
            return std::unexpected(diag(ptr, "driver.filter-create-failed",
                                        fmt::format("filter Create of \"{}\" returned {}",
                                                    fd.KsimName ? fd.KsimName : "", status_text(s)),
                                        "Create returns STATUS_SUCCESS"));
    fi.created = true;
    return &fi;
}

std::expected<PinInstance*, proto::Diagnostic> DriverHost::create_pin(FilterInstance& fi, ULONG index,
                                                                      std::string id,
                                                                      const std::vector<std::byte>& format,
                                                                      const std::string& ptr) {
    const KSPIN_DESCRIPTOR_EX& pd = fi.ks.Descriptor->PinDescriptors[index];
    auto pin = std::make_unique<PinInstance>();
    PinInstance& pi = *pin;
    pi.ks.Ksim = KSIM_HOST_LINK{&host_api(), static_cast<ObjectBase*>(&pi)};
    pi.ks.Descriptor = &pd;
    pi.ks.Id = index;
    pi.ks.Communication = pd.PinDescriptor.Communication;
    pi.ks.DataFlow = pd.PinDescriptor.DataFlow;
    pi.ks.ConnectionIsExternal = TRUE;
    pi.format = format;
    pi.ks.ConnectionFormat = reinterpret_cast<const KSDATAFORMAT*>(pi.format.data());
    pi.ks.StreamHeaderSize = sizeof(KSSTREAM_HEADER);
    pi.ks.DeviceState = KSSTATE_STOP;
    pi.ks.ClientState = KSSTATE_STOP;
    pi.filter = &fi;
    pi.id = std::move(id);
    pi.name = fi.topology_id + "." + pi.id;
    pi.module = fi.module;
    pi.description = fmt::format("filter '{}' pin '{}'", fi.topology_id, pi.id);
    fi.pins.push_back(std::move(pin));
    if (pd.Dispatch != nullptr && pd.Dispatch->Create != nullptr)
        if (NTSTATUS s = call_driver(pi, "KSPIN_DISPATCH.Create", pd.Dispatch->Create, &pi.ks, nullptr);
            !NT_SUCCESS(s))
            return std::unexpected(diag(ptr, "driver.pin-create-failed",
                                        fmt::format("pin Create of {} returned {}", pi.name, status_text(s)),
                                        "Create returns STATUS_SUCCESS for the topology's format"));
    pi.created = true;
    return &pi;
}

std::expected<std::vector<proto::PinDescriptor>, proto::Diagnostics> DriverHost::driver_pins(
    const proto::FilterDescriptor& filter) {
    auto failed = [](proto::Diagnostic d) { return std::unexpected(proto::Diagnostics{std::move(d)}); };
    if (!filter.driver) return failed(diag(filter.pointer, "driver.missing", "not a driver filter", ""));
    auto module = load(filter);
    if (!module) return failed(std::move(module.error()));
    DriverModule& m = **module;
    const std::string filter_ptr = filter.pointer + "/driver/filter";

    const KSFILTER_DESCRIPTOR* fd = nullptr;
    for (ULONG i = 0; i < m.descriptor->FilterDescriptorsCount && fd == nullptr; ++i) {
        const KSFILTER_DESCRIPTOR* f = m.descriptor->FilterDescriptors[i];
        if (f != nullptr && f->KsimName != nullptr && filter.driver->filter == f->KsimName) fd = f;
    }
    if (fd == nullptr)
        return failed(
            diag(filter_ptr, "driver.unknown-filter",
                 fmt::format("{} has no filter descriptor named \"{}\"", m.path, filter.driver->filter),
                 fmt::format("one of its filters: {}", filter_names(*m.descriptor))));
    auto fi = create_filter(m, *fd, filter, filter_ptr);
    if (!fi) return failed(std::move(fi.error()));

    auto format = connection_format(filter);
    if (!format)
        return failed(diag(filter.pointer, "driver.format-missing",
                           fmt::format("driver filter \"{}\" needs the format its pins stream", filter.id),
                           "add \"video\": {...} or \"audio\": {...} to the filter"));

    std::vector<proto::PinDescriptor> pins;
    for (ULONG i = 0; i < fd->PinDescriptorsCount; ++i) {
        auto pi = create_pin(**fi, i, fd->PinDescriptors[i].KsimName, *format, filter_ptr);
        if (!pi) return failed(std::move(pi.error()));
        const proto::PinDescriptor* listed = filter.find_pin((*pi)->id);
        auto converted = to_pin_descriptor(**pi, listed);
        if (!converted)
            return failed(diag(listed ? listed->pointer : filter_ptr, converted.error().rule,
                               fmt::format("pin {}: {}", (*pi)->name, converted.error().message),
                               converted.error().hint));
        converted->pointer = listed ? listed->pointer : filter.pointer + "/driver";
        pins.push_back(std::move(*converted));
    }
    return pins;
}

std::expected<void, proto::Diagnostic> DriverHost::host_static(const proto::FilterDescriptor& filter,
                                                               const StaticDriver& driver,
                                                               const PinFormat& pin_format) {
    const std::string ptr = filter.pointer + "/kind";
    DriverModule* module = nullptr;
    for (const auto& m : modules_)
        if (m->handle == nullptr && m->path == driver.name) module = m.get();
    if (module == nullptr) {
        auto made = std::make_unique<DriverModule>();
        made->path = driver.name;
        made->file_name = driver.name;
        auto started = start(std::move(made), driver.entry, ptr);
        if (!started) return std::unexpected(std::move(started.error()));
        module = *started;
    }
    DriverModule& m = *module;
    if (m.descriptor->FilterDescriptorsCount != 1 || m.descriptor->FilterDescriptors[0] == nullptr)
        return std::unexpected(
            diag(ptr, "driver.descriptor-invalid",
                 fmt::format("built-in driver {} must register exactly one filter", m.path),
                 "one KSFILTER_DESCRIPTOR in its device descriptor"));
    const KSFILTER_DESCRIPTOR& fd = *m.descriptor->FilterDescriptors[0];
    auto fi = create_filter(m, fd, filter, ptr);
    if (!fi) return std::unexpected(std::move(fi.error()));
    // A config's filter states no format for every kind (a sink takes what arrives): an empty
    // KSDATAFORMAT then, as a driver sees before SetDataFormat.
    std::vector<std::byte> none(sizeof(KSDATAFORMAT));
    reinterpret_cast<KSDATAFORMAT*>(none.data())->FormatSize = sizeof(KSDATAFORMAT);
    const std::optional<std::vector<std::byte>> filters_format = connection_format(filter);
    for (const proto::PinDescriptor& pin : filter.pins) {
        if (pin.hosting != proto::PinHosting::Kernel) continue;
        std::optional<std::vector<std::byte>> stated = filters_format;
        if (pin_format) {
            const std::optional<proto::DataFormat> crossing = pin_format(pin);
            stated = crossing ? connection_format(*crossing) : std::nullopt;
        }
        const std::vector<std::byte>& format = stated ? *stated : none;
        const KSPIN_DATAFLOW flow =
            pin.direction == proto::PinDirection::In ? KSPIN_DATAFLOW_IN : KSPIN_DATAFLOW_OUT;
        for (ULONG i = 0; i < fd.PinDescriptorsCount; ++i) {
            if (fd.PinDescriptors[i].PinDescriptor.DataFlow != flow) continue;
            if (auto pi = create_pin(**fi, i, pin.id, format, pin.pointer); !pi)
                return std::unexpected(std::move(pi.error()));
            break;
        }
    }
    return {};
}

}  // namespace ksim::ddk_host
