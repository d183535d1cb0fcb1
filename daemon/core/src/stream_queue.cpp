#include "ksim/daemon/stream_queue.hpp"

#include <algorithm>

#include "ksim/proto/assert.hpp"

namespace ksim::daemon {

namespace {
constexpr std::uint64_t kLeadingId = 1;
constexpr std::uint64_t kTrailingId = 2;
}  // namespace

QueuedFrame* StreamPointer::frame() const {
    return has_frame_ ? &pos_->frame : nullptr;
}

StreamQueue::StreamQueue(Options options, const Clock& clock, Completion on_complete)
    : options_(options), clock_(clock), on_complete_(std::move(on_complete)) {
    const bool flow_in = options_.direction == proto::PinDirection::In;
    leading_.id_ = kLeadingId;
    trailing_.id_ = kTrailingId;
    leading_.flow_in_ = trailing_.flow_in_ = flow_in;
}

void StreamQueue::add_frame(QueuedFrame frame) {
    if (spare_frames_.empty()) {
        frames_.push_back(FrameSlot{.frame = std::move(frame)});
    } else {
        frames_.splice(frames_.end(), spare_frames_, spare_frames_.begin());
        frames_.back() = FrameSlot{.frame = std::move(frame)};
    }
    const Iter it = std::prev(frames_.end());
    if (!leading_.has_frame_) place(leading_, it);
    if (options_.distinct_trailing_edge && !trailing_.has_frame_) place(trailing_, it);
}

StreamPointer* StreamQueue::leading_edge(PointerLock state) {
    if (state == PointerLock::Locked) {
        if (!leading_.has_frame_) return nullptr;
        leading_.lock_ = PointerLock::Locked;
    }
    return &leading_;
}

StreamPointer* StreamQueue::trailing_edge(PointerLock state) {
    if (!options_.distinct_trailing_edge) return nullptr;
    if (state == PointerLock::Locked) {
        if (!trailing_.has_frame_) return nullptr;
        trailing_.lock_ = PointerLock::Locked;
    }
    return &trailing_;
}

NtStatus StreamQueue::lock(StreamPointer& sp) {
    if (!sp.has_frame_) return NtStatus::DeviceNotReady;
    sp.lock_ = PointerLock::Locked;
    return NtStatus::Success;
}

void StreamQueue::unlock(StreamPointer& sp, bool eject) {
    sp.lock_ = PointerLock::Unlocked;
    if (eject) (void)move_next(sp);
}

NtStatus StreamQueue::advance(StreamPointer& sp) {
    if (sp.lock_ == PointerLock::Unlocked) {
        (void)move_next(sp);
        return NtStatus::Success;
    }
    sp.lock_ = PointerLock::Unlocked;
    if (move_next(sp) != NtStatus::Success) return NtStatus::DeviceNotReady;
    sp.lock_ = PointerLock::Locked;
    return NtStatus::Success;
}

NtStatus StreamQueue::advance_offsets(StreamPointer& sp, std::uint32_t in_used, std::uint32_t out_used,
                                      bool eject) {
    if (sp.lock_ != PointerLock::Locked || !sp.has_frame_) return NtStatus::DeviceNotReady;
    in_used = std::min(in_used, sp.in_.remaining);
    out_used = std::min(out_used, sp.out_.remaining);
    sp.in_.remaining -= in_used;
    sp.out_.remaining -= out_used;
    if (!options_.generate_mappings) sp.pos_->bytes_used += sp.flow_in_ ? in_used : out_used;
    const StreamOffset& flow = sp.flow_in_ ? sp.in_ : sp.out_;
    if (flow.remaining != 0 && !eject) return NtStatus::Success;
    return advance(sp);
}

Result<StreamPointer*> StreamQueue::clone(StreamPointer& source, std::size_t context_size) {
    if (!source.has_frame_) {
        return fail(Errc::InvalidState,
                    "stream pointer clone: the source points past the queue end (no frame)");
    }
    if (spare_clones_.empty()) {
        clones_.emplace_back();
    } else {
        clones_.splice(clones_.end(), spare_clones_, spare_clones_.begin());
    }
    StreamPointer& c = clones_.back();
    // A recycled node: every field is set below or here; context_ keeps its capacity.
    c.has_frame_ = false;
    disarm(c);
    c.clone_ = true;
    c.id_ = next_id_++;
    c.flow_in_ = source.flow_in_;
    c.context_.assign(context_size, std::byte{0});
    place(c, source.pos_);
    c.in_ = source.in_;
    c.out_ = source.out_;
    c.lock_ = source.lock_;
    return &c;
}

StreamPointer* StreamQueue::first_clone() {
    return clones_.empty() ? nullptr : &clones_.front();
}

StreamPointer* StreamQueue::next_clone(const StreamPointer& clone) {
    auto it = std::ranges::find_if(clones_, [&](const StreamPointer& c) { return &c == &clone; });
    if (it == clones_.end() || ++it == clones_.end()) return nullptr;
    return &*it;
}

// [[gnu::hot]] marks what every frame runs, so that it shares a few pages with the rest of the
// hand-off's code (docs/memory.md, "Code on the hot path").
[[gnu::hot]] void StreamQueue::delete_clone(StreamPointer& clone) {
    KSIM_ASSERT(clone.clone_, "delete_clone called on a leading or trailing edge");
    auto it = std::ranges::find_if(clones_, [&](const StreamPointer& c) { return &c == &clone; });
    if (it == clones_.end()) return;
    const bool had = it->has_frame_;
    const Iter pos = it->pos_;
    if (had) --pos->clone_refs;
    disarm(*it);
    spare_clones_.splice(spare_clones_.end(), clones_, it);
    if (had) try_complete(pos);
}

void StreamQueue::set_status_code(StreamPointer& sp, NtStatus status) {
    if (sp.has_frame_) sp.pos_->status = status;
}

void StreamQueue::schedule_timeout(StreamPointer& sp, TimeoutCallback callback, Ticks interval) {
    if (!sp.deadline_) ++armed_timeouts_;
    sp.deadline_ = clock_.now() + interval;
    sp.on_timeout_ = std::move(callback);
}

void StreamQueue::cancel_timeout(StreamPointer& sp) {
    disarm(sp);
}

void StreamQueue::disarm(StreamPointer& sp) {
    if (sp.deadline_) --armed_timeouts_;
    sp.deadline_.reset();
    sp.on_timeout_ = nullptr;
}

StreamPointer* StreamQueue::find_clone(std::uint64_t id) {
    if (id == kLeadingId) return &leading_;
    if (id == kTrailingId) return &trailing_;
    auto it = std::ranges::find(clones_, id, &StreamPointer::id_);
    return it == clones_.end() ? nullptr : &*it;
}

[[gnu::hot]] std::size_t StreamQueue::fire_timeouts() {
    // Called on every hardware tick, right after a frame may have gone to a client: with nothing
    // armed (the usual case) it touches neither the clock nor the clone list.
    if (armed_timeouts_ == 0) return 0;
    const Ticks now = clock_.now();
    std::vector<std::uint64_t> due;
    auto collect = [&](const StreamPointer& sp) {
        if (sp.deadline_ && *sp.deadline_ <= now) due.push_back(sp.id_);
    };
    collect(leading_);
    collect(trailing_);
    for (const StreamPointer& c : clones_) collect(c);
    std::size_t fired = 0;
    for (std::uint64_t id : due) {
        StreamPointer* sp = find_clone(id);  // a callback may have deleted a later clone
        if (!sp || !sp->deadline_ || *sp->deadline_ > now) continue;
        auto callback = std::move(sp->on_timeout_);
        disarm(*sp);
        ++fired;
        if (callback) callback(*sp);
    }
    return fired;
}

std::size_t StreamQueue::frames_from_leading_edge() const {
    if (!leading_.has_frame_) return 0;
    return static_cast<std::size_t>(
        std::distance(std::list<FrameSlot>::const_iterator(leading_.pos_), frames_.cend()));
}

void StreamQueue::flush() {
    for (StreamPointer& c : clones_) {
        c.has_frame_ = false;
        disarm(c);
    }
    spare_clones_.splice(spare_clones_.end(), clones_);
    for (StreamPointer* edge : {&leading_, &trailing_}) {
        edge->has_frame_ = false;
        edge->lock_ = PointerLock::Unlocked;
        edge->in_ = edge->out_ = {};
        cancel_timeout(*edge);
    }
    std::list<FrameSlot> cancelled;
    cancelled.swap(frames_);
    for (FrameSlot& slot : cancelled) {
        slot.frame.header.data_used = 0;
        slot.frame.header.status = static_cast<std::uint32_t>(NtStatus::Cancelled);
        on_complete_(std::move(slot.frame));
    }
    spare_frames_.splice(spare_frames_.end(), cancelled);
}

void StreamQueue::reset_offsets(StreamPointer& sp) {
    if (!sp.has_frame_) {
        sp.in_ = sp.out_ = {};
        return;
    }
    const QueuedFrame& f = sp.pos_->frame;
    if (options_.generate_mappings) {
        const auto n = static_cast<std::uint32_t>(f.mappings.size());
        sp.in_ = sp.out_ = {n, n};
    } else {
        sp.in_ = {f.header.data_used, f.header.data_used};
        const auto extent = static_cast<std::uint32_t>(f.data.size());
        sp.out_ = {extent, extent};
    }
}

void StreamQueue::place(StreamPointer& sp, Iter pos) {
    const bool had = sp.has_frame_;
    const Iter old = sp.pos_;
    if (had) {
        if (sp.clone_) --old->clone_refs;
        if (&sp == &leading_) old->passed_leading = true;
        if (&sp == &trailing_) old->passed_trailing = true;
    }
    sp.has_frame_ = pos != frames_.end();
    sp.pos_ = pos;
    if (sp.has_frame_ && sp.clone_) ++pos->clone_refs;
    reset_offsets(sp);
    if (had && old != pos) try_complete(old);
}

NtStatus StreamQueue::move_next(StreamPointer& sp) {
    if (!sp.has_frame_) return NtStatus::DeviceNotReady;
    // The trailing edge never passes the leading edge: it may only leave a frame the leading
    // edge has already left.
    if (&sp == &trailing_ && !sp.pos_->passed_leading) return NtStatus::DeviceNotReady;
    const Iter next = std::next(sp.pos_);
    place(sp, next);
    return sp.has_frame_ ? NtStatus::Success : NtStatus::DeviceNotReady;
}

[[gnu::hot]] void StreamQueue::try_complete(Iter it) {
    if (!it->passed_leading || it->clone_refs != 0) return;
    if (options_.distinct_trailing_edge && !it->passed_trailing) return;
    if ((leading_.has_frame_ && leading_.pos_ == it) || (trailing_.has_frame_ && trailing_.pos_ == it))
        return;
    QueuedFrame frame = std::move(it->frame);
    if (!options_.generate_mappings && options_.direction == proto::PinDirection::Out) {
        frame.header.data_used = it->bytes_used;
    }
    frame.header.status = static_cast<std::uint32_t>(it->status);
    spare_frames_.splice(spare_frames_.end(), frames_, it);
    on_complete_(std::move(frame));
}

}  // namespace ksim::daemon
