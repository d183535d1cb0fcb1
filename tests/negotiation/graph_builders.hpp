// Compact builders for negotiation inputs, so each table case reads like the topology it tests.
#pragma once

#include <string>
#include <vector>

#include "ksim/negotiation/graph.hpp"
#include "ksim/proto/memory_types.hpp"

namespace ksim::negotiation::test {

namespace mt = proto::memory_type;
using proto::FramingItem;
using proto::PinDirection;
using proto::PinHosting;
using proto::RequirementFlags;

inline constexpr proto::Guid kVendorDma = proto::make_guid("6B1F5A3C-2D4E-4F70-9A81-5C3D2E1F0A01");
inline constexpr std::uint32_t kMax = 0xFFFFFFFFu;

// DECLARE_SIMPLE_FRAMING_EX-shaped item: full physical range, optimal min..max.
inline FramingItem simple(proto::Guid memory, std::uint32_t frames, std::uint32_t min, std::uint32_t max,
                          std::uint32_t align = 0,
                          RequirementFlags flags = RequirementFlags::SystemMemory |
                                                   RequirementFlags::PreferencesOnly) {
    return proto::make_simple_framing(memory, flags, frames, align, min, max).items[0];
}

// An item whose hard and optimal ranges are both min..max (stepping `step`), no PREFERENCES_ONLY.
inline FramingItem hard(proto::Guid memory, std::uint32_t frames, std::uint32_t min, std::uint32_t max,
                        std::uint32_t step = 1, std::uint32_t align = 0,
                        RequirementFlags flags = RequirementFlags::SystemMemory) {
    FramingItem item = simple(memory, frames, min, max, align, flags);
    item.physical_range = {min, max, step};
    item.framing_range.range = {min, max, step};
    return item;
}

inline FramingItem with_flags(FramingItem item, RequirementFlags extra) {
    item.requirement_flags = item.requirement_flags | extra;
    return item;
}

inline FramingItem on_bus(FramingItem item, proto::Guid bus) {
    item.bus_type = bus;
    return item;
}

inline PinInput pin(std::string id, PinDirection dir, PinHosting host, std::vector<FramingItem> items,
                    proto::Compression compression = {}) {
    PinInput p;
    p.id = std::move(id);
    p.direction = dir;
    p.hosting = host;
    if (!items.empty()) {
        p.framing.emplace();
        p.framing->items = std::move(items);
        p.framing->output_compression = compression;
    }
    return p;
}
inline PinInput kout(std::string id, std::vector<FramingItem> items, proto::Compression c = {}) {
    return pin(std::move(id), PinDirection::Out, PinHosting::Kernel, std::move(items), c);
}
inline PinInput kin(std::string id, std::vector<FramingItem> items) {
    return pin(std::move(id), PinDirection::In, PinHosting::Kernel, std::move(items));
}
inline PinInput uout(std::string id, std::vector<FramingItem> items) {
    return pin(std::move(id), PinDirection::Out, PinHosting::User, std::move(items));
}
inline PinInput uin(std::string id, std::vector<FramingItem> items) {
    return pin(std::move(id), PinDirection::In, PinHosting::User, std::move(items));
}

// A kernel-mode vendor DMA allocator like the shipped configs' vendor_dma.
inline proto::VendorAllocatorCaps vendor(std::string name, proto::Guid memory = kVendorDma,
                                         std::uint32_t max_frames = 8) {
    proto::VendorAllocatorCaps caps;
    caps.name = std::move(name);
    caps.memory_type = memory;
    caps.max_frames = max_frames;
    caps.alignment_mask = proto::file_alignment::kPage;
    caps.min_frame_size = 0;
    caps.max_frame_size = 8u << 20;
    return caps;
}

inline PinInput with_allocator(PinInput p, proto::VendorAllocatorCaps caps) {
    p.allocator = std::move(caps);
    return p;
}

// up -> down.
inline Graph link(PinInput up, PinInput down) {
    Graph g;
    g.name = "test";
    g.connections.push_back({up.id, down.id});
    g.pins.push_back(std::move(up));
    g.pins.push_back(std::move(down));
    g.memory_types.push_back({"VENDOR_DMA", kVendorDma, proto::MemoryClass::DeviceSpecific});
    return g;
}

// src.out -> f.in ~in place~ f.out -> sink.in.
inline Graph chain(PinInput src, PinInput f_in, PinInput f_out, PinInput sink) {
    Graph g;
    g.name = "chain";
    g.connections.push_back({src.id, f_in.id});
    g.connections.push_back({f_out.id, sink.id});
    g.in_place.push_back({f_in.id, f_out.id});
    for (auto* p : {&src, &f_in, &f_out, &sink}) g.pins.push_back(std::move(*p));
    g.memory_types.push_back({"VENDOR_DMA", kVendorDma, proto::MemoryClass::DeviceSpecific});
    return g;
}

}  // namespace ksim::negotiation::test
