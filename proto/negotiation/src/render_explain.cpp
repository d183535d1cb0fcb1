// Plain-language explanations (`ksimctl negotiate --explain`): every decision and rejection.
#include <fmt/format.h>

#include <sstream>

#include "ksim/negotiation/render.hpp"
#include "ksim/proto/framing.hpp"

namespace ksim::negotiation {
namespace {

void print_finding(std::ostream& out, const Finding& f, std::string_view indent) {
    out << fmt::format("{}[{}] {}\n", indent, f.rule, f.message);
    if (!f.suggestion.empty()) out << fmt::format("{}  fix: {}\n", indent, f.suggestion);
}

void print_decision(std::ostream& out, const Decision& d, const NegotiationResult& r) {
    if (d.status == Status::Failed) {
        out << "  The connection cannot be satisfied:\n";
        if (d.failure) print_finding(out, *d.failure, "    ");
    } else {
        out << fmt::format("  Allocator: {}, {} memory\n", describe_allocator(*d.allocator),
                           memory_type_label(d.allocator->memory_type, r.memory_types));
        if (d.copy_allocator)
            out << fmt::format("  Downstream allocator: {}, {} memory (frames are copied between the two)\n",
                               describe_allocator(*d.copy_allocator),
                               memory_type_label(d.copy_allocator->memory_type, r.memory_types));
        out << fmt::format(
            "  Framing: {} frame(s) of {} bytes, alignment {} bytes (mask 0x{:X}); copies: {}\n",
            d.framing.frames, d.framing.frame_size, std::uint64_t{d.framing.alignment_mask} + 1,
            d.framing.alignment_mask, d.copies);
        if (d.create_request) {
            const auto& c = *d.create_request;
            out << fmt::format(
                "  {} KSALLOCATOR_FRAMING {{OptionsFlags 0x{:X}, PoolType {}, Frames {}, "
                "FrameSize {}, FileAlignment 0x{:X}}}\n",
                d.allocator->kind == AllocatorKind::Vendor ? "InitializeAllocator receives"
                                                           : "Create request:",
                c.flags, c.pool_type == proto::PoolType::Paged ? "PagedPool" : "NonPagedPool", c.frames,
                c.frame_size, c.file_alignment);
        }
    }
    if (!d.candidates.empty()) out << "  Candidates:\n";
    for (const auto& c : d.candidates) {
        out << fmt::format("    - {}: {}\n", describe_allocator(c.allocator),
                           c.selected ? "selected" : "not selected");
        for (const auto& reason : c.reasons) print_finding(out, reason, "        ");
    }
    if (!d.notes.empty()) out << "  Notes:\n";
    for (const auto& n : d.notes) print_finding(out, n, "    ");
}

}  // namespace

std::string render_explain(const NegotiationResult& r) {
    std::ostringstream out;
    for (const auto& c : r.connections) {
        out << fmt::format("Connection {} -> {} ({}, {} mode): {}\n", c.from, c.to, c.pipe,
                           to_string(r.decision(c).mode), to_string(r.decision(c).status));
        print_decision(out, r.decision(c), r);
        out << "\n";
    }
    for (const auto& p : r.pipes) {
        if (p.connections.size() < 2) continue;
        std::string pins;
        for (const auto& pin : p.pins) pins += (pins.empty() ? "" : ", ") + pin;
        out << fmt::format("Pipe {} shares one allocator across {} connections (pins {})\n\n", p.id,
                           p.connections.size(), pins);
    }
    std::size_t failed = 0;
    for (const auto& c : r.connections) failed += r.decision(c).status == Status::Failed ? 1 : 0;
    out << fmt::format("{} connection(s), {} satisfied, {} failed\n", r.connections.size(),
                       r.connections.size() - failed, failed);
    return out.str();
}

}  // namespace ksim::negotiation
