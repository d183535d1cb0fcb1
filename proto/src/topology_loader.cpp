#include "ksim/proto/topology_loader.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "config_reader.hpp"
#include "topology_reader.hpp"

namespace ksim::proto {

std::string Diagnostic::to_string() const {
    return fmt::format("{}:{}:{}: {}: {}; {}", file, line, column, pointer.empty() ? "/" : pointer, message,
                       hint);
}

std::expected<Topology, Diagnostics> load_topology_text(std::string_view text, std::string_view file_name) {
    Diagnostics diags;
    nlohmann::json doc;
    try {
        // Comments are not JSON; the "comment" field is the place for prose.
        doc = nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::parse_error& e) {
        // e.byte is 1-based and points just past the offending character.
        std::size_t offset = e.byte > 0 ? e.byte - 1 : 0;
        auto pos = detail::position_of_offset(text, offset);
        std::string what = e.what();
        if (auto colon = what.rfind(": "); colon != std::string::npos) what = what.substr(colon + 2);
        diags.push_back(Diagnostic{std::string(file_name), pos.line, pos.column, "", "json.syntax",
                                   fmt::format("JSON syntax error: {}", what),
                                   "well-formed JSON (RFC 8259)"});
        return std::unexpected(std::move(diags));
    }
    detail::PositionIndex index(text);
    detail::ConfigReader reader(std::string(file_name), index, diags);
    Topology topology = detail::read_topology(reader, doc);
    if (!diags.empty()) return std::unexpected(std::move(diags));
    topology.source_file = std::string(file_name);
    return topology;
}

std::expected<Topology, Diagnostics> load_topology_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::unexpected(
            Diagnostics{Diagnostic{path.string(), 0, 0, "", "file.unreadable", "cannot open the file",
                                   "a readable topology JSON file"}});
    }
    std::ostringstream text;
    text << in.rdbuf();
    return load_topology_text(text.str(), path.string());
}

}  // namespace ksim::proto
