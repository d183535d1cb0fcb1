// Fault rules: /faults is a list of {kind, pin, params}; each names a pin that exists and suits
// its kind (a vendor allocator to fail, capture hardware to interrupt, a sink to stall, a client
// to disconnect), with the parameters its kind takes and no others.
#include <fmt/format.h>

#include <set>

#include "ksim/proto/ntstatus.hpp"
#include "topology_reader.hpp"

namespace ksim::proto::detail {
namespace {

// The NTSTATUS errors an InitializeAllocator plausibly returns, which a fault may name (their
// values: ntstatus.hpp).
constexpr std::string_view kStatuses[] = {"STATUS_INSUFFICIENT_RESOURCES", "STATUS_NO_MEMORY",
                                          "STATUS_DEVICE_NOT_READY",       "STATUS_DEVICE_NOT_CONNECTED",
                                          "STATUS_INVALID_PARAMETER",      "STATUS_UNSUCCESSFUL"};

// The one parameter each kind takes ("" = none besides "status" for the vendor fault).
std::string_view param_of(FaultKind k) {
    switch (k) {
        case FaultKind::VendorInitializeFails:
            return "status";
        case FaultKind::PoolExhaustion:
            return "frames";
        case FaultKind::DropInterrupts:
            return "every";
        case FaultKind::DelayInterrupts:
        case FaultKind::StallReleases:
            return "microseconds";
        case FaultKind::DisconnectClient:
            return "frames";
    }
    return "";
}

std::optional<FaultKind> read_kind(ConfigReader& r, const json& v, const std::string& ptr) {
    constexpr FaultKind kinds[] = {FaultKind::VendorInitializeFails, FaultKind::PoolExhaustion,
                                   FaultKind::DropInterrupts,        FaultKind::DelayInterrupts,
                                   FaultKind::StallReleases,         FaultKind::DisconnectClient};
    auto s = r.string(v, ptr, "kind");
    if (!s) return std::nullopt;
    std::vector<std::string> names;
    for (FaultKind k : kinds) {
        if (to_string(k) == *s) return k;
        names.emplace_back(to_string(k));
    }
    auto guess = closest_name(*s, names);
    const std::string all = fmt::format("{}", fmt::join(names, ", "));
    r.report(child(ptr, "kind"), "fault.unknown-kind", fmt::format("unknown fault kind \"{}\"", *s),
             guess ? fmt::format("did you mean \"{}\"? ({})", *guess, all) : fmt::format("one of {}", all));
    return std::nullopt;
}

std::optional<std::uint32_t> read_status(ConfigReader& r, const json& v, const std::string& ptr) {
    auto s = r.string(v, ptr, "status");
    if (!s) return std::nullopt;
    std::vector<std::string> names;
    for (std::string_view name : kStatuses) {
        if (name == *s) return parse_ntstatus(name);
        names.emplace_back(name);
    }
    auto guess = closest_name(*s, names);
    r.report(child(ptr, "status"), "value.unknown-name", fmt::format("unknown NTSTATUS \"{}\"", *s),
             guess ? fmt::format("did you mean \"{}\"?", *guess)
                   : fmt::format("one of {}", fmt::join(names, ", ")));
    return std::nullopt;
}

// A count parameter: required, and at least `least`.
std::optional<std::uint32_t> read_count(ConfigReader& r, const json& v, const std::string& ptr,
                                        std::string_view key, std::uint32_t least, std::string_view why) {
    auto x = r.u32(v, ptr, key);
    if (x && *x < least) {
        r.report(child(ptr, key), "value.out-of-range", fmt::format("{} is {}: {}", key, *x, why),
                 fmt::format("{} >= {}", key, least));
        return std::nullopt;
    }
    return x;
}

bool is_capture(const FilterDescriptor& f, const PinDescriptor& p) {
    return (f.kind == FilterKind::VideoCapture || f.kind == FilterKind::AudioCapture) &&
           p.direction == PinDirection::Out;
}

// A pin that consumes frames and returns them to their pool (ksimd's kernel sink, or a client's
// sink pin): the pins a stall_releases fault can hold back.
bool is_sink(const FilterDescriptor& f, const PinDescriptor& p) {
    return p.direction == PinDirection::In &&
           (p.hosting == PinHosting::User || f.kind == FilterKind::KernelSink);
}

// The pin suits the kind: a vendor allocator to fail, capture hardware to interrupt, a sink to
// stall, a client to disconnect.
void check_pin(ConfigReader& r, const Topology& t, const Fault& f, const PinDescriptor& pin) {
    const FilterDescriptor& filter = *t.find_filter(f.pin.filter);
    const std::string ptr = child(f.pointer, "pin");
    if (f.kind == FaultKind::VendorInitializeFails && !pin.allocator)
        r.report(ptr, "fault.pin-kind",
                 fmt::format("{} declares no vendor allocator, so it has no InitializeAllocator to fail",
                             f.pin.to_string()),
                 "a pin with an \"allocator\" (KSALLOCATOR_DISPATCH)");
    if ((f.kind == FaultKind::DropInterrupts || f.kind == FaultKind::DelayInterrupts) &&
        !is_capture(filter, pin))
        r.report(ptr, "fault.pin-kind",
                 fmt::format("{} is not the output pin of a capture filter, so it has no hardware interrupts",
                             f.pin.to_string()),
                 "the output pin of a video_capture or audio_capture filter");
    if (f.kind == FaultKind::StallReleases && !is_sink(filter, pin))
        r.report(ptr, "fault.pin-kind",
                 fmt::format("{} is not a sink pin (the input pin of a kernel_sink, or a user-hosted input "
                             "pin), so it returns no frames to its pool to stall",
                             f.pin.to_string()),
                 "the input pin of a kernel_sink or user_sink filter");
    if (f.kind == FaultKind::DisconnectClient && pin.hosting != PinHosting::User)
        r.report(
            ptr, "fault.pin-kind",
            fmt::format("{} is kernel-hosted, so no client hosts it to be disconnected", f.pin.to_string()),
            "a user-hosted pin (the pin of a user_source or user_sink filter, or \"hosting\": \"user\")");
}

// nullopt when the entry is not an object or its kind is unknown (both reported).
std::optional<Fault> read_fault(ConfigReader& r, const Topology& t, const json& v, const std::string& ptr) {
    Fault f;
    f.pointer = ptr;
    if (!r.object(v, ptr, {"kind", "pin", "status", "frames", "every", "microseconds", "comment"},
                  {"kind", "pin"}))
        return std::nullopt;
    auto kind = read_kind(r, v, ptr);
    auto ref = parse_ref(r, v, ptr, "pin", "fault");
    const PinDescriptor* pin = ref ? resolve(r, t, *ref, child(ptr, "pin"), "fault") : nullptr;
    if (ref) f.pin = *ref;
    if (!kind) return std::nullopt;
    f.kind = *kind;
    for (std::string_view key : {"status", "frames", "every", "microseconds"})
        if (v.contains(key) && key != param_of(f.kind))
            r.report(child(ptr, key), "fault.param-unexpected",
                     fmt::format("a {} fault takes no \"{}\"", to_string(f.kind), key),
                     fmt::format("its parameter is \"{}\"", param_of(f.kind)));
    switch (f.kind) {
        case FaultKind::VendorInitializeFails:
            if (auto s = read_status(r, v, ptr)) f.status = *s;
            break;
        case FaultKind::PoolExhaustion:
            if (!v.contains("frames"))
                r.report(ptr, "fault.param-missing", "a pool_exhaustion fault needs \"frames\"",
                         "\"frames\": the most frames the allocator hands out at a time, e.g. 1");
            else if (auto x = read_count(r, v, ptr, "frames", 1, "the pool would hand out nothing"))
                f.frames = *x;
            break;
        case FaultKind::DropInterrupts:
            if (!v.contains("every"))
                r.report(ptr, "fault.param-missing", "a drop_interrupts fault needs \"every\"",
                         "\"every\": N loses every N-th interrupt, e.g. 3");
            else if (auto x =
                         read_count(r, v, ptr, "every", 2, "every interrupt lost, nothing would complete"))
                f.every = *x;
            break;
        case FaultKind::DelayInterrupts:
            if (!v.contains("microseconds"))
                r.report(ptr, "fault.param-missing", "a delay_interrupts fault needs \"microseconds\"",
                         "\"microseconds\": how late each interrupt arrives, e.g. 5000");
            else if (auto x = read_count(r, v, ptr, "microseconds", 1, "no delay"))
                f.microseconds = *x;
            break;
        case FaultKind::StallReleases:
            if (!v.contains("microseconds"))
                r.report(ptr, "fault.param-missing", "a stall_releases fault needs \"microseconds\"",
                         "\"microseconds\": how long the pin's returned frames are held back, e.g. 200000");
            else if (auto x = read_count(r, v, ptr, "microseconds", 1, "no stall"))
                f.microseconds = *x;
            break;
        case FaultKind::DisconnectClient:
            if (!v.contains("frames"))
                r.report(
                    ptr, "fault.param-missing", "a disconnect_client fault needs \"frames\"",
                    "\"frames\": the client is disconnected once that many frames crossed the pin, e.g. 30");
            else if (auto x = read_count(r, v, ptr, "frames", 1,
                                         "the client would be disconnected before its first frame"))
                f.frames = *x;
            break;
    }
    if (pin) check_pin(r, t, f, *pin);
    return f;
}

}  // namespace

void read_faults(ConfigReader& r, const json& doc, Topology& t) {
    if (!doc.contains("faults")) return;
    const json& list = doc["faults"];
    if (!r.array(list, "/faults")) return;
    std::set<std::pair<std::string, FaultKind>> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string ptr = child(std::string("/faults"), i);
        std::optional<Fault> f = read_fault(r, t, list[i], ptr);
        if (!f) continue;
        if (!f->pin.filter.empty() && !seen.emplace(f->pin.to_string(), f->kind).second)
            r.report(ptr, "fault.duplicate",
                     fmt::format("a second {} fault on {}", to_string(f->kind), f->pin.to_string()),
                     "one fault of each kind per pin");
        t.faults.push_back(std::move(*f));
    }
}

}  // namespace ksim::proto::detail
