// "ksim.negotiation/1": the JSON form of decision records. Writers emit keys in one fixed order;
// the reader checks every key it needs and names the JSON pointer of the first problem.
#include "ksim/negotiation/record_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "ksim/negotiation/rules.hpp"

namespace ksim::negotiation {
namespace {

using Json = nlohmann::ordered_json;
using Names = std::vector<proto::CustomMemoryType>;

std::string_view sv(const RecordString& s) {
    return s;
}

Json strings_json(const RecordVector<RecordString>& strings) {
    Json out = Json::array();
    for (const auto& s : strings) out.push_back(sv(s));
    return out;
}

Json finding_json(const Finding& f) {
    Json values = Json::object();
    for (const auto& v : f.values) {
        Json& slot = values[std::string(v.name)];
        if (const auto* n = std::get_if<std::uint64_t>(&v.value))
            slot = *n;
        else
            slot = sv(std::get<RecordString>(v.value));
    }
    Json j{{"rule", f.rule}, {"message", sv(f.message)}, {"values", std::move(values)}};
    if (!f.suggestion.empty()) j["suggestion"] = sv(f.suggestion);
    return j;
}

Json allocator_json(const AllocatorChoice& a, const Names& names) {
    return Json{{"kind", to_string(a.kind)},
                {"name", sv(a.name)},
                {"pin", sv(a.pin)},
                {"mode", a.mode == proto::AllocatorMode::Kernel ? "kernel" : "user"},
                {"memory_type", memory_type_label(a.memory_type, names)},
                {"memory_type_guid", a.memory_type.to_string()}};
}

Json optional_allocator(const std::optional<AllocatorChoice>& a, const Names& names) {
    return a ? allocator_json(*a, names) : Json(nullptr);
}

Json create_request_json(const proto::AllocatorFraming& f) {
    return Json{{"options_flags", f.flags},
                {"pool_type", f.pool_type == proto::PoolType::Paged ? "PagedPool" : "NonPagedPool"},
                {"frames", f.frames},
                {"frame_size", f.frame_size},
                {"file_alignment", f.file_alignment}};
}

// --- reading ---------------------------------------------------------------------------------

[[noreturn]] void bad(const std::string& pointer, const std::string& what) {
    throw std::invalid_argument(fmt::format("{}: {}", pointer.empty() ? "/" : pointer, what));
}

const Json& at(const Json& j, const std::string& ptr, const char* key) {
    if (!j.is_object()) bad(ptr, "expected an object");
    auto it = j.find(key);
    if (it == j.end()) bad(ptr, fmt::format("missing key \"{}\"", key));
    return *it;
}

std::string str(const Json& j, const std::string& ptr, const char* key) {
    const Json& v = at(j, ptr, key);
    if (!v.is_string()) bad(ptr + "/" + key, "expected a string");
    return v.get<std::string>();
}

RecordString rstr(const Json& j, const std::string& ptr, const char* key) {
    return RecordString(str(j, ptr, key));
}

std::uint32_t u32(const Json& j, const std::string& ptr, const char* key) {
    const Json& v = at(j, ptr, key);
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() > 0xFFFFFFFFu)
        bad(ptr + "/" + key, "expected a ULONG");
    return v.get<std::uint32_t>();
}

const Json& arr(const Json& j, const std::string& ptr, const char* key) {
    const Json& v = at(j, ptr, key);
    if (!v.is_array()) bad(ptr + "/" + key, "expected an array");
    return v;
}

proto::Guid guid(const Json& j, const std::string& ptr, const char* key) {
    auto g = proto::Guid::parse(str(j, ptr, key));
    if (!g) bad(ptr + "/" + key, "expected a GUID");
    return *g;
}

template <typename E>
E one_of(const Json& j, const std::string& ptr, const char* key,
         std::initializer_list<std::pair<const char*, E>> map) {
    const std::string s = str(j, ptr, key);
    for (const auto& [name, value] : map)
        if (s == name) return value;
    bad(ptr + "/" + key, fmt::format("unknown value \"{}\"", s));
}

// Findings keep their rule id as a view of the static id (record.hpp), so a read id must be a
// known one.
std::string_view known_rule(const Json& j, const std::string& ptr) {
    const std::string s = str(j, ptr, "rule");
    for (const std::string_view id : rule::all())
        if (id == s) return id;
    bad(ptr + "/rule", fmt::format("unknown rule id \"{}\" (docs/negotiation.md lists the rules)", s));
}

Finding read_finding(const Json& j, const std::string& ptr) {
    Finding f{known_rule(j, ptr), rstr(j, ptr, "message"), {}, {}};
    const Json& values = at(j, ptr, "values");
    if (!values.is_object()) bad(ptr + "/values", "expected an object");
    for (const auto& [name, v] : values.items()) {
        if (v.is_number_unsigned())
            f.values.push_back({name, v.get<std::uint64_t>()});
        else if (v.is_string())
            f.values.push_back({name, std::string_view(v.get_ref<const std::string&>())});
        else
            bad(ptr + "/values/" + name, "expected an unsigned number or a string");
    }
    if (j.contains("suggestion")) f.suggestion = rstr(j, ptr, "suggestion");
    return f;
}

RecordVector<Finding> read_findings(const Json& j, const std::string& ptr, const char* key) {
    RecordVector<Finding> out;
    const Json& a = arr(j, ptr, key);
    for (std::size_t i = 0; i < a.size(); ++i)
        out.push_back(read_finding(a[i], fmt::format("{}/{}/{}", ptr, key, i)));
    return out;
}

AllocatorChoice read_allocator(const Json& j, const std::string& ptr) {
    AllocatorChoice a;
    const std::string kind = str(j, ptr, "kind");
    const auto parsed = proto::parse_allocator_kind(kind);
    if (!parsed) bad(ptr + "/kind", fmt::format("unknown value \"{}\"", kind));
    a.kind = *parsed;
    a.name = rstr(j, ptr, "name");
    a.pin = rstr(j, ptr, "pin");
    a.mode = one_of<proto::AllocatorMode>(
        j, ptr, "mode", {{"kernel", proto::AllocatorMode::Kernel}, {"user", proto::AllocatorMode::User}});
    a.memory_type = guid(j, ptr, "memory_type_guid");
    return a;
}

std::optional<AllocatorChoice> read_optional_allocator(const Json& j, const std::string& ptr,
                                                       const char* key) {
    const Json& v = at(j, ptr, key);
    if (v.is_null()) return std::nullopt;
    return read_allocator(v, ptr + "/" + key);
}

Decision read_decision(const Json& j, const std::string& ptr) {
    Decision d;
    d.mode = one_of<ConnectionMode>(j, ptr, "mode",
                                    {{"kernel", ConnectionMode::Kernel}, {"user", ConnectionMode::User}});
    d.status =
        one_of<Status>(j, ptr, "status", {{"satisfied", Status::Satisfied}, {"failed", Status::Failed}});
    d.allocator = read_optional_allocator(j, ptr, "allocator");
    d.copy_allocator = read_optional_allocator(j, ptr, "copy_allocator");
    const Json& f = at(j, ptr, "framing");
    d.framing = {u32(f, ptr + "/framing", "frame_size"), u32(f, ptr + "/framing", "frames"),
                 u32(f, ptr + "/framing", "alignment_mask")};
    d.copies = u32(j, ptr, "copies");
    const Json& cr = at(j, ptr, "create_request");
    if (!cr.is_null()) {
        const std::string p = ptr + "/create_request";
        proto::AllocatorFraming r;
        r.flags = u32(cr, p, "options_flags");
        r.pool_type = one_of<proto::PoolType>(
            cr, p, "pool_type",
            {{"NonPagedPool", proto::PoolType::NonPaged}, {"PagedPool", proto::PoolType::Paged}});
        r.frames = u32(cr, p, "frames");
        r.frame_size = u32(cr, p, "frame_size");
        r.file_alignment = u32(cr, p, "file_alignment");
        d.create_request = r;
    }
    const Json& cands = arr(j, ptr, "candidates");
    for (std::size_t i = 0; i < cands.size(); ++i) {
        const std::string p = fmt::format("{}/candidates/{}", ptr, i);
        Candidate c;
        c.allocator = read_allocator(at(cands[i], p, "allocator"), p + "/allocator");
        c.selected = one_of<bool>(cands[i], p, "outcome", {{"selected", true}, {"rejected", false}});
        c.reasons = read_findings(cands[i], p, "reasons");
        d.candidates.push_back(std::move(c));
    }
    d.notes = read_findings(j, ptr, "notes");
    const Json& failure = at(j, ptr, "failure");
    if (!failure.is_null()) d.failure = read_finding(failure, ptr + "/failure");
    return d;
}

RecordVector<RecordString> read_strings(const Json& j, const std::string& ptr, const char* key) {
    RecordVector<RecordString> out;
    const Json& a = arr(j, ptr, key);
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (!a[i].is_string()) bad(fmt::format("{}/{}/{}", ptr, key, i), "expected a string");
        out.emplace_back(a[i].get_ref<const std::string&>());
    }
    return out;
}

void append_decision(Json& j, const Decision& d, const Names& names) {
    Json decision = to_json(d, names);
    for (auto& [key, value] : decision.items()) j[key] = std::move(value);
}

}  // namespace

Json to_json(const Decision& d, const Names& names) {
    Json candidates = Json::array();
    for (const auto& c : d.candidates) {
        Json reasons = Json::array();
        for (const auto& r : c.reasons) reasons.push_back(finding_json(r));
        candidates.push_back(Json{{"allocator", allocator_json(c.allocator, names)},
                                  {"outcome", c.selected ? "selected" : "rejected"},
                                  {"reasons", std::move(reasons)}});
    }
    Json notes = Json::array();
    for (const auto& n : d.notes) notes.push_back(finding_json(n));
    return Json{{"mode", to_string(d.mode)},
                {"status", to_string(d.status)},
                {"allocator", optional_allocator(d.allocator, names)},
                {"copy_allocator", optional_allocator(d.copy_allocator, names)},
                {"framing",
                 {{"frame_size", d.framing.frame_size},
                  {"frames", d.framing.frames},
                  {"alignment_mask", d.framing.alignment_mask}}},
                {"copies", d.copies},
                {"create_request", d.create_request ? create_request_json(*d.create_request) : Json(nullptr)},
                {"candidates", std::move(candidates)},
                {"notes", std::move(notes)},
                {"failure", d.failure ? finding_json(*d.failure) : Json(nullptr)}};
}

Json to_json(const NegotiationResult& r) {
    Json types = Json::array();
    for (const auto& t : r.memory_types)
        types.push_back(Json{{"name", t.name}, {"guid", t.guid.to_string()}});
    Json connections = Json::array();
    for (const auto& c : r.connections) {
        Json j{{"id", sv(c.id)}, {"from", sv(c.from)}, {"to", sv(c.to)}, {"pipe", sv(c.pipe)}};
        append_decision(j, r.decision(c), r.memory_types);
        connections.push_back(std::move(j));
    }
    Json pipes = Json::array();
    for (const auto& p : r.pipes) {
        Json j{
            {"id", sv(p.id)}, {"pins", strings_json(p.pins)}, {"connections", strings_json(p.connections)}};
        append_decision(j, p.decision, r.memory_types);
        pipes.push_back(std::move(j));
    }
    return Json{{"format", kJsonFormat},
                {"topology", r.topology},
                {"satisfied", r.all_satisfied()},
                {"memory_types", std::move(types)},
                {"connections", std::move(connections)},
                {"pipes", std::move(pipes)}};
}

Result<NegotiationResult> from_json(const Json& j) {
    try {
        const std::string format = str(j, "", "format");
        if (format != kJsonFormat)
            return fail(Errc::Unsupported, fmt::format("/format: \"{}\" is not supported; expected \"{}\"",
                                                       format, kJsonFormat));
        NegotiationResult r;
        r.topology = str(j, "", "topology");
        const Json& types = arr(j, "", "memory_types");
        for (std::size_t i = 0; i < types.size(); ++i) {
            const std::string p = fmt::format("/memory_types/{}", i);
            r.memory_types.push_back({str(types[i], p, "name"), guid(types[i], p, "guid")});
        }
        const Json& pipes = arr(j, "", "pipes");
        for (std::size_t i = 0; i < pipes.size(); ++i) {
            const std::string p = fmt::format("/pipes/{}", i);
            r.pipes.push_back({rstr(pipes[i], p, "id"), read_strings(pipes[i], p, "pins"),
                               read_strings(pipes[i], p, "connections"), read_decision(pipes[i], p)});
        }
        // A connection's decision fields repeat its pipe's; they must agree.
        const Json& conns = arr(j, "", "connections");
        for (std::size_t i = 0; i < conns.size(); ++i) {
            const std::string p = fmt::format("/connections/{}", i);
            ConnectionRecord c{rstr(conns[i], p, "id"), rstr(conns[i], p, "from"), rstr(conns[i], p, "to"),
                               rstr(conns[i], p, "pipe"), 0};
            auto pipe = std::find_if(r.pipes.begin(), r.pipes.end(),
                                     [&](const PipeRecord& x) { return x.id == c.pipe; });
            if (pipe == r.pipes.end()) bad(p + "/pipe", fmt::format("unknown pipe \"{}\"", c.pipe));
            c.pipe_index = static_cast<std::size_t>(pipe - r.pipes.begin());
            if (!(read_decision(conns[i], p) == pipe->decision))
                bad(p, fmt::format("decision differs from its pipe {}", c.pipe));
            r.connections.push_back(std::move(c));
        }
        return r;
    } catch (const std::invalid_argument& e) {
        return fail(Errc::InvalidArgument, e.what());
    } catch (const nlohmann::json::exception& e) {
        return fail(Errc::InvalidArgument, e.what());
    }
}

}  // namespace ksim::negotiation
