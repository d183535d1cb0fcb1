// Commit: the daemon re-validates every allocator decision the graph manager sends (it never
// trusts it blindly) and records the pipe. Checks, in order: the connections exist and form the
// pipe; every pin is in STOP; the values are well formed; the frame size lies in every pin's
// physical range; frames and alignment are at least what every pin requires; kernel allocators
// only on kernel-mode pipes; vendor capabilities; kernel memory never on a pipe with a user pin.
#include <fmt/format.h>

#include <algorithm>

#include "kernel_impl.hpp"
#include "logging.hpp"

namespace ksim::daemon {

namespace {

using Kind = AllocatorCommit::Kind;

// The framing item a committed memory type selects: the first item with that type, else the first.
const proto::FramingItem* item_for(const proto::AllocatorFramingEx& f, const proto::Guid& memory_type) {
    if (f.items.empty()) return nullptr;
    for (const auto& item : f.items)
        if (item.memory_type == memory_type) return &item;
    return &f.items.front();
}

bool in_range(const proto::FramingRange& r, std::uint32_t size) {
    if (size < r.min_frame_size || size > r.max_frame_size) return false;
    return r.stepping <= 1 || (size - r.min_frame_size) % r.stepping == 0;
}

Result<void> check_pin_framing(const Pin& pin, const AllocatorCommit& c) {
    if (!pin.framing) return {};  // FramingProp None: the pin has no requirements
    const auto& items = pin.framing->items;
    const bool size_ok =
        std::ranges::any_of(items, [&](const auto& i) { return in_range(i.physical_range, c.frame_size); });
    if (!size_ok) {
        const auto& r = items.front().physical_range;
        return fail(
            Errc::NegotiationFailed,
            fmt::format("frame size {} is outside the physical range of {} ([{}, {}] stepping {}); "
                        "a size inside every pin's physical range is required",
                        c.frame_size, pin.key.to_string(), r.min_frame_size, r.max_frame_size, r.stepping));
    }
    const proto::FramingItem* item = item_for(*pin.framing, c.memory_type);
    if (c.frames < item->frames) {
        return fail(Errc::NegotiationFailed, fmt::format("{} frames committed but {} requires at least {}",
                                                         c.frames, pin.key.to_string(), item->frames));
    }
    if ((c.alignment_mask & item->file_alignment) != item->file_alignment) {
        return fail(Errc::NegotiationFailed,
                    fmt::format("alignment mask {:#x} is weaker than {:#x} required by {}", c.alignment_mask,
                                item->file_alignment, pin.key.to_string()));
    }
    return {};
}

Result<void> check_vendor(const Pin& provider, const std::vector<Pin*>& pins, const AllocatorCommit& c) {
    if (!provider.desc.allocator) {
        return fail(Errc::InvalidArgument,
                    fmt::format("{} declares no vendor allocator (KSPIN_DISPATCH.Allocator)",
                                provider.key.to_string()));
    }
    const proto::VendorAllocatorCaps& caps = *provider.desc.allocator;
    for (const Pin* p : pins)
        if (!p->kernel_hosted() && caps.mode == proto::AllocatorMode::Kernel) {
            return fail(
                Errc::NegotiationFailed,
                fmt::format("mode.kernel-allocator-on-user-connection: vendor allocator '{}' of {} is "
                            "kernel-mode but {} is user-hosted; only kernel-mode pipes may use it",
                            caps.name, provider.key.to_string(), p->key.to_string()));
        }
    if (c.frame_size < caps.min_frame_size || c.frame_size > caps.max_frame_size) {
        return fail(Errc::NegotiationFailed,
                    fmt::format("caps.frame-size: vendor allocator '{}' serves frames of "
                                "[{}, {}] bytes, not {}",
                                caps.name, caps.min_frame_size, caps.max_frame_size, c.frame_size));
    }
    if (caps.max_frames != 0 && c.frames > caps.max_frames) {
        return fail(Errc::NegotiationFailed,
                    fmt::format("caps.max-frames: vendor allocator '{}' holds at most {} "
                                "frames, {} committed",
                                caps.name, caps.max_frames, c.frames));
    }
    if ((c.alignment_mask & ~caps.alignment_mask) != 0) {
        return fail(Errc::NegotiationFailed,
                    fmt::format("caps.alignment: vendor allocator '{}' honours alignment "
                                "mask {:#x} at most, {:#x} committed",
                                caps.name, caps.alignment_mask, c.alignment_mask));
    }
    if (!c.memory_type.is_null() && c.memory_type != caps.memory_type) {
        return fail(Errc::NegotiationFailed,
                    fmt::format("caps.memory-type: vendor allocator '{}' allocates {} "
                                "memory, {} committed",
                                caps.name, caps.memory_type.to_string(), c.memory_type.to_string()));
    }
    return {};
}

}  // namespace

Result<void> Kernel::Impl::commit(const AllocatorCommit& c) {
    if (c.connections.empty()) return fail(Errc::InvalidArgument, "commit names no connection");
    std::vector<Pin*> pins;
    auto add = [&](Pin* p) {
        if (std::ranges::find(pins, p) == pins.end()) pins.push_back(p);
    };
    for (const auto& [from_key, to_key] : c.connections) {
        Pin* from = find_pin(from_key);
        Pin* to = find_pin(to_key);
        if (!from || !to || from->peer != to || from->desc.direction != proto::PinDirection::Out) {
            return fail(Errc::NotFound,
                        fmt::format("commit names {}->{}, which is not a connection of this graph",
                                    from_key.to_string(), to_key.to_string()));
        }
        add(from);
        add(to);
    }
    Pin* provider = find_pin(c.provider);
    if (!provider || std::ranges::find(pins, provider) == pins.end()) {
        return fail(
            Errc::InvalidArgument,
            fmt::format("allocator provider {} is not a pin of the committed pipe", c.provider.to_string()));
    }
    for (Pin* p : pins) {
        const std::vector<Pin*> affected = p->pipe ? p->pipe->pins : std::vector<Pin*>{p};
        for (Pin* q : affected)
            if (q->state() != proto::PinState::Stop) {
                return fail(Errc::InvalidState,
                            fmt::format("cannot commit while {} is in {}; set it to STOP first",
                                        q->key.to_string(), proto::to_string(q->state())));
            }
    }
    if (c.frame_size == 0 || c.frames == 0) {
        return fail(Errc::InvalidArgument,
                    fmt::format("commit needs frame_size > 0 and frames > 0 (got {} and {})", c.frame_size,
                                c.frames));
    }
    if (!proto::is_alignment_mask(c.alignment_mask)) {
        return fail(Errc::InvalidArgument,
                    fmt::format("alignment mask {:#x} is not of the form 2^n - 1 (e.g. 0x3f for 64 bytes)",
                                c.alignment_mask));
    }
    for (const Pin* p : pins)
        if (auto r = check_pin_framing(*p, c); !r) return r;

    const proto::MemoryClass mem = proto::classify_memory_type(c.memory_type);
    const Pin* user_pin = nullptr;
    for (const Pin* p : pins)
        if (!p->kernel_hosted()) user_pin = p;
    switch (c.kind) {
        case Kind::Vendor:
            if (auto r = check_vendor(*provider, pins, c); !r) return r;
            break;
        case Kind::Default:
        case Kind::User:
            if (user_pin && mem == proto::MemoryClass::Kernel) {
                return fail(
                    Errc::NegotiationFailed,
                    fmt::format("memory type {} is kernel memory, which a client never maps, but {} is "
                                "user-hosted; use USER or SYSTEM memory for this pipe",
                                c.memory_type.to_string(), user_pin->key.to_string()));
            }
            if (c.kind == Kind::User && mem == proto::MemoryClass::Kernel) {
                return fail(Errc::NegotiationFailed,
                            fmt::format("a user-mode pool cannot use kernel memory type {}",
                                        c.memory_type.to_string()));
            }
            break;
    }

    // Valid: replace any previous decision covering these pins.
    for (Pin* p : pins)
        if (p->pipe) drop_pipe(*p->pipe);
    auto pipe = std::make_unique<Pipe>();
    pipe->commit = c;
    if (c.kind == Kind::Vendor && c.memory_type.is_null())
        pipe->commit.memory_type = provider->desc.allocator->memory_type;
    std::string name;
    for (const auto& [from, to] : c.connections)
        name += (name.empty() ? "" : ",") + from.to_string() + "->" + to.to_string();
    pipe->name = name;
    pipe->pins = pins;
    for (Pin* p : pins) p->pipe = pipe.get();
    logger("core.kernel")
        ->info("pipe {}: committed {} allocator from {} ({} x {} B, align {:#x})", pipe->name,
               to_string(c.kind), c.provider.to_string(), c.frames, c.frame_size, c.alignment_mask);
    emit({KernelEvent::Type::AllocatorCommitted, c.provider,
          fmt::format("{}: {} x {} B, {}", pipe->name, c.frames, c.frame_size, pipe->allocator_label()),
          proto::PinState::Stop, kDaemon});
    pipes.push_back(std::move(pipe));
    return {};
}

void Kernel::Impl::drop_pipe(Pipe& pipe) {
    for (Pin* p : pipe.pins) p->pipe = nullptr;
    std::erase_if(pipes, [&](const auto& up) { return up.get() == &pipe; });
}

}  // namespace ksim::daemon
