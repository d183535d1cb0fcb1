// The data path inside the daemon: the requestor that keeps a driver output pin's queue supplied
// with frames from its pipe's allocator (the driver's Process fills them: a capture driver
// programs its hardware with their S/G lists), and hand-offs along connections: a driver's input
// pin (its queue; an in-place pair's frames go on through its output pin, or are copied into its
// other pipe), user pins through UserPinPort.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "kernel_impl.hpp"
#include "ksim/proto/align.hpp"
#include "logging.hpp"

namespace ksim::daemon {

using proto::PinState;
using proto::StreamHeaderOptions;

namespace {
std::uint64_t token_of(const shm::FrameHandle& h) {
    return (std::uint64_t{h.region} << 32) | h.index;
}
shm::FrameHandle handle_of(const QueuedFrame& f) {
    return shm::FrameHandle{static_cast<shm::RegionId>(f.token >> 32), static_cast<std::uint32_t>(f.token),
                            f.cookie, 0};
}
}  // namespace

// --- ledger wrappers ---------------------------------------------------------------------------

// The ledger accepts a handle only for a tracked pool and an index in range, and every tracked
// pool has its pipe (activate adds both, deactivate_if_idle removes both), so after a ledger call
// succeeds the frame's slot exists.

HeldFrame* Kernel::Impl::held_frame(const shm::FrameHandle& h) const {
    Pipe* pipe = pipe_of(h);
    if (!pipe || h.index >= pipe->held.size()) return nullptr;
    return &pipe->held[h.index];
}

Result<void> Kernel::Impl::hold(const shm::FrameHandle& h, std::uint64_t owner) {
    if (auto r = ledger.record(h, owner); !r) return r;
    if (HeldFrame* slot = held_frame(h)) *slot = HeldFrame{true, h, owner, clock->now()};
    return {};
}

Result<void> Kernel::Impl::pass(const shm::FrameHandle& h, std::uint64_t from, std::uint64_t to) {
    if (auto r = ledger.transfer(h, from, to); !r) return r;
    if (HeldFrame* slot = held_frame(h)) slot->owner = to;
    return {};
}

Result<void> Kernel::Impl::unhold(const shm::FrameHandle& h, std::uint64_t owner) {
    if (auto r = ledger.release(h, owner); !r) return r;
    if (HeldFrame* slot = held_frame(h)) slot->held = false;
    return {};
}

Pin* Kernel::Impl::holder_pin(std::uint64_t ledger_id) const {
    for (const auto& f : filters)
        for (const auto& p : f->pins)
            if (p->ledger_id == ledger_id) return p.get();
    return nullptr;
}

Pipe* Kernel::Impl::pipe_of(const shm::FrameHandle& h) const {
    auto it = pipe_by_region.find(h.region);
    return it == pipe_by_region.end() ? nullptr : it->second;
}

std::span<std::byte> Kernel::Impl::frame_bytes(const PipeFrame& f) {
    auto layout = f.pipe->allocator->frame(f.handle.index);
    if (!layout || !f.pipe->mapping) return {};
    return f.pipe->mapping->slice(layout->offset, layout->size);
}

std::vector<SgMapping> Kernel::Impl::frame_mappings(const PipeFrame& f) {
    std::span<std::byte> bytes = frame_bytes(f);
    std::vector<SgMapping> out;
    if (f.pipe->driver) {
        // A driver's frame: contiguous in its common buffer, split like the DMA adapter splits
        // long runs (MaxMappingByteCount = the allocator's declared segment length).
        const auto physical = f.pipe->driver->physical_address(f.handle.index);
        if (!physical || bytes.empty()) return out;
        const std::uint32_t segment = std::max<std::uint32_t>(1, f.pipe->driver->caps().max_segment_bytes);
        for (std::size_t done = 0; done < bytes.size();) {
            const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(segment, bytes.size() - done));
            const std::uint64_t address = *physical + done;
            out.push_back(SgMapping{address, bytes.data() + done, n, proto::address_alignment(address)});
            done += n;
        }
    } else if (f.pipe->dma) {
        auto sg = f.pipe->dma->scatter_gather(f.handle.index);
        if (!sg) return out;
        std::size_t offset = 0;
        for (const shm::SgEntry& e : *sg) {
            out.push_back(SgMapping{e.physical_address, bytes.data() + offset, e.byte_count, e.alignment});
            offset += e.byte_count;
        }
    } else {
        // Pool memory: one segment at a made-up "physical" address (region id : offset).
        const auto layout = f.pipe->allocator->frame(f.handle.index);
        out.push_back(SgMapping{(std::uint64_t{f.handle.region} << 32) | (layout ? layout->offset : 0),
                                bytes.data(), static_cast<std::uint32_t>(bytes.size()), 0});
    }
    return out;
}

namespace {
void sample(std::uint64_t& samples, double& sum_us, double& max_us, Ticks from, Ticks to) {
    const double us = static_cast<double>(std::max<Ticks>(0, to - from)) / 10.0;
    ++samples;
    sum_us += us;
    max_us = std::max(max_us, us);
}
}  // namespace

void Kernel::Impl::note_latency(Pin& pin, Ticks sent_at) {
    sample(pin.latency_samples, pin.latency_sum_us, pin.latency_max_us, sent_at, clock->now());
}

void Kernel::Impl::note_release(Pin& pin, Ticks sent_at, const ReleaseTimes& times) {
    const Ticks released = times.released != 0 ? times.released : clock->now();
    if (times.taken == 0) {  // the client did not say when it took the frame
        sample(pin.latency_samples, pin.latency_sum_us, pin.latency_max_us, sent_at, released);
        return;
    }
    const Ticks published = times.published != 0 ? times.published : sent_at;
    sample(pin.latency_samples, pin.latency_sum_us, pin.latency_max_us, published, times.taken);
    sample(pin.hold_samples, pin.hold_sum_us, pin.hold_max_us, times.taken, released);
}

// --- driver output pins -----------------------------------------------------------------------

void Kernel::Impl::refill(Pin& pin) {
    // The output pin of an in-place pair has no requestor: its frames come through its input pin.
    if (!pin.queue || !pin.pipe || !pin.pipe->active() || pin.in_place_output()) return;
    pin.accepting = true;
    Pipe& pipe = *pin.pipe;
    StreamPointer* edge = pin.queue->leading_edge(PointerLock::Unlocked);
    const bool was_empty = edge == nullptr || !edge->has_frame();
    // Ask only while the pool has frames left, so the allocator's callbacks pair up one to one.
    while (pipe.has_free_frame()) {
        auto h = pipe.allocator->allocate();
        if (!h) break;
        if (auto r = hold(*h, pin.ledger_id); !r) {
            logger("core.pin")->error("{}: ledger refused a fresh frame: {}", pin.name, r.error().message);
            (void)pipe.allocator->free(*h);
            break;
        }
        const PipeFrame ref{*h, &pipe};
        QueuedFrame f;
        f.token = token_of(*h);
        f.cookie = h->generation;
        f.data = frame_bytes(ref);
        if (pipe.driver && pipe.sg_lists[h->index].empty()) pipe.sg_lists[h->index] = frame_mappings(ref);
        f.mappings = pipe.sg_lists[h->index];
        f.header.frame_extent = static_cast<std::uint32_t>(f.data.size());
        pin.driver->frame_queued(f);
        pin.queue->add_frame(std::move(f));
    }
    pin.driver->frames_arrived(was_empty, pin.running);
}

[[gnu::hot]] void Kernel::Impl::sync_drops(Pin& pin) {
    // A built-in capture driver counts the periods its hardware skipped (BuiltinPinLink); the
    // pin's statistics and events follow the count's growth.
    const std::uint64_t skipped = pin.builtin.frames_skipped;
    if (skipped == pin.skipped_seen) return;
    const std::uint64_t newly = skipped - pin.skipped_seen;
    pin.skipped_seen = skipped;
    pin.dropped += newly;
    emit({KernelEvent::Type::FrameDropped, pin.key,
          fmt::format("{} frame period(s) without a buffer (or missed by an overloaded host)", newly),
          pin.state(), kDaemon});
}

[[gnu::hot]] void Kernel::Impl::on_output_complete(Pin& pin, QueuedFrame&& frame) {
    const shm::FrameHandle h = handle_of(frame);
    Pipe* pipe = pipe_of(h);
    if (!pipe) return;  // allocator already gone (cannot happen while the pin is above STOP)
    const PipeFrame ref{h, pipe};
    if (frame.header.status == static_cast<std::uint32_t>(NtStatus::Cancelled)) {
        give_back(ref, pin.ledger_id);  // STOP/flush: DataUsed = 0, straight back to the pool
        return;
    }
    ++pin.completed;
    // Compiled out below SPDLOG_ACTIVE_LEVEL (info by default), logger lookup included: a
    // per-frame line must cost nothing in a normal build.
    SPDLOG_LOGGER_TRACE(logger("core.pin"), "{}: frame {} completed ({} B)", pin.name,
                        frame.header.picture_number, frame.header.data_used);
    if (!pin.peer) {
        give_back(ref, pin.ledger_id);
        return;
    }
    deliver(pin, *pin.peer, ref, frame.header, clock->now());
}

// --- hand-offs ---------------------------------------------------------------------------------

void Kernel::Impl::note_delivered(const std::shared_ptr<DeliveryTarget>& target) {
    // A streaming thread calls it after each tick (no allocation per frame); any other thread
    // once its lock is released (flush).
    TickingTargets& list = t_ticking_targets ? *t_ticking_targets : outbox.delivered;
    if (std::find(list.begin(), list.end(), target) != list.end()) return;
    list.push_back(target);
    if (t_ticking_targets) target->ticks_started();
}

[[gnu::hot]] void Kernel::Impl::deliver(Pin& from, Pin& to, PipeFrame ref, proto::StreamHeader header,
                                        Ticks sent_at) {
    auto drop = [&](Pin& at, std::string_view why) {
        ++at.dropped;
        emit({KernelEvent::Type::FrameDropped, at.key, std::string(why), at.state(), kDaemon});
        give_back(ref, from.ledger_id);
    };
    if (to.state() == PinState::Stop) return drop(to, "receiving pin is in STOP");

    if (!to.kernel_hosted()) {
        if (to.owner == kDaemon) return drop(to, "no client has opened this user pin");
        if (auto r = pass(ref.handle, from.ledger_id, to.owner); !r) return drop(to, r.error().message);
        if (HeldFrame* slot = held_frame(ref.handle)) slot->sent_at = sent_at;
        if (to.delivery) {
            // The client's ring, resolved at open_stream: no lookup, no allocation, no unlock.
            if (!to.delivery->try_deliver(ref.handle, header)) {
                ++to.dropped;
                emit({KernelEvent::Type::FrameDropped, to.key, "hand-off to client refused", to.state(),
                      to.owner});
                give_back(ref, to.owner);
                return;
            }
            ++to.completed;
            count_crossing(to);
            note_delivered(to.delivery);
            return;
        }
        ++to.completed;
        outbox.deliveries.push_back(Delivery{to.owner, to.key, ref.handle, header});
        count_crossing(to);
        return;
    }
    // AVStream queues a frame only at a pin in PAUSE or RUN: below PAUSE nothing stays queued.
    if (to.role == PinRole::DriverIn && to.driver && !to.accepting)
        return drop(to, "driver input pin is not in PAUSE or RUN");
    if (auto r = pass(ref.handle, from.ledger_id, to.ledger_id); !r) {
        logger("core.pin")
            ->error("{}: ledger refused hand-off from {}: {}", to.name, from.name, r.error().message);
        return;
    }
    ++to.completed;
    note_latency(to, sent_at);
    // Only a driver's input pin takes frames into its queue; on any other pin (one its driver has
    // no descriptor for, an output pin) the frame goes home.
    if (to.role == PinRole::DriverIn && to.driver) return queue_input(to, ref, header);
    give_back(ref, to.ledger_id);
}

[[gnu::hot]] void Kernel::Impl::queue_input(Pin& pin, PipeFrame ref, const proto::StreamHeader& header) {
    Pipe& pipe = *ref.pipe;
    StreamPointer* edge = pin.queue->leading_edge(PointerLock::Unlocked);
    const bool was_empty = edge == nullptr || !edge->has_frame();
    QueuedFrame f;
    f.token = token_of(ref.handle);
    f.cookie = ref.handle.generation;
    f.data = frame_bytes(ref);
    if (pipe.driver && pipe.sg_lists[ref.handle.index].empty())
        pipe.sg_lists[ref.handle.index] = frame_mappings(ref);
    f.mappings = pipe.sg_lists[ref.handle.index];
    f.header = header;
    f.header.status = 0;
    f.header.frame_extent = static_cast<std::uint32_t>(f.data.size());
    f.header.data_used = std::min(f.header.data_used, f.header.frame_extent);
    pin.driver->frame_queued(f);
    pin.queue->add_frame(std::move(f));
    pin.driver->frames_arrived(was_empty, pin.running);
}

void Kernel::Impl::on_input_complete(Pin& pin, QueuedFrame&& frame) {
    const shm::FrameHandle h = handle_of(frame);
    Pipe* pipe = pipe_of(h);
    if (!pipe) return;  // allocator already gone (cannot happen while the pin is above STOP)
    const PipeFrame ref{h, pipe};
    if (pin.in_place && frame.header.status != static_cast<std::uint32_t>(NtStatus::Cancelled)) {
        pin.driver->frame_completing(frame);  // the header as the driver left it goes on with the frame
        return send_on(pin, *pin.in_place, ref, frame.header);
    }
    if (holds_back(pin)) return hold_back(pin, ref);  // a stall_releases fault
    give_back(ref, pin.ledger_id);
}

[[gnu::hot]] void Kernel::Impl::send_on(Pin& in, Pin& out, PipeFrame ref, const proto::StreamHeader& header) {
    if (!out.peer) return give_back(ref, in.ledger_id);
    // Two pipes (negotiation could not give both connections one allocator, e.g. between two user
    // pins): two pipe sections, and the frame must leave in the output pipe's memory, so this is
    // the one copy. One pipe: one section, the same frame goes on (AVStream's in-place pipe).
    if (out.pipe != ref.pipe) return copy_to_output(in, out, ref, header, clock->now());
    if (auto r = pass(ref.handle, in.ledger_id, out.ledger_id); !r) {
        logger("core.pin")
            ->error("{}: ledger refused the pass to {}: {}", in.name, out.name, r.error().message);
        return give_back(ref, in.ledger_id);
    }
    ++out.completed;
    deliver(out, *out.peer, ref, header, clock->now());
}

void Kernel::Impl::copy_to_output(Pin& in, Pin& out, PipeFrame ref, const proto::StreamHeader& header,
                                  Ticks sent_at) {
    if (&out == &in || !out.peer || !out.pipe || !out.pipe->active()) {
        ++in.dropped;
        return give_back(ref, in.ledger_id);
    }
    // No free output frame: the input frame waits (frames keep their order) until the output
    // pool frees one, instead of being dropped; the input pool's limit is the back-pressure.
    const PendingCopy job{ref, header, sent_at};
    if (!in.pending_copies.empty() || !try_copy(in, out, job)) in.pending_copies.push_back(job);
}

bool Kernel::Impl::try_copy(Pin& in, Pin& out, const PendingCopy& job) {
    if (!out.pipe || !out.pipe->active() || !out.pipe->has_free_frame()) return false;
    auto dst = out.pipe->allocator->allocate();
    if (!dst) return false;
    if (auto r = hold(*dst, out.ledger_id); !r) {
        (void)out.pipe->allocator->free(*dst);
        ++out.dropped;
        give_back(job.ref, in.ledger_id);
        return true;  // consumed: dropped
    }
    const PipeFrame dref{*dst, out.pipe};
    const std::span<std::byte> src = frame_bytes(job.ref);
    const std::span<std::byte> in_bytes = src.first(std::min<std::size_t>(src.size(), job.header.data_used));
    const std::span<std::byte> out_bytes = frame_bytes(dref);
    // The in-place transform changed the frame where it was: the copy takes its bytes unchanged.
    const auto written = static_cast<std::uint32_t>(std::min(in_bytes.size(), out_bytes.size()));
    std::memcpy(out_bytes.data(), in_bytes.data(), written);
    give_back(job.ref, in.ledger_id);
    proto::StreamHeader h2 = job.header;
    h2.data_used = written;
    h2.frame_extent = static_cast<std::uint32_t>(out_bytes.size());
    ++out.completed;
    if (out.peer)
        deliver(out, *out.peer, dref, h2, job.sent_at);
    else
        give_back(dref, out.ledger_id);
    return true;
}

void Kernel::Impl::resume_copies(Pipe& pipe) {
    for (Pin* out : pipe.pins) {
        if (out->desc.direction != proto::PinDirection::Out || !out->kernel_hosted()) continue;
        for (const auto& candidate : out->filter.pins) {
            Pin& in = *candidate;
            if (in.pending_copies.empty()) continue;
            if (!out->peer || !out->pipe || !out->pipe->active()) {
                drop_pending_copies(in, "the copy's output side is gone");
                continue;
            }
            while (!in.pending_copies.empty()) {
                // Taken off first: the copy's hand-off may free frames and resume copies again.
                const PendingCopy job = in.pending_copies.front();
                in.pending_copies.pop_front();
                if (!try_copy(in, *out, job)) {
                    in.pending_copies.push_front(job);
                    break;
                }
            }
        }
    }
}

void Kernel::Impl::drop_pending_copies(Pin& in, std::string_view why) {
    if (in.pending_copies.empty()) return;
    const auto jobs = std::exchange(in.pending_copies, {});
    in.dropped += jobs.size();
    emit({KernelEvent::Type::FrameDropped, in.key,
          fmt::format("{} waiting frame(s) dropped: {}", jobs.size(), why), in.state(), kDaemon});
    for (const PendingCopy& job : jobs) give_back(job.ref, in.ledger_id);
}

void Kernel::Impl::give_back(PipeFrame ref, std::uint64_t holder) {
    if (auto r = unhold(ref.handle, holder); !r) {
        logger("core.kernel")
            ->error("pipe {}: frame {} not held by {}: {}", ref.pipe->name, ref.handle.index, holder,
                    r.error().message);
        return;
    }
    return_to_pool(ref);
}

void Kernel::Impl::return_to_pool(PipeFrame ref) {
    if (auto r = ref.pipe->allocator->free(ref.handle); !r) {
        logger("core.kernel")
            ->error("pipe {}: free of frame {} failed: {}", ref.pipe->name, ref.handle.index,
                    r.error().message);
        return;
    }
    refill_sources(*ref.pipe);
    resume_copies(*ref.pipe);
}

void Kernel::Impl::refill_sources(Pipe& pipe) {
    for (Pin* p : pipe.pins) {
        if (p->role == PinRole::DriverOut && p->accepting) refill(*p);
        if (p->role == PinRole::UserSource && p->delivery) {
            // The freed frame goes straight into the source's free-frame ring when it has one
            // (that push wakes the client); a client acquiring over the socket is woken to ask again.
            post_free_frames(*p);
            p->delivery->frame_freed();
        }
    }
}

}  // namespace ksim::daemon
