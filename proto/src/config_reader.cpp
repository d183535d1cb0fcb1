#include "config_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "ksim/proto/framing.hpp"
#include "ksim/proto/memory_types.hpp"

namespace ksim::proto::detail {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t up = row[j];
            bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

// A guess costs an edit distance per candidate, quadratic in the names' length, and a client can
// ask for unknown pins of a filter with thousands of pins: beyond these bounds there is no guess
// (names that long are generated, not typed; the hint then lists names instead).
constexpr std::size_t kLongestGuessedWord = 64;
constexpr std::size_t kMostGuessCandidates = 1024;

template <typename Range>
std::optional<std::string> closest_in(std::string_view word, const Range& candidates) {
    std::optional<std::string> best;
    if (word.size() > kLongestGuessedWord || std::size(candidates) > kMostGuessCandidates) return best;
    std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (const auto& c : candidates) {
        const std::string_view name(c);
        // The distance is at least the difference in length: no need to compute it.
        if ((name.size() > word.size() ? name.size() - word.size() : word.size() - name.size()) >=
            best_distance)
            continue;
        std::size_t d = edit_distance(word, name);
        if (d < best_distance) {
            best_distance = d;
            best = std::string(c);
        }
    }
    return best;
}

std::string join(std::initializer_list<std::string_view> names) {
    std::string out;
    for (auto n : names) out += (out.empty() ? "" : ", ") + std::string(n);
    return out;
}

constexpr std::string_view kRequirementPrefix = "KSALLOCATOR_REQUIREMENTF_";
constexpr std::string_view kPipePrefix = "KSALLOCATOR_FLAG_";
constexpr std::string_view kOptionPrefix = "KSALLOCATOR_OPTIONF_";

// Parsed non-negative numbers are unsigned; values built in C++ may be signed.
std::optional<std::uint64_t> as_u64(const json& v) {
    if (v.is_number_unsigned()) return v.get<std::uint64_t>();
    if (v.is_number_integer() && v.get<std::int64_t>() >= 0)
        return static_cast<std::uint64_t>(v.get<std::int64_t>());
    return std::nullopt;
}

std::optional<std::uint32_t> as_u32(const json& v) {
    auto x = as_u64(v);
    if (x && *x <= 0xFFFFFFFFull) return static_cast<std::uint32_t>(*x);
    return std::nullopt;
}

}  // namespace

std::optional<std::string_view> closest_name(std::string_view word,
                                             std::initializer_list<std::string_view> candidates) {
    auto best = closest_in(word, candidates);
    if (!best) return std::nullopt;
    for (auto c : candidates)
        if (c == *best) return c;
    return std::nullopt;
}

std::optional<std::string> closest_name(std::string_view word, const std::vector<std::string>& candidates) {
    return closest_in(word, candidates);
}

std::string_view type_word(const json& v) {
    if (v.is_number_unsigned() || v.is_number_integer()) return "integer";
    return v.type_name();
}

void ConfigReader::report(std::string_view pointer, std::string rule, std::string message, std::string hint,
                          bool at_key) {
    TextPosition p = at_key ? index_.key(pointer) : index_.value(pointer);
    out_.push_back(Diagnostic{file_, p.line, p.column, std::string(pointer), std::move(rule),
                              std::move(message), std::move(hint)});
}

bool ConfigReader::object(const json& v, const std::string& ptr,
                          std::initializer_list<std::string_view> allowed,
                          std::initializer_list<std::string_view> required) {
    if (!v.is_object()) {
        report(ptr, "type.mismatch", fmt::format("expected an object, found {}", type_word(v)),
               fmt::format("an object with keys {}", join(allowed)));
        return false;
    }
    for (const auto& [key, value] : v.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
        auto guess = closest_name(key, allowed);
        report(child(ptr, key), "key.unknown", fmt::format("unknown key \"{}\"", key),
               guess ? fmt::format("did you mean \"{}\"?", *guess)
                     : fmt::format("valid keys: {}", join(allowed)),
               true);
    }
    for (auto key : required) {
        if (!v.contains(key))
            report(ptr, "key.missing", fmt::format("missing required key \"{}\"", key),
                   fmt::format("add \"{}\"", key));
    }
    return true;
}

bool ConfigReader::array(const json& v, const std::string& ptr) {
    if (v.is_array()) return true;
    report(ptr, "type.mismatch", fmt::format("expected an array, found {}", type_word(v)), "an array");
    return false;
}

std::optional<std::uint32_t> ConfigReader::u32(const json& obj, const std::string& ptr,
                                               std::string_view key) {
    auto it = obj.find(key);
    if (it == obj.end()) return std::nullopt;
    std::string p = child(ptr, key);
    if (!it->is_number_integer()) {
        report(p, "type.mismatch", fmt::format("expected an unsigned integer, found {}", type_word(*it)),
               "an integer from 0 to 4294967295");
        return std::nullopt;
    }
    if (auto x = as_u32(*it)) return x;
    report(p, "value.out-of-range", fmt::format("{} does not fit a ULONG", json_preview(*it)),
           "an integer from 0 to 4294967295");
    return std::nullopt;
}

std::optional<std::uint64_t> ConfigReader::u64(const json& obj, const std::string& ptr,
                                               std::string_view key) {
    auto it = obj.find(key);
    if (it == obj.end()) return std::nullopt;
    std::string p = child(ptr, key);
    if (auto x = as_u64(*it)) return x;
    if (it->is_string()) {
        std::string s = it->get<std::string>();
        if (s.size() > 2 && s.size() <= 18 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
            if (auto v = proto::detail::parse_hex(std::string_view(s).substr(2))) return *v;
        }
    }
    report(p, "type.mismatch",
           fmt::format("expected an unsigned 64-bit address, found {}", json_preview(*it)),
           "a non-negative integer or a hex string such as \"0x100000000\"");
    return std::nullopt;
}

std::optional<bool> ConfigReader::boolean(const json& obj, const std::string& ptr, std::string_view key) {
    auto it = obj.find(key);
    if (it == obj.end()) return std::nullopt;
    if (it->is_boolean()) return it->get<bool>();
    report(child(ptr, key), "type.mismatch", fmt::format("expected a boolean, found {}", type_word(*it)),
           "true or false");
    return std::nullopt;
}

std::optional<std::string> ConfigReader::string(const json& obj, const std::string& ptr,
                                                std::string_view key) {
    auto it = obj.find(key);
    if (it == obj.end()) return std::nullopt;
    if (it->is_string()) return it->get<std::string>();
    report(child(ptr, key), "type.mismatch", fmt::format("expected a string, found {}", type_word(*it)),
           "a string");
    return std::nullopt;
}

std::optional<Guid> ConfigReader::memory_type(const json& v, const std::string& ptr) {
    if (v.is_string()) {
        std::string s = v.get<std::string>();
        std::string_view name = s;
        if (name.starts_with("KSMEMORY_TYPE_")) name.remove_prefix(14);
        for (const auto& m : known_memory_types())
            if (m.name == name) return m.guid;
        if (name == "WILDCARD") return memory_type::kDontCare;
        if (custom_memory_type)
            if (auto g = custom_memory_type(s)) return g;
        if (auto g = Guid::parse(s)) return g;
        std::vector<std::string> names;
        for (const auto& m : known_memory_types()) names.emplace_back(m.name);
        auto guess = closest_name(name, names);
        report(ptr, "memory-type.unknown", fmt::format("unknown memory type \"{}\"", s),
               guess ? fmt::format(
                           "did you mean \"{}\"? (or a name declared in /memory_types, or a GUID string)",
                           *guess)
                     : "a KSMEMORY_TYPE_ name (SYSTEM, USER, KERNEL_PAGED, KERNEL_NONPAGED, DONT_CARE), a "
                       "name declared in /memory_types, or a GUID string");
        return std::nullopt;
    }
    report(ptr, "type.mismatch",
           fmt::format("expected a memory type name or GUID string, found {}", type_word(v)),
           "e.g. \"KERNEL_NONPAGED\" or \"4A6D5FC4-7895-11D1-B069-00A0C9062802\"");
    return std::nullopt;
}

std::optional<Guid> ConfigReader::bus_type(const json& v, const std::string& ptr) {
    if (v.is_string()) {
        std::string s = v.get<std::string>();
        std::string_view name = s;
        if (name.starts_with("GUID_BUS_TYPE_")) name.remove_prefix(14);
        for (const auto& b : known_bus_types())
            if (b.name == name) return b.guid;
        if (auto g = Guid::parse(s)) return g;
        report(ptr, "bus-type.unknown", fmt::format("unknown bus type \"{}\"", s),
               "DONT_CARE, PCI, USB, 1394, STANDARD or a GUID string");
        return std::nullopt;
    }
    report(ptr, "type.mismatch",
           fmt::format("expected a bus type name or GUID string, found {}", type_word(v)),
           "e.g. \"DONT_CARE\"");
    return std::nullopt;
}

std::optional<std::uint32_t> ConfigReader::alignment(const json& v, const std::string& ptr) {
    constexpr std::string_view kHint =
        "a FILE_*_ALIGNMENT name, a mask of the form 2^n-1 (e.g. 63), or {\"bytes\": 64}";
    if (v.is_string()) {
        std::string s = v.get<std::string>();
        for (const auto& a : file_alignment_names())
            if (a.name == s) return a.value;
        std::vector<std::string> names;
        for (const auto& a : file_alignment_names()) names.emplace_back(a.name);
        auto guess = closest_name(s, names);
        report(ptr, "alignment.unknown-name", fmt::format("unknown alignment \"{}\"", s),
               guess ? fmt::format("did you mean \"{}\"?", *guess) : std::string(kHint));
        return std::nullopt;
    }
    if (auto as_mask = as_u32(v)) {
        auto mask = *as_mask;
        if (is_alignment_mask(mask)) return mask;
        report(ptr, "alignment.not-mask", fmt::format("alignment mask {:#x} is not of the form 2^n-1", mask),
               std::string(kHint));
        return std::nullopt;
    }
    if (v.is_object()) {
        if (!object(v, ptr, {"bytes"}, {"bytes"})) return std::nullopt;
        auto bytes = u32(v, ptr, "bytes");
        if (!bytes) return std::nullopt;
        if (*bytes == 0 || (*bytes & (*bytes - 1)) != 0) {
            report(child(ptr, "bytes"), "alignment.not-mask",
                   fmt::format("alignment of {} bytes is not a power of two", *bytes),
                   "1, 2, 4, 8, ... bytes");
            return std::nullopt;
        }
        return *bytes - 1;
    }
    report(ptr, "type.mismatch", fmt::format("expected an alignment, found {}", json_preview(v)),
           std::string(kHint));
    return std::nullopt;
}

std::optional<std::uint32_t> ConfigReader::item_flags(const json& v, const std::string& ptr) {
    return flags(v, ptr, false);
}
std::optional<std::uint32_t> ConfigReader::legacy_flags(const json& v, const std::string& ptr) {
    return flags(v, ptr, true);
}

std::optional<std::uint32_t> ConfigReader::flags(const json& v, const std::string& ptr, bool legacy) {
    if (auto x = as_u32(v)) return x;
    if (!v.is_array()) {
        report(ptr, "type.mismatch",
               fmt::format("expected an array of flag names or a number, found {}", type_word(v)),
               "e.g. [\"SYSTEM_MEMORY\", \"PREFERENCES_ONLY\"] or 2147483650");
        return std::nullopt;
    }
    std::uint32_t out = 0;
    bool ok = true;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const json& e = v[i];
        std::string p = child(ptr, i);
        if (auto x = as_u32(e)) {
            out |= *x;
            continue;
        }
        if (!e.is_string()) {
            report(p, "type.mismatch", fmt::format("expected a flag name, found {}", type_word(e)),
                   "a flag name or number");
            ok = false;
            continue;
        }
        std::string s = e.get<std::string>();
        std::string_view name = s;
        std::optional<std::uint32_t> value;
        std::vector<std::string> names;
        bool req_prefix = name.starts_with(kRequirementPrefix), pipe_prefix = name.starts_with(kPipePrefix),
             opt_prefix = name.starts_with(kOptionPrefix);
        std::string_view bare = req_prefix    ? name.substr(kRequirementPrefix.size())
                                : pipe_prefix ? name.substr(kPipePrefix.size())
                                : opt_prefix  ? name.substr(kOptionPrefix.size())
                                              : name;
        bool any_prefix = req_prefix || pipe_prefix || opt_prefix;
        for (const auto& f : requirement_flag_names()) {
            names.emplace_back(f.name);
            if (!value && f.name == bare && (!any_prefix || req_prefix)) value = to_underlying(f.value);
        }
        if (legacy) {
            for (const auto& f : option_flag_names()) {
                names.emplace_back(f.name);
                if (!value && f.name == bare && (!any_prefix || opt_prefix)) value = to_underlying(f.value);
            }
        } else {
            for (const auto& f : pipe_flag_names()) {
                names.emplace_back(f.name);
                if (!value && f.name == bare && (!any_prefix || pipe_prefix)) value = to_underlying(f.value);
            }
        }
        if (value) {
            out |= *value;
            continue;
        }
        auto guess = closest_name(bare, names);
        report(p, "flags.unknown-name", fmt::format("unknown flag \"{}\"", s),
               guess ? fmt::format("did you mean \"{}\"?", *guess)
                     : std::string(
                           legacy ? "a KSALLOCATOR_REQUIREMENTF_ or KSALLOCATOR_OPTIONF_ name, or a number"
                                  : "a KSALLOCATOR_REQUIREMENTF_ or KSALLOCATOR_FLAG_ name, or a number"));
        ok = false;
    }
    if (!ok) return std::nullopt;
    return out;
}

}  // namespace ksim::proto::detail
