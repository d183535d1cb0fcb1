// Graphviz view (`ksimctl negotiate --dot`, `ksimctl graph --dot`): pins as nodes, one cluster per
// pipe with a box per in-place filter inside it, connections as edges labelled with the allocator
// or the failure, rejected candidates as dashed notes that say why, with the values and the fix.
#include <fmt/format.h>

#include <sstream>
#include <variant>

#include "ksim/negotiation/render.hpp"

namespace ksim::negotiation {
namespace {

constexpr std::size_t kLineWidth = 56;  // label lines wrap here, so that boxes stay readable

// A DOT double-quoted string: quotes and backslashes escaped, '\n' as the DOT line break.
std::string quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

// Breaks `text` into lines of at most kLineWidth characters at spaces (a longer word stays whole).
std::string wrap(std::string_view text) {
    std::string out;
    std::size_t line = 0;
    while (!text.empty()) {
        const std::size_t space = text.find(' ');
        const std::string_view word = text.substr(0, space);
        if (line > 0 && line + 1 + word.size() > kLineWidth) {
            out += '\n';
            line = 0;
        } else if (line > 0) {
            out += ' ';
            ++line;
        }
        out += word;
        line += word.size();
        if (space == std::string_view::npos) break;
        text.remove_prefix(space + 1);
    }
    return out;
}

std::string values_text(const Finding& f) {
    std::string out;
    for (const auto& v : f.values) {
        out += out.empty() ? "" : ", ";
        out += std::string(v.name) + " = ";
        if (const auto* n = std::get_if<std::uint64_t>(&v.value))
            out += std::to_string(*n);
        else
            out += std::string(std::get<RecordString>(v.value));
    }
    return out;
}

// "[rule] message\nvalues: ...\nfix: ..." wrapped: what a rule found, with what it compared.
std::string finding_text(const Finding& f) {
    std::string out = wrap(fmt::format("[{}] {}", f.rule, std::string_view(f.message)));
    if (const std::string v = values_text(f); !v.empty()) out += "\n" + wrap("values: " + v);
    if (!f.suggestion.empty()) out += "\n" + wrap("fix: " + std::string(f.suggestion));
    return out;
}

std::string negotiated_text(const Decision& d, const NegotiationResult& r) {
    if (d.status == Status::Failed) return "FAILED\n" + (d.failure ? finding_text(*d.failure) : "");
    std::string label = fmt::format(
        "{} @ {}\n{}\n{} x {} B", std::string_view(d.allocator->name), std::string_view(d.allocator->pin),
        memory_type_label(d.allocator->memory_type, r.memory_types), d.framing.frames, d.framing.frame_size);
    if (d.copies > 0) label += fmt::format("\n{} copy", d.copies);
    return label;
}

const LiveConnection* live_of(const LiveGraph* live, const ConnectionRecord& c) {
    if (!live) return nullptr;
    for (const auto& l : live->connections)
        if (l.from == c.from && l.to == c.to) return &l;
    return nullptr;
}

std::string pin_label(std::string_view pin, const LiveGraph* live, bool short_name) {
    std::string label(short_name ? pin.substr(pin.find('.') + 1) : pin);
    if (live)
        for (const auto& [id, note] : live->pins)
            if (id == pin) label += "\n" + note;
    return label;
}

std::string_view filter_of(std::string_view pin) {
    return pin.substr(0, pin.find('.'));
}

void write_pipe(std::ostream& out, const PipeRecord& p, std::size_t index, const LiveGraph* live) {
    const auto& d = p.decision;
    out << fmt::format("  subgraph cluster_{} {{\n    style=rounded;\n    label={};\n", index,
                       quote(fmt::format("{} ({} mode, {})", std::string_view(p.id), to_string(d.mode),
                                         to_string(d.status))));
    // Pins are upstream to downstream: an in-place filter's pins are next to each other.
    for (std::size_t i = 0; i < p.pins.size();) {
        std::size_t j = i + 1;
        while (j < p.pins.size() && filter_of(p.pins[j]) == filter_of(p.pins[i])) ++j;
        if (j - i < 2) {
            out << fmt::format("    {} [label={}];\n", quote(p.pins[i]),
                               quote(pin_label(p.pins[i], live, false)));
        } else {
            const std::string_view filter = filter_of(p.pins[i]);
            out << fmt::format(
                "    subgraph cluster_{}_{} {{\n      style=\"filled,solid\";\n      fillcolor=\"#eeeeee\";\n"
                "      label={};\n",
                index, i, quote(fmt::format("{} (in place: one set of frames)", filter)));
            for (std::size_t k = i; k < j; ++k)
                out << fmt::format("      {} [label={}];\n", quote(p.pins[k]),
                                   quote(pin_label(p.pins[k], live, true)));
            out << "    }\n";
        }
        i = j;
    }
    out << "  }\n";
}

}  // namespace

std::string render_dot(const NegotiationResult& r, const LiveGraph* live) {
    std::ostringstream out;
    const std::string title = live ? live->title : "negotiation: " + r.topology;
    out << "digraph ksim_negotiation {\n  rankdir=LR;\n  label=" << quote(title)
        << ";\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n";
    for (std::size_t i = 0; i < r.pipes.size(); ++i) write_pipe(out, r.pipes[i], i, live);
    for (const auto& c : r.connections) {
        const auto& d = r.decision(c);
        std::string label = negotiated_text(d, r);
        bool red = d.status == Status::Failed;
        bool dashed = false;
        if (const LiveConnection* l = live_of(live, c)) {
            if (l->committed) {
                label = "committed: " + wrap(*l->committed);
            } else {
                label = "not committed\n" + label;
                dashed = true;
            }
            if (l->failure) {
                label += "\n" + wrap("allocator failed: " + *l->failure);
                red = true;
            }
        }
        out << fmt::format("  {} -> {} [label={}{}{}];\n", quote(c.from), quote(c.to), quote(label),
                           dashed ? ", style=dashed" : "",
                           red ? ", color=red, fontcolor=red, penwidth=2" : "");
    }
    std::size_t n = 0;
    for (const auto& p : r.pipes) {
        for (const auto& cand : p.decision.candidates) {
            if (cand.selected || cand.reasons.empty()) continue;
            const std::string node = fmt::format("rejected_{}", n++);
            out << fmt::format("  {} [shape=note, style=dashed, label={}];\n", node,
                               quote(fmt::format("{}: rejected\n{}", describe_allocator(cand.allocator),
                                                 finding_text(cand.reasons.front()))));
            out << fmt::format("  {} -> {} [style=dashed, arrowhead=none];\n", node,
                               quote(cand.allocator.pin));
        }
    }
    out << "}\n";
    return out.str();
}

}  // namespace ksim::negotiation
