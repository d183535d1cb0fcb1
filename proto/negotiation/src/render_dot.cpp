// Graphviz view (`ksimctl negotiate --dot`): pins as nodes, connections as edges labelled with the allocator,
// memory type, frames and size; pipes as clusters; rejected candidates as dashed notes.
#include <fmt/format.h>

#include <sstream>

#include "ksim/negotiation/render.hpp"

namespace ksim::negotiation {
namespace {

// A DOT double-quoted string: escape quotes and backslashes; "\n" is written by callers.
std::string quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out + "\"";
}

std::string edge_label(const Decision& d, const NegotiationResult& r) {
    if (d.status == Status::Failed) return fmt::format("FAILED\n{}", d.failure ? d.failure->rule : "");
    std::string label = fmt::format("{} @ {}\n{}\n{} x {} B", d.allocator->name, d.allocator->pin,
                                    memory_type_label(d.allocator->memory_type, r.memory_types),
                                    d.framing.frames, d.framing.frame_size);
    if (d.copies > 0) label += fmt::format("\n{} copy", d.copies);
    return label;
}

}  // namespace

std::string render_dot(const NegotiationResult& r) {
    std::ostringstream out;
    out << "digraph ksim_negotiation {\n  rankdir=LR;\n  label=" << quote("negotiation: " + r.topology)
        << ";\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n";
    for (std::size_t i = 0; i < r.pipes.size(); ++i) {
        const auto& p = r.pipes[i];
        const auto& d = p.decision;
        out << fmt::format(
            "  subgraph cluster_{} {{\n    style=rounded;\n    label={};\n", i,
            quote(fmt::format("{} ({} mode, {})", p.id, to_string(d.mode), to_string(d.status))));
        for (const auto& pin : p.pins) out << "    " << quote(pin) << ";\n";
        out << "  }\n";
    }
    for (const auto& c : r.connections) {
        const auto& d = r.decision(c);
        out << fmt::format("  {} -> {} [label={}{}];\n", quote(c.from), quote(c.to), quote(edge_label(d, r)),
                           d.status == Status::Failed ? ", color=red, fontcolor=red, penwidth=2" : "");
    }
    std::size_t n = 0;
    for (const auto& p : r.pipes) {
        for (const auto& cand : p.decision.candidates) {
            if (cand.selected || cand.reasons.empty()) continue;
            const std::string node = fmt::format("rejected_{}", n++);
            out << fmt::format(
                "  {} [shape=note, style=dashed, label={}];\n", node,
                quote(fmt::format("{}\n{}", describe_allocator(cand.allocator), cand.reasons.front().rule)));
            out << fmt::format("  {} -> {} [style=dashed, arrowhead=none, label={}];\n", node,
                               quote(cand.allocator.pin), quote("rejected"));
        }
    }
    out << "}\n";
    return out.str();
}

}  // namespace ksim::negotiation
