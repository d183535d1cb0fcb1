// The compact table (`ksimctl negotiate` default): one line per connection, then the failures.
#include <fmt/format.h>

#include <sstream>

#include "ksim/negotiation/render.hpp"

namespace ksim::negotiation {

std::string describe_allocator(const AllocatorChoice& a) {
    switch (a.kind) {
        case AllocatorKind::Vendor:
            return fmt::format("vendor allocator {} of {}", a.name, a.pin);
        case AllocatorKind::Default:
            return fmt::format("default allocator of {}", a.pin);
        case AllocatorKind::User:
            return fmt::format("user-mode allocator of {}", a.pin);
    }
    return std::string(a.name);
}

std::string render_table(const NegotiationResult& r) {
    std::ostringstream out;
    out << fmt::format("topology {}: {} connection(s), {} pipe(s)\n", r.topology, r.connections.size(),
                       r.pipes.size());
    out << fmt::format("{:<40} {:<6} {:<9} {:<6} {:<28} {:<16} {:>10} {:>6} {:>6} {:>6} {:>8}\n",
                       "CONNECTION", "MODE", "STATUS", "PIPE", "ALLOCATOR", "MEMORY", "FRAMESIZE", "FRAMES",
                       "ALIGN", "COPIES", "REJECTED");
    for (const auto& c : r.connections) {
        const auto& d = r.decision(c);
        std::size_t rejected = 0;
        for (const auto& cand : d.candidates) rejected += cand.selected ? 0 : 1;
        const std::string allocator =
            d.allocator ? fmt::format("{}@{}", d.allocator->name, d.allocator->pin) : "-";
        const std::string memory =
            d.allocator ? memory_type_label(d.allocator->memory_type, r.memory_types) : "-";
        out << fmt::format("{:<40} {:<6} {:<9} {:<6} {:<28} {:<16} {:>10} {:>6} {:>#6x} {:>6} {:>8}\n", c.id,
                           to_string(d.mode), to_string(d.status), c.pipe, allocator, memory,
                           d.framing.frame_size, d.framing.frames, d.framing.alignment_mask, d.copies,
                           rejected);
    }
    for (const auto& c : r.connections) {
        const auto& d = r.decision(c);
        if (d.status != Status::Failed || !d.failure) continue;
        const auto& f = *d.failure;
        out << fmt::format("FAILED {}: [{}] {}\n", c.id, f.rule, f.message);
        if (!f.suggestion.empty()) out << fmt::format("  fix: {}\n", f.suggestion);
    }
    return out.str();
}

}  // namespace ksim::negotiation
