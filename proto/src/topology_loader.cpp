#include "ksim/proto/topology_loader.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "config_reader.hpp"
#include "ksim/proto/untrusted_json.hpp"
#include "topology_reader.hpp"

namespace ksim::proto {

std::string Diagnostic::to_string() const {
    return fmt::format("{}:{}:{}: {}: {}; {}", file, line, column, pointer.empty() ? "/" : pointer, message,
                       hint);
}

std::expected<Topology, Diagnostics> load_topology_text(std::string_view text, std::string_view file_name,
                                                        const LoadOptions& options) {
    Diagnostics diags;
    // Comments are not JSON; the "comment" field is the place for prose.
    auto parsed = parse_untrusted_json(text);
    if (!parsed) {
        const JsonParseError& e = parsed.error();
        if (e.kind == JsonParseError::Kind::TooDeep) {
            // The position index stops at its own depth limit, deeper than kMaxJsonDepth.
            auto pos = detail::PositionIndex(text).value(e.pointer);
            diags.push_back(Diagnostic{
                std::string(file_name), pos.line, pos.column, e.pointer, "json.too-deep", e.message,
                fmt::format("at most {} levels of nested arrays and objects", kMaxJsonDepth)});
        } else {
            auto pos = detail::position_of_offset(text, e.offset);
            diags.push_back(Diagnostic{std::string(file_name), pos.line, pos.column, "", "json.syntax",
                                       fmt::format("JSON syntax error: {}", e.message),
                                       "well-formed JSON (RFC 8259)"});
        }
        return std::unexpected(std::move(diags));
    }
    const nlohmann::json& doc = *parsed;
    detail::PositionIndex index(text);
    detail::ConfigReader reader(std::string(file_name), index, diags);
    Topology topology = detail::read_topology(reader, doc, options.drivers);
    if (!diags.empty()) return std::unexpected(std::move(diags));
    topology.source_file = std::string(file_name);
    return topology;
}

std::expected<Topology, Diagnostics> load_topology_file(const std::filesystem::path& path,
                                                        const LoadOptions& options) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::unexpected(
            Diagnostics{Diagnostic{path.string(), 0, 0, "", "file.unreadable", "cannot open the file",
                                   "a readable topology JSON file"}});
    }
    std::ostringstream text;
    text << in.rdbuf();
    return load_topology_text(text.str(), path.string(), options);
}

}  // namespace ksim::proto
