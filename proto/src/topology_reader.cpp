#include "topology_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "framing_config.hpp"
#include "ksim/proto/memory_types.hpp"

namespace ksim::proto::detail {
namespace {

template <typename E>
struct Choice {
    std::string_view name;
    E value;
};

template <typename E, std::size_t N>
std::optional<E> read_choice(ConfigReader& r, const json& obj, const std::string& ptr, std::string_view key,
                             const Choice<E> (&choices)[N], std::string_view what) {
    auto s = r.string(obj, ptr, key);
    if (!s) return std::nullopt;
    std::vector<std::string> names;
    std::string all;
    for (const auto& c : choices) {
        if (c.name == *s) return c.value;
        names.emplace_back(c.name);
        all += (all.empty() ? "" : ", ") + std::string(c.name);
    }
    auto guess = closest_name(*s, names);
    r.report(child(ptr, key), "value.unknown-name", fmt::format("unknown {} \"{}\"", what, *s),
             guess ? fmt::format("did you mean \"{}\"? ({})", *guess, all) : fmt::format("one of {}", all));
    return std::nullopt;
}

// The config's "kind" values: every name of proto's filter-kind table but "driver" (a driver
// filter says "driver": {...} instead).
std::optional<FilterKind> read_filter_kind(ConfigReader& r, const json& obj, const std::string& ptr) {
    auto s = r.string(obj, ptr, "kind");
    if (!s) return std::nullopt;
    std::vector<std::string> names;
    std::string all;
    for (const FilterKindName& k : filter_kind_names()) {
        if (k.kind == FilterKind::Driver) continue;
        if (k.name == *s) return k.kind;
        names.emplace_back(k.name);
        all += (all.empty() ? "" : ", ") + std::string(k.name);
    }
    if (*s == to_string(FilterKind::Driver)) {
        r.report(
            child(ptr, "kind"), "driver.missing",
            "a driver filter names its module with \"driver\", not with \"kind\"",
            "\"driver\": {\"module\": \"drivers/libmycam.so\", \"filter\": \"MyCapture\"} without \"kind\"");
        return std::nullopt;
    }
    auto guess = closest_name(*s, names);
    r.report(child(ptr, "kind"), "value.unknown-name", fmt::format("unknown filter kind \"{}\"", *s),
             guess ? fmt::format("did you mean \"{}\"? ({})", *guess, all) : fmt::format("one of {}", all));
    return std::nullopt;
}

// "driver": {"module": PATH, "filter": NAME}; PATH is relative to the config file's directory.
std::optional<DriverRef> read_driver_ref(ConfigReader& r, const json& v, const std::string& ptr) {
    if (!r.object(v, ptr, {"module", "filter", "comment"}, {"module", "filter"})) return std::nullopt;
    DriverRef d;
    auto module = r.string(v, ptr, "module");
    auto filter = r.string(v, ptr, "filter");
    if (!module || !filter) return std::nullopt;
    if (module->empty() || filter->empty()) {
        r.report(module->empty() ? child(ptr, "module") : child(ptr, "filter"), "driver.empty-name",
                 "the module path and the filter name must not be empty",
                 "\"module\": \"drivers/libmycam.so\", \"filter\": \"MyCapture\"");
        return std::nullopt;
    }
    d.module = *module;
    d.filter = *filter;
    std::filesystem::path path(*module);
    d.path = path.is_absolute() ? path : std::filesystem::path(r.file()).parent_path() / path;
    return d;
}
constexpr Choice<PinDirection> kDirections[] = {{"in", PinDirection::In}, {"out", PinDirection::Out}};
constexpr Choice<PinHosting> kHostings[] = {{"kernel", PinHosting::Kernel}, {"user", PinHosting::User}};
constexpr Choice<VideoFormat> kFormats[] = {
    {"NV12", VideoFormat::Nv12}, {"YUY2", VideoFormat::Yuy2}, {"RGB24", VideoFormat::Rgb24}};

// An id is referenced as "filter.pin": the one id rule (is_valid_id).
bool check_id(ConfigReader& r, const std::string& ptr, const std::string& id) {
    if (is_valid_id(id)) return true;
    r.report(ptr, "id.invalid", fmt::format("id \"{}\" is empty or contains '.'", id),
             "a non-empty id without '.', e.g. \"capture\"");
    return false;
}

// The fps value as written when it is a short array, else its type: never the whole subtree.
std::string fps_preview(const json& f) {
    if (!f.is_array() || f.size() > 4) return json_preview(f);
    std::string out = "[";
    for (std::size_t i = 0; i < f.size(); ++i) out += (i ? ", " : "") + json_preview(f[i]);
    return out + "]";
}

void positive(ConfigReader& r, const std::string& ptr, std::string_view key, std::uint32_t value) {
    if (value == 0)
        r.report(child(ptr, key), "value.out-of-range", fmt::format("{} is 0", key),
                 fmt::format("{} >= 1", key));
}

std::optional<VideoParams> read_video(ConfigReader& r, const json& v, const std::string& ptr) {
    if (!r.object(v, ptr, {"format", "width", "height", "fps"}, {"format", "width", "height"}))
        return std::nullopt;
    VideoParams p;
    if (auto f = read_choice(r, v, ptr, "format", kFormats, "video format")) p.format = *f;
    if (auto x = r.u32(v, ptr, "width")) positive(r, ptr, "width", p.width = *x);
    if (auto x = r.u32(v, ptr, "height")) positive(r, ptr, "height", p.height = *x);
    if (v.contains("fps")) {
        std::string fp = child(ptr, "fps");
        const json& f = v["fps"];
        if (!f.is_array() || f.size() != 2 || !f[0].is_number_integer() || !f[1].is_number_integer()) {
            r.report(fp, "type.mismatch",
                     fmt::format("fps must be [numerator, denominator], found {}", fps_preview(f)),
                     "e.g. [30, 1] or [30000, 1001]");
        } else if (f[0].get<std::int64_t>() <= 0 || f[1].get<std::int64_t>() <= 0 ||
                   f[0].get<std::int64_t>() > 0xFFFFFFFFll || f[1].get<std::int64_t>() > 0xFFFFFFFFll) {
            r.report(fp, "value.out-of-range",
                     fmt::format("frame rate {} has a zero or oversized term", fps_preview(f)),
                     "both terms between 1 and 4294967295");
        } else {
            p.fps_numerator = f[0].get<std::uint32_t>();
            p.fps_denominator = f[1].get<std::uint32_t>();
        }
    }
    return p;
}

std::optional<AudioParams> read_audio(ConfigReader& r, const json& v, const std::string& ptr) {
    if (!r.object(v, ptr, {"sample_rate", "channels", "bits_per_sample", "frames_per_period"}))
        return std::nullopt;
    AudioParams p;
    if (auto x = r.u32(v, ptr, "sample_rate")) positive(r, ptr, "sample_rate", p.sample_rate = *x);
    if (auto x = r.u32(v, ptr, "channels")) positive(r, ptr, "channels", p.channels = *x);
    if (auto x = r.u32(v, ptr, "bits_per_sample")) {
        p.bits_per_sample = *x;
        if (*x == 0 || *x % 8 != 0 || *x > 32)
            r.report(child(ptr, "bits_per_sample"), "value.out-of-range",
                     fmt::format("{} bits per sample is not a PCM container size", *x), "8, 16, 24 or 32");
    }
    if (auto x = r.u32(v, ptr, "frames_per_period"))
        positive(r, ptr, "frames_per_period", p.frames_per_period = *x);
    return p;
}

PinDescriptor read_pin(ConfigReader& r, const json& v, const std::string& ptr, FilterKind kind) {
    PinDescriptor pin;
    pin.pointer = ptr;
    if (!r.object(
            v, ptr,
            {"id", "direction", "hosting", "medium", "framing", "legacy_framing", "allocator", "comment"},
            {"id", "direction"}))
        return pin;
    if (auto id = r.string(v, ptr, "id")) {
        pin.id = *id;
        check_id(r, child(ptr, "id"), *id);
    }
    if (auto d = read_choice(r, v, ptr, "direction", kDirections, "direction")) pin.direction = *d;
    if (auto h = read_choice(r, v, ptr, "hosting", kHostings, "hosting")) pin.hosting = *h;
    bool user_kind = kind == FilterKind::UserSink || kind == FilterKind::UserSource;
    if (v.contains("hosting") && pin.hosting == PinHosting::Kernel && user_kind)
        r.report(child(ptr, "hosting"), "pin.hosting-kind",
                 "a pin of a user-mode client filter cannot be kernel-hosted",
                 "\"hosting\": \"user\" (or make the filter a kernel kind)");
    if (!v.contains("hosting") && user_kind) pin.hosting = PinHosting::User;
    if (v.contains("medium"))
        if (auto g = r.bus_type(v["medium"], child(ptr, "medium"))) pin.medium = *g;
    if (v.contains("framing") && v.contains("legacy_framing"))
        r.report(child(ptr, "legacy_framing"), "framing.conflict",
                 "a pin answers either ALLOCATORFRAMING_EX or the legacy ALLOCATORFRAMING, not both",
                 "keep \"framing\" or \"legacy_framing\"", true);
    if (v.contains("framing")) pin.framing = read_framing(r, v["framing"], child(ptr, "framing"));
    if (v.contains("legacy_framing"))
        pin.legacy_framing = read_legacy_framing(r, v["legacy_framing"], child(ptr, "legacy_framing"));
    if (v.contains("allocator")) {
        std::string ap = child(ptr, "allocator");
        pin.allocator = read_allocator(r, v["allocator"], ap);
        if (pin.allocator && pin.hosting == PinHosting::User && pin.allocator->mode == AllocatorMode::Kernel)
            r.report(
                ap, "allocator.kernel-on-user-pin",
                fmt::format("user-hosted pin declares kernel-mode allocator \"{}\"", pin.allocator->name),
                "a KSALLOCATOR_DISPATCH allocator lives in the kernel: host the pin in the kernel, or use "
                "\"mode\": \"user\"");
    }
    return pin;
}

// A driver filter's "pins" are optional: its pins come from the driver. An entry names one of
// them and may only add what the driver cannot say (the allocator's capabilities for
// negotiation, when the descriptor declares none).
void read_driver_pins(ConfigReader& r, const json& v, const std::string& ptr, FilterDescriptor& f) {
    if (!r.array(v, ptr)) return;
    for (std::size_t i = 0; i < v.size(); ++i) {
        std::string p = child(ptr, i);
        if (!r.object(v[i], p, {"id", "allocator", "comment"}, {"id"})) continue;
        PinDescriptor pin;
        pin.pointer = p;
        if (auto id = r.string(v[i], p, "id")) pin.id = *id;
        if (v[i].contains("allocator"))
            pin.allocator = read_allocator(r, v[i]["allocator"], child(p, "allocator"));
        f.pins.push_back(std::move(pin));
    }
}

// The driver's pins, merged with the config's entries for them.
void instantiate_driver(ConfigReader& r, DriverResolver* drivers, FilterDescriptor& f) {
    const std::string ptr = child(f.pointer, "driver");
    if (drivers == nullptr) {
        r.report(ptr, "driver.no-loader", "this program does not load driver modules",
                 "load the config with ksimd, ksimctl validate or ksimctl negotiate");
        return;
    }
    auto pins = drivers->driver_pins(f);
    if (!pins) {
        for (const Diagnostic& d : pins.error()) r.report(d.pointer, d.rule, d.message, d.hint);
        return;
    }
    for (const PinDescriptor& listed : f.pins) {
        auto it = std::find_if(pins->begin(), pins->end(),
                               [&](const PinDescriptor& p) { return p.id == listed.id; });
        if (it == pins->end()) {
            std::string have;
            for (const auto& p : *pins) have += (have.empty() ? "" : ", ") + p.id;
            r.report(child(listed.pointer, "id"), "driver.unknown-pin",
                     fmt::format("driver filter \"{}\" of {} has no pin \"{}\"", f.driver->filter,
                                 f.driver->path.string(), listed.id),
                     fmt::format("one of its pins: {}", have.empty() ? "(none)" : have));
            continue;
        }
        it->pointer = listed.pointer;
        if (listed.allocator) {
            if (!it->allocator)
                r.report(child(listed.pointer, "allocator"), "driver.allocator-without-dispatch",
                         fmt::format("pin \"{}\" of driver filter \"{}\" has no KSALLOCATOR_DISPATCH",
                                     listed.id, f.driver->filter),
                         "declare capabilities only for a pin whose KSPIN_DISPATCH.Allocator is set");
            else
                it->allocator = listed.allocator;
        }
    }
    f.pins = std::move(*pins);
}

FilterDescriptor read_filter(ConfigReader& r, const json& v, const std::string& ptr,
                             DriverResolver* drivers) {
    FilterDescriptor f;
    f.pointer = ptr;
    if (!r.object(v, ptr, {"id", "kind", "driver", "video", "audio", "pins", "comment"}, {"id"})) return f;
    if (auto id = r.string(v, ptr, "id")) {
        f.id = *id;
        check_id(r, child(ptr, "id"), *id);
    }
    if (v.contains("driver")) {
        if (v.contains("kind"))
            r.report(child(ptr, "kind"), "driver.kind-conflict",
                     "a filter is either a built-in kind or a driver module, not both",
                     "keep \"kind\" or \"driver\"", true);
        f.kind = FilterKind::Driver;
        f.driver = read_driver_ref(r, v["driver"], child(ptr, "driver"));
        if (v.contains("video")) f.video = read_video(r, v["video"], child(ptr, "video"));
        if (v.contains("audio")) f.audio = read_audio(r, v["audio"], child(ptr, "audio"));
        if (v.contains("pins")) read_driver_pins(r, v["pins"], child(ptr, "pins"), f);
        if (f.driver && r.error_count() == 0) instantiate_driver(r, drivers, f);
        return f;
    }
    // A built-in filter needs both; the hint names the alternative.
    for (std::string_view key : {"kind", "pins"})
        if (!v.contains(key))
            r.report(ptr, "key.missing", fmt::format("missing required key \"{}\"", key),
                     fmt::format("add \"{}\" (or \"driver\" for a minidriver module)", key));
    // Without "kind" the pins are still read (as the default kind), so that one missing key is
    // one diagnostic rather than a cascade through every connection naming them.
    auto kind = v.contains("kind") ? read_filter_kind(r, v, ptr) : std::nullopt;
    if (kind) f.kind = *kind;
    if (v.contains("video")) f.video = read_video(r, v["video"], child(ptr, "video"));
    if (v.contains("audio")) f.audio = read_audio(r, v["audio"], child(ptr, "audio"));
    if (kind == FilterKind::VideoCapture && !v.contains("video"))
        r.report(ptr, "filter.params-missing", "a video_capture filter needs \"video\"",
                 "\"video\": {\"format\": \"NV12\", \"width\": 1920, \"height\": 1080, \"fps\": [30, 1]}");
    if (kind == FilterKind::AudioCapture && !v.contains("audio"))
        r.report(ptr, "filter.params-missing", "an audio_capture filter needs \"audio\"",
                 "\"audio\": {\"sample_rate\": 48000, \"channels\": 2, \"bits_per_sample\": 16}");
    if (!v.contains("pins")) return f;
    std::string pp = child(ptr, "pins");
    if (!r.array(v["pins"], pp)) return f;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < v["pins"].size(); ++i) {
        std::string p = child(pp, i);
        PinDescriptor pin = read_pin(r, v["pins"][i], p, f.kind);
        if (!pin.id.empty() && !seen.insert(pin.id).second)
            r.report(child(p, "id"), "id.duplicate",
                     fmt::format("pin id \"{}\" is used twice in filter \"{}\"", pin.id, f.id),
                     "unique pin ids within a filter");
        f.pins.push_back(std::move(pin));
    }
    if (f.kind == FilterKind::InPlaceTransform)
        if (auto problem = in_place_pair_problem(f))
            r.report(
                ptr, "filter.in-place-pair", *problem,
                "one \"in\" and one \"out\" pin, each with \"flags\": [\"INPLACE_MODIFIER\", ...] in its "
                "framing");
    return f;
}

void read_memory_types(ConfigReader& r, const json& v, const std::string& ptr, Topology& t) {
    if (!v.is_object()) {
        r.report(ptr, "type.mismatch", fmt::format("expected an object, found {}", type_word(v)),
                 "{\"NAME\": \"GUID\", ...}");
        return;
    }
    for (const auto& [name, value] : v.items()) {
        std::string p = child(ptr, name);
        bool clash = name == "WILDCARD";
        for (const auto& m : known_memory_types()) clash = clash || m.name == name;
        if (clash) {
            r.report(p, "memory-type.redefined", fmt::format("\"{}\" is a well-known memory type", name),
                     "choose another name, e.g. \"VENDOR_VRAM\"", true);
            continue;
        }
        std::optional<Guid> g = value.is_string() ? Guid::parse(value.get<std::string>()) : std::nullopt;
        if (!g) {
            r.report(p, "guid.malformed", fmt::format("{} is not a GUID string", json_preview(value)),
                     "\"XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX\"");
            continue;
        }
        t.memory_types.push_back(CustomMemoryType{name, *g, MemoryClass::DeviceSpecific});
    }
}

}  // namespace

Topology read_topology(ConfigReader& r, const json& doc, DriverResolver* drivers) {
    Topology t;
    if (!r.object(doc, "",
                  {"ksim_topology", "name", "comment", "memory_types", "filters", "connections", "faults"},
                  {"ksim_topology", "filters"}))
        return t;
    if (auto version = r.u32(doc, "", "ksim_topology"); version && *version != 1)
        r.report("/ksim_topology", "version.unsupported",
                 fmt::format("config format version {} is not supported", *version), "\"ksim_topology\": 1");
    if (auto x = r.string(doc, "", "name")) t.name = *x;
    if (auto x = r.string(doc, "", "comment")) t.comment = *x;
    if (doc.contains("memory_types")) read_memory_types(r, doc["memory_types"], "/memory_types", t);
    r.custom_memory_type = [&t](std::string_view name) -> std::optional<Guid> {
        for (const auto& m : t.memory_types)
            if (m.name == name) return m.guid;
        return std::nullopt;
    };
    if (doc.contains("filters") && r.array(doc["filters"], "/filters")) {
        std::set<std::string> seen;
        for (std::size_t i = 0; i < doc["filters"].size(); ++i) {
            std::string p = child(std::string("/filters"), i);
            FilterDescriptor f = read_filter(r, doc["filters"][i], p, drivers);
            if (!f.id.empty() && !seen.insert(f.id).second)
                r.report(child(p, "id"), "id.duplicate", fmt::format("filter id \"{}\" is used twice", f.id),
                         "unique filter ids");
            t.filters.push_back(std::move(f));
        }
    }
    read_connections(r, doc, t);
    read_faults(r, doc, t);
    r.custom_memory_type = nullptr;
    return t;
}

}  // namespace ksim::proto::detail
