// Descriptor rings: a single-producer/single-consumer queue of RingEntry in its own shared
// region, plain data with indices (no pointers), head and tail on separate cache lines.
// Wake-ups are sent only when the peer has said it is waiting, so a running peer costs no
// syscall; batches publish once and wake once. A blocking wait sleeps on a futex on its waiting
// flag; an event loop sleeps on one of the two eventfds (arm_wait), for poll/epoll/Asio.
//
// The wake-up protocol, the same in both directions. Each side has one atomic state word in the
// ring header, its `waiting` flag: 0 = running, or how it sleeps (futex / eventfd).
//   sleeper: 1. raise the flag (announce "I will sleep"); 2. full fence; 3. re-check the ring
//            (data for a consumer, a free slot for a producer): if it is ready, lower the flag
//            and go on; 4. else sleep - FUTEX_WAIT on the flag's value (returns at once if a
//            waker already cleared it) or poll on the eventfd.
//   waker:   1. publish its index; 2. full fence; 3. load the peer's flag: 0 -> no syscall;
//            raised -> claim it with a compare-and-swap back to 0 and, only if that succeeded,
//            make one syscall (FUTEX_WAKE, or an eventfd write).
// No lost wake-up, by construction: of "sleeper raised the flag" and "waker published", the
// fences order one before the other, so either the sleeper's re-check sees the entry or the
// waker sees the flag. At most one wake-up per sleep: only the waker whose compare-and-swap
// clears the flag makes a syscall; every later publish before the sleeper raises the flag again
// finds 0. So an idle -> pending edge of a ring costs one syscall, never one per descriptor.
// Every syscall a side makes on a ring is counted in the header (syscalls(), for benchmarks). Every
// entry carries the time its producer published it, so a consumer can tell how long a hand-off
// took. There is no lock at all, so a peer that dies mid-operation cannot leave anything held:
// the survivor just stops seeing progress (waits time out; the control socket reports the death).
//
// RingChannel (daemon) owns the region and eventfds; RingProducer / RingConsumer are the two
// views, each usable in a different process from a RingShare (descriptors sent over
// SCM_RIGHTS). Each view is used by one thread at a time, except that a consumer may wait in
// one thread while another pops (ksimd's drain thread and StreamRings::take_releases).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "ksim/proto/error.hpp"
#include "ksim/proto/stream_header.hpp"
#include "ksim/shm/frame.hpp"
#include "ksim/shm/mapping.hpp"
#include "ksim/shm/region.hpp"
#include "ksim/shm/unique_fd.hpp"

namespace ksim::shm {

// One hand-off: the frame plus the KSSTREAM_HEADER / KS_FRAME_INFO fields a consumer needs
// (everything proto::StreamHeader carries except its own size and the KSTIME ratio, which is
// always 1/1 in ksim). One cache line per entry, so a hand-off touches exactly one line.
struct RingEntry {
    FrameHandle frame{};                 // 16 bytes
    std::uint32_t data_used = 0;         // valid bytes in the frame
    std::uint32_t options_flags = 0;     // KSSTREAM_HEADER_OPTIONSF_*
    std::int64_t presentation_time = 0;  // 100 ns units
    std::int64_t duration = 0;           // 100 ns units
    std::int64_t picture_number = 0;     // KS_FRAME_INFO.PictureNumber
    std::int64_t drop_count = 0;         // KS_FRAME_INFO.DropCount
    std::uint32_t type_specific_flags = 0;
    std::uint32_t status = 0;  // completion status (0 = success)
};
static_assert(sizeof(RingEntry) == 64, "one ring entry is one cache line");
static_assert(alignof(RingEntry) == 8);
static_assert(std::is_trivially_copyable_v<RingEntry>);

// The header fields a ring entry carries, both ways (the one place that maps them).
inline RingEntry to_ring_entry(const FrameHandle& frame, const proto::StreamHeader& h) {
    return RingEntry{frame,
                     h.data_used,
                     static_cast<std::uint32_t>(h.options_flags),
                     h.presentation_time.time,
                     h.duration,
                     h.picture_number,
                     h.drop_count,
                     h.type_specific_flags,
                     h.status};
}
// `frame_extent` is the stream's frame size (constant per stream, so not carried per entry).
inline proto::StreamHeader to_stream_header(const RingEntry& e, std::uint32_t frame_extent) {
    proto::StreamHeader h;
    h.type_specific_flags = e.type_specific_flags;
    h.presentation_time.time = e.presentation_time;
    h.duration = e.duration;
    h.frame_extent = frame_extent;
    h.data_used = e.data_used;
    h.options_flags = static_cast<proto::StreamHeaderOptions>(e.options_flags);
    h.status = e.status;
    h.picture_number = e.picture_number;
    h.drop_count = e.drop_count;
    return h;
}

// When a producer published an entry, on steady_clock: CLOCK_MONOTONIC on Linux, one clock for
// every process of the host, so a consumer's `now() - published` is the hand-off latency. The
// producer writes it; a consumer must not trust it for anything but measurement.
using PublishTime = std::chrono::steady_clock::time_point;

// A consumer's release on its to_daemon ring carries no stream header: in its place it carries
// when ksimd published the frame to the consumer (`presentation_time` slot) and when the
// consumer took it off its to_client ring (`duration` slot), PublishTime ticks (0 = unknown). The
// release's own publish time is when it was released, so ksimd tells the hand-off latency
// (published -> taken) from how long the consumer held the frame (taken -> released) however
// late it drains the ring.
struct ReleaseStamps {
    PublishTime published{};
    PublishTime taken{};
};
inline RingEntry to_release_entry(const FrameHandle& frame, const ReleaseStamps& stamps) {
    RingEntry e{};
    e.frame = frame;
    e.presentation_time = stamps.published.time_since_epoch().count();
    e.duration = stamps.taken.time_since_epoch().count();
    return e;
}
inline ReleaseStamps release_stamps(const RingEntry& release) {
    return {PublishTime(PublishTime::duration(release.presentation_time)),
            PublishTime(PublishTime::duration(release.duration))};
}

// What a peer needs to attach to a ring: the ring memory (read-write: each side moves its own
// index) and the two eventfds.
struct RingShare {
    UniqueFd memory;
    UniqueFd data_ready;               // producer -> consumer
    UniqueFd space_ready;              // consumer -> producer
    std::size_t size = 0;              // bytes of the ring region
    RegionId region = kInvalidRegion;  // the ring region's id (for diagnostics)
};

// The syscalls each side's process made on a ring since its creation, counted at the call
// sites: wakes = FUTEX_WAKE or eventfd write, sleeps = FUTEX_WAIT, poll or eventfd read.
// Measurement only (bench/ reports syscalls per frame with them): either peer can write them.
struct RingSyscalls {
    std::uint64_t producer_wakes = 0;
    std::uint64_t producer_sleeps = 0;
    std::uint64_t consumer_wakes = 0;
    std::uint64_t consumer_sleeps = 0;

    [[nodiscard]] std::uint64_t total() const {
        return producer_wakes + producer_sleeps + consumer_wakes + consumer_sleeps;
    }
    friend RingSyscalls operator-(const RingSyscalls& a, const RingSyscalls& b) {
        return RingSyscalls{a.producer_wakes - b.producer_wakes, a.producer_sleeps - b.producer_sleeps,
                            a.consumer_wakes - b.consumer_wakes, a.consumer_sleeps - b.consumer_sleeps};
    }
};

// Lazy hand-offs (docs/memory.md, "Lazy release"): a consumer that needs entries only within a
// bound, not at once, waits with Wait::Lazily (its flag says so) and a producer whose entries
// are not urgent publishes with Publish::Quietly; a quiet publish wakes a consumer that waits
// for every entry (Wait::UntilData, an event loop) as any publish does, but leaves a lazy wait
// asleep until its own deadline. Every other wake-up (interrupt, cancel_waits, a publish with
// Publish::Wake) ends a lazy wait too.
enum class Publish { Wake, Quietly };
enum class Wait { UntilData, Lazily };

// A spin budget without end (set_spin_budget): a wait polls the ring until data (or space), its
// timeout, interrupt() or cancel_waits(), and never sleeps on the futex. One CPU per poller.
inline constexpr std::chrono::nanoseconds kSpinForever = std::chrono::nanoseconds::max();

// The longest spin budget whose wait never yields its CPU while it spins. A short spin (libksim's
// next_frame spins 20 us before it sleeps) has nothing to gain from yielding: a peer sharing its
// CPU waits at most the spin. And on EEVDF (Linux 6.6+) sched_yield forfeits the caller's lag
// (its vruntime jumps to its deadline), so a thread that yields a few times in every wait falls
// behind every CPU-bound task on its CPU and, woken by the next frame, waits out their time
// slices: under two CPU burners the capture viewer lost milliseconds per frame that way
// (docs/performance.md, "Capture under CPU load"). Longer spins (busy-poll) still yield.
inline constexpr std::chrono::nanoseconds kLongestUnyieldingSpin = std::chrono::milliseconds(1);
inline constexpr bool spin_yields(std::chrono::nanoseconds budget) {
    return budget > kLongestUnyieldingSpin;
}

namespace detail {
struct RingHeader;

// What both ends of a ring hold: the mapping, the two eventfds and the validated capacity.
// attach() checks the descriptors and the header once; the ends add their half of the protocol.
class RingEndpoint {
public:
    [[nodiscard]] std::uint32_t capacity() const { return capacity_; }
    // How long a wait (wait_for_data / wait_for_space) checks the ring before it raises its flag
    // and sleeps (default 0: sleep at once). A peer that answers within the budget then costs
    // neither side a syscall; worth it only where a hand-off is expected within microseconds and
    // another CPU runs the peer (see docs/memory.md). kSpinForever polls for the whole wait and
    // never sleeps (busy-poll mode, docs/memory.md): the timeout, interrupt() and cancel_waits()
    // still end it. A spinning wait gives its CPU away (sched_yield) every thousand looks when
    // its budget is longer than kLongestUnyieldingSpin (spin_yields).
    void set_spin_budget(std::chrono::nanoseconds budget) { spin_ = budget; }
    [[nodiscard]] std::chrono::nanoseconds spin_budget() const { return spin_; }
    // True once cancel_waits() (of the producer or consumer view) was called on this end.
    [[nodiscard]] bool waits_cancelled() const { return cancelled_->load(std::memory_order_acquire); }
    // Both sides' syscalls on this ring so far (see RingSyscalls).
    [[nodiscard]] RingSyscalls syscalls() const;

protected:
    static Result<RingEndpoint> attach(RingShare share);
    RingEndpoint(WritableMapping mapping, UniqueFd data_ready, UniqueFd space_ready, std::uint32_t capacity);

    WritableMapping mapping_;
    UniqueFd data_ready_;
    UniqueFd space_ready_;
    RingHeader* header_ = nullptr;
    RingEntry* slots_ = nullptr;
    std::int64_t* stamps_ = nullptr;  // publish time per slot (PublishTime ticks)
    std::uint32_t capacity_ = 0;      // validated at attach; never re-read from shared memory
    std::chrono::nanoseconds spin_{0};
    // Set by cancel_waits(); on the heap so that an end stays movable.
    std::unique_ptr<std::atomic<bool>> cancelled_ = std::make_unique<std::atomic<bool>>(false);
};
}  // namespace detail

class RingProducer : public detail::RingEndpoint {
public:
    // Attaches to a ring from descriptors. Errors: InvalidArgument / ProtocolError (bad header).
    static Result<RingProducer> attach(RingShare share);

    // Publishes as many entries as fit (all or a prefix) with one index store, one clock read
    // (their PublishTime) and at most one wake-up. Returns how many were published. Never
    // blocks, never allocates.
    std::size_t try_push(std::span<const RingEntry> entries, Publish publish = Publish::Wake);
    bool try_push(const RingEntry& entry, Publish publish = Publish::Wake) {
        return try_push(std::span(&entry, 1), publish) == 1;
    }
    // Waits until at least one slot is free. Errors: Timeout, ProtocolError (corrupt indices),
    // Disconnected (cancel_waits).
    Result<void> wait_for_space(std::chrono::milliseconds timeout);
    // try_push of one entry, waiting for space up to `timeout`.
    Result<void> push(const RingEntry& entry, std::chrono::milliseconds timeout,
                      Publish publish = Publish::Wake);

    // For event loops (e.g. an Asio stream_descriptor on space_fd()): arm_wait() raises the
    // waiting flag and returns false if a slot is already free (then disarm and push now);
    // when it returns true, sleep until space_fd() is readable, read it (8 bytes) to drain it,
    // then disarm_wait() and retry. One arm gets at most one signal (the waker lowers the flag):
    // arm again before each sleep.
    [[nodiscard]] bool arm_wait();
    void disarm_wait();
    [[nodiscard]] int space_fd() const { return space_ready_.get(); }
    // Sleeps until space_fd() is signalled (a slot freed, or the consumer's notify_producer())
    // or `timeout` passes, then drains it. Call it after arm_wait() and a re-check of whatever
    // the caller waits for, so a signal sent in between is not lost. Errors: Timeout, Io,
    // Disconnected (cancel_waits).
    Result<void> sleep_until_signalled(std::chrono::milliseconds timeout);

    // Entries published and not yet consumed (as seen now).
    [[nodiscard]] std::uint32_t size() const;
    // Ring position the next published entry takes (slot = position & (capacity - 1)); lets an
    // owner keep its own record of what it published, which it trusts more than shared slots.
    [[nodiscard]] std::uint64_t next_position() const;

    // Takes back every published entry the consumer has not taken yet: positions
    // [first, first + count). The consumer claims entries with a compare-and-swap on its index,
    // so an entry is either taken by the consumer or retracted here, never both. count is 0 when
    // nothing was waiting, or when the consumer's index is corrupt.
    struct Retracted {
        std::uint64_t first = 0;
        std::uint32_t count = 0;
    };
    Retracted retract();

    // Ends this end's waits for good, because the peer is known to be gone (e.g. its control
    // socket closed): a wait blocked in another thread of this process returns now, and every
    // later wait at once, with Disconnected; an event loop finds its descriptor readable.
    // try_push / try_pop keep working. Never blocks; thread-safe.
    void cancel_waits();

private:
    explicit RingProducer(RingEndpoint endpoint) : RingEndpoint(std::move(endpoint)) {}
};

class RingConsumer : public detail::RingEndpoint {
public:
    static Result<RingConsumer> attach(RingShare share);

    // Takes up to out.size() entries, claims them with one compare-and-swap on the index (so
    // the producer may retract what is not taken yet) and wakes a waiting producer at most once.
    // Returns how many were taken (0 when empty, or when the producer's index is corrupt: then
    // corrupted() is true). `published`, when given, receives the publish time of the first
    // min(taken, published.size()) entries.
    std::size_t try_pop(std::span<RingEntry> out, std::span<PublishTime> published = {});
    std::optional<RingEntry> try_pop();
    // Waits until at least one entry is available, or interrupt() is called. Errors: Timeout,
    // ProtocolError, Disconnected (cancel_waits). Wait::Lazily: as long as only quiet publishes
    // come, sleeps on until `timeout`, then returns like any wait (success if they published).
    Result<void> wait_for_data(std::chrono::milliseconds timeout, Wait wait = Wait::UntilData);
    // Makes a wait_for_data (or pop) blocked in another thread of this process return now,
    // successfully but possibly without data (e.g. to stop a thread that drains the ring); the
    // next wait returns at once if none was blocked. Never blocks; thread-safe.
    void interrupt();
    // try_pop of one entry, waiting up to `timeout`; `published` (optional) receives its
    // publish time.
    Result<RingEntry> pop(std::chrono::milliseconds timeout, PublishTime* published = nullptr);

    // For event loops: as RingProducer::arm_wait, with data_fd() readable when data arrives
    // (once per arm, however many entries come before the consumer runs).
    [[nodiscard]] bool arm_wait();
    void disarm_wait();
    [[nodiscard]] int data_fd() const { return data_ready_.get(); }

    // Wakes a producer that armed its wait, for a reason outside the ring (e.g. a frame went
    // back to the pool it acquires from). No syscall when it is not waiting. Never blocks.
    void notify_producer();

    // Ends this end's waits for good, because the peer is known to be gone (e.g. its control
    // socket closed): a wait blocked in another thread of this process returns now, and every
    // later wait at once, with Disconnected; an event loop finds its descriptor readable.
    // try_push / try_pop keep working. Never blocks; thread-safe.
    void cancel_waits();

    [[nodiscard]] std::uint32_t size() const;
    // True once the producer published an index that cannot be right (more than capacity ahead
    // or behind): the peer is broken or malicious; stop using the ring.
    [[nodiscard]] bool corrupted() const { return corrupted_->load(std::memory_order_relaxed); }

private:
    explicit RingConsumer(RingEndpoint endpoint) : RingEndpoint(std::move(endpoint)) {}
    // Atomic, because a wait may find the ring corrupt in one thread while another holds the
    // right to pop (ksimd's drain thread and StreamRings::take_releases); on the heap, movable.
    std::unique_ptr<std::atomic<bool>> corrupted_ = std::make_unique<std::atomic<bool>>(false);
    // Set by interrupt(); on the heap so that the consumer stays movable.
    std::unique_ptr<std::atomic<bool>> interrupted_ = std::make_unique<std::atomic<bool>>(false);
};

// The owner of a ring: its region and eventfds. Created by the daemon per data path.
class RingChannel {
public:
    // `capacity` is rounded up to a power of two (>= 2, <= 65536).
    // Errors: InvalidArgument, Io.
    static Result<RingChannel> create(std::string_view name, std::uint32_t capacity);

    // Fresh descriptors for one side (send them, or attach locally). Errors: Io.
    [[nodiscard]] Result<RingShare> share() const;
    [[nodiscard]] std::uint32_t capacity() const { return capacity_; }
    [[nodiscard]] const Region& region() const { return region_; }

private:
    RingChannel(Region region, UniqueFd data_ready, UniqueFd space_ready, std::uint32_t capacity);
    Region region_;
    UniqueFd data_ready_;
    UniqueFd space_ready_;
    std::uint32_t capacity_ = 0;
};

}  // namespace ksim::shm
