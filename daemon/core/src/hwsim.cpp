#include "ksim/daemon/hwsim.hpp"

#include <algorithm>
#include <cstring>

#include "ksim/proto/assert.hpp"

namespace ksim::daemon {

HardwareSimulation::HardwareSimulation(ContentGenerator& content, Ticks period, InterruptSink& interrupt)
    : content_(content), period_(period), interrupt_(interrupt) {
    KSIM_ASSERT(period_ > 0, "hardware simulation with a frame period of zero ticks");
}

void HardwareSimulation::start(Ticks now) {
    if (!started_) {
        started_ = true;
        start_ = now;
        ticks_ = 0;
    }
    filling_ = true;
}

void HardwareSimulation::set_interrupt_faults(InterruptFaults faults) {
    faults_ = faults;
    // At most delay / period + 1 interrupts are in flight at once; sized once, so a delayed
    // interrupt never allocates.
    delayed_.set_capacity(faults.delay > 0 ? static_cast<std::size_t>(faults.delay / period_) + 2 : 0);
}

void HardwareSimulation::stop() {
    delayed_.clear();
    interrupts_raised_ = 0;
    interrupts_lost_ = 0;
    started_ = false;
    filling_ = false;
    table_.clear();
    queued_bytes_ = 0;
    ticks_ = 0;
    mappings_completed_ = 0;
    frames_filled_ = 0;
    frames_skipped_ = 0;
}

bool HardwareSimulation::program_frame(std::span<const SgMapping> mappings) {
    if (mappings.empty() || table_.size() + mappings.size() > kMaxMappings) return false;
    for (std::size_t i = 0; i < mappings.size(); ++i) {
        table_.push_back(Entry{mappings[i], i + 1 == mappings.size()});
        queued_bytes_ += mappings[i].byte_count;
    }
    return true;
}

// [[gnu::hot]] marks what every frame runs, so that it shares a few pages with the rest of the
// hand-off's code (docs/memory.md, "Code on the hot path").
[[gnu::hot]] std::optional<Ticks> HardwareSimulation::next_deadline() const {
    if (!started_) return std::nullopt;
    // Absolute schedule: the n-th tick is due at start + period * (n + 1), however late we run.
    const Ticks tick = next_tick_due();
    return delayed_.empty() ? tick : std::min(tick, delayed_.front());
}

[[gnu::hot]] std::size_t HardwareSimulation::advance_to(Ticks now) {
    std::size_t ran = 0;
    while (started_) {
        const Ticks due = next_tick_due();
        // A delayed interrupt due no later than the next tick goes first (it was raised earlier).
        if (!delayed_.empty() && delayed_.front() <= now && delayed_.front() <= due) {
            delayed_.pop_front();
            interrupt_.on_interrupt();
            continue;
        }
        if (due > now) break;
        tick_time_ = due;
        ++ticks_;
        tick();
        ++ran;
    }
    return ran;
}

std::uint64_t HardwareSimulation::drop_overdue(Ticks now, Ticks tolerance) {
    if (!started_ || now - next_tick_due() <= tolerance) return 0;
    // Ticks due by `now` in total: deadlines start + period * n for n = 1.. (now - start) / period.
    const auto due = static_cast<std::uint64_t>((now - start_) / period_);
    const std::uint64_t dropped = due - ticks_;
    ticks_ = due;
    tick_time_ = start_ + period_ * static_cast<Ticks>(due);
    if (filling_) frames_skipped_ += dropped;
    return dropped;
}

[[gnu::hot]] void HardwareSimulation::tick() {
    if (filling_) {
        if (queued_bytes_ >= content_.image_size()) {
            fill();
        } else {
            ++frames_skipped_;  // no buffer (or not enough of one): drop, never fill partially
        }
    }
    raise_interrupt();  // avshws interrupts on every tick, even while paused
}

[[gnu::hot]] void HardwareSimulation::raise_interrupt() {
    ++interrupts_raised_;
    if (faults_.drop_every > 0 && interrupts_raised_ % faults_.drop_every == 0) {
        ++interrupts_lost_;
        return;
    }
    if (faults_.delay > 0 && !delayed_.full()) {
        delayed_.push_back(tick_time_ + faults_.delay);
        return;
    }
    interrupt_.on_interrupt();
}

[[gnu::hot]] void HardwareSimulation::fill() {
    const std::uint32_t size = content_.image_size();
    const RenderInfo info{frames_filled_, tick_time_ - start_, frames_skipped_};
    // A frame whose first mapping holds the whole image (pool memory: one segment per frame) is
    // rendered where it lies, as a device's DMA writes the buffer itself. A scattered one (a
    // vendor allocator's S/G list) is rendered into the scratch image and copied across its
    // mappings. In place, a tick touches the image's bytes once instead of twice, and evicts
    // half as much from the caches just before the frame is handed on.
    const bool in_place = table_.front().mapping.byte_count >= size;  // tick(): queued >= size > 0
    if (in_place) {
        content_.render(std::span(table_.front().mapping.data, size), info);
    } else {
        scratch_.resize(size);
        content_.render(scratch_, info);
    }
    std::size_t written = 0;
    // Consume the mappings in order (copying the scratch image across them); the mappings left
    // over in the last frame touched are consumed too so that the next image starts on a frame
    // boundary.
    bool frame_done = false;
    while (!table_.empty() && !frame_done) {
        Entry e = table_.front();
        table_.pop_front();
        queued_bytes_ -= e.mapping.byte_count;
        const std::size_t n = std::min<std::size_t>(e.mapping.byte_count, size - written);
        if (n > 0 && !in_place) std::memcpy(e.mapping.data, scratch_.data() + written, n);
        written += n;
        ++mappings_completed_;
        frame_done = written == size && e.last_of_frame;
    }
    ++frames_filled_;
}

}  // namespace ksim::daemon
