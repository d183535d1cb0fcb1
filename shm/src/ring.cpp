// SPSC descriptor ring: index arithmetic, publication order and the wake-up protocol.
//
// Wake-up protocol (both directions alike; ring.hpp has the full statement): the waiter sets
// its flag, issues a full fence and re-checks the ring before sleeping — on a futex on its flag
// (blocking waits) or on its eventfd (event loops, arm_wait); the flag says which. The other
// side publishes its index, issues a full fence and, only if the flag is set, claims it (a
// compare-and-swap back to 0) and wakes the futex or writes the eventfd. One of the two always
// sees the other's store, so no wake-up is lost; a running peer costs no syscall, and a sleep
// costs at most one wake-up however many entries are published before the sleeper runs.
// Every syscall of the ring is counted in the ring header (RingSyscalls), on its caller's side.
#include "ksim/shm/ring.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <cstring>
#include <ctime>
#include <new>
#include <string>

#include "errno_error.hpp"
#include "ring_layout.hpp"

namespace ksim::shm {
namespace {

using detail::RingHeader;
using Clock = std::chrono::steady_clock;
// The publish times in shared memory are steady_clock ticks: nanoseconds (see ring_layout.hpp).
static_assert(std::is_same_v<Clock::duration, std::chrono::nanoseconds>);

// One syscall made by a side of the ring, on that side's counter (measurement only). Relaxed:
// nothing is ordered by it, and it sits on a cache line its side writes anyway.
void count(std::atomic<std::uint64_t>& counter) {
    counter.fetch_add(1, std::memory_order_relaxed);
}

void signal(int fd, std::atomic<std::uint64_t>& wakes) {
    const std::uint64_t one = 1;
    count(wakes);
    [[maybe_unused]] const auto n = ::write(fd, &one, sizeof one);  // EAGAIN only at 2^64-2 pending
}

// How a spinning wait (set_spin_budget) paces itself between looks at the ring. No `pause`: on
// this project's 2-vCPU VM it bought nothing in a two-thread ping-pong (0.29 us round trip
// with and without it) and it is what hypervisors trap on (pause-loop exiting). Instead plain
// loads: the ring's index is on a line the peer writes, so a look costs a cache hit until the
// peer publishes. The clock is read once per kChecksPerClockRead looks (a vDSO read costs as
// much as dozens of looks), and, in a spin longer than kLongestUnyieldingSpin (ring.hpp: why not
// a short one), every kChecksPerYield looks the thread gives its CPU to any other runnable thread
// (sched_yield), so a poller sharing a CPU with its own peer - a loaded machine - lets the peer
// run within microseconds instead of a time slice (docs/memory.md, "Busy-poll mode").
constexpr unsigned kChecksPerClockRead = 64;
constexpr unsigned kChecksPerYield = 1024;

// A blocking wait sleeps on a futex on its own `*_waiting` flag, which holds kWaitingOnFutex
// while it sleeps; whoever wakes it first clears the flag, so a wait that has not reached
// FUTEX_WAIT yet finds the value changed and returns at once: no wake-up is lost, whether it
// comes from the peer (data or space) or from interrupt(). Shared futexes (not FUTEX_PRIVATE):
// the flag lives in a region both processes map.
std::uint32_t* futex_word(std::atomic<std::uint32_t>& flag) {
    static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
    return reinterpret_cast<std::uint32_t*>(&flag);
}

bool sleeps_on_futex(std::uint32_t flag) {
    return flag == detail::kWaitingOnFutex || flag == detail::kWaitingLazily;
}

// Wakes a blocking wait, eager or lazy, if one raised `flag`.
void futex_wake(std::atomic<std::uint32_t>& flag, std::atomic<std::uint64_t>& wakes) {
    std::uint32_t expected = flag.load(std::memory_order_relaxed);
    if (sleeps_on_futex(expected) && flag.compare_exchange_strong(expected, 0, std::memory_order_seq_cst)) {
        count(wakes);
        ::syscall(SYS_futex, futex_word(flag), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
    }
}

// Wakes the peer that raised `waiting`, the way it sleeps: its futex (a blocking wait) or `fd`
// (an event loop, see arm_wait). Either way the waker first claims the flag (compare-and-swap
// back to 0), so of all the publishes that find it raised only the first makes a syscall: one
// wake-up per sleep, never one per entry. Any other value a peer may have scribbled there is
// taken as "eventfd": a wake-up more never hurts, a lost one would. A quiet publish leaves a
// lazy wait asleep (it has a deadline of its own).
void wake_peer(std::atomic<std::uint32_t>& waiting, int fd, std::atomic<std::uint64_t>& wakes,
               bool quietly = false) {
    std::uint32_t w = waiting.load(std::memory_order_relaxed);
    if (w == 0 || (quietly && w == detail::kWaitingLazily)) return;
    if (sleeps_on_futex(w)) return futex_wake(waiting, wakes);
    if (waiting.compare_exchange_strong(w, 0, std::memory_order_seq_cst)) signal(fd, wakes);
}

// Out of line: the waits below are on the frame hand-off's hot path.
[[gnu::cold]] std::unexpected<Error> timed_out(const char* what, std::chrono::milliseconds timeout) {
    return fail(Errc::Timeout,
                std::string("ring: no ") + what + " within " + std::to_string(timeout.count()) + " ms");
}

[[gnu::cold]] std::unexpected<Error> cancelled_wait(const char* what) {
    return fail(Errc::Disconnected, std::string("ring: stopped waiting for ") + what + ": the peer is gone");
}

// Waits until `ready()`, `*interrupted`, `*cancelled` or the deadline: first checks for up to `spin` without
// sleeping, then sleeps on the futex of `waiting` (see futex_wake), which holds `sleep_as` meanwhile
// (kWaitingOnFutex, or kWaitingLazily for a wait that quiet publishes leave asleep). A futex, not the
// eventfd: one syscall to sleep and none to re-arm, and on a 2-CPU VM a sleeping thread wakes ~10 us sooner
// than from poll() + read() (docs/memory.md).
template <typename Ready>
Result<void> wait_until(Ready ready, std::atomic<std::uint32_t>& waiting, std::atomic<std::uint64_t>& sleeps,
                        std::chrono::milliseconds timeout, const char* what,
                        std::chrono::nanoseconds spin = std::chrono::nanoseconds(0),
                        std::atomic<bool>* interrupted = nullptr,
                        const std::atomic<bool>* cancelled = nullptr,
                        std::uint32_t sleep_as = detail::kWaitingOnFutex) {
    if (cancelled && cancelled->load(std::memory_order_acquire)) [[unlikely]]
        return cancelled_wait(what);
    if (ready()) return {};
    const auto start = Clock::now();
    if (spin.count() > 0) {
        // kSpinForever (or any budget past the timeout) polls until the deadline and never
        // sleeps; interrupt() and cancel_waits() end it as they end a sleep.
        const auto until = start + std::min<std::chrono::nanoseconds>(spin, timeout);
        const bool yields = spin_yields(spin);
        for (unsigned n = 1;; ++n) {
            if (ready()) return {};
            if (interrupted && interrupted->load(std::memory_order_relaxed) && interrupted->exchange(false))
                return {};
            if (cancelled && cancelled->load(std::memory_order_acquire)) [[unlikely]]
                return cancelled_wait(what);
            if (n % kChecksPerClockRead == 0 && Clock::now() >= until) break;
            if (yields && n % kChecksPerYield == 0) ::sched_yield();
        }
    }
    const auto deadline = start + timeout;
    for (;;) {
        // (Re-)raise the flag, then look: a peer that publishes after the fence sees the flag.
        waiting.store(sleep_as, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (ready()) break;
        if (interrupted && interrupted->exchange(false)) break;
        if (cancelled && cancelled->load(std::memory_order_acquire)) {
            waiting.store(0, std::memory_order_relaxed);
            return cancelled_wait(what);
        }
        const auto left = deadline - Clock::now();
        if (left <= Clock::duration::zero()) {
            waiting.store(0, std::memory_order_relaxed);
            return timed_out(what, timeout);
        }
        const auto secs = std::chrono::duration_cast<std::chrono::seconds>(left);
        const timespec relative{static_cast<time_t>(secs.count()),
                                static_cast<long>(std::chrono::nanoseconds(left - secs).count())};
        count(sleeps);
        if (::syscall(SYS_futex, futex_word(waiting), FUTEX_WAIT, sleep_as, &relative, nullptr, 0) != 0 &&
            errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT) {
            waiting.store(0, std::memory_order_relaxed);
            return detail::fail_errno("ring: futex wait");
        }
    }
    waiting.store(0, std::memory_order_relaxed);
    return {};
}

RingEntry* slots_of(const WritableMapping& mapping) {
    return reinterpret_cast<RingEntry*>(mapping.bytes().data() + detail::kRingSlotsOffset);
}

std::int64_t* stamps_of(const WritableMapping& mapping, std::uint32_t capacity) {
    return reinterpret_cast<std::int64_t*>(mapping.bytes().data() + detail::ring_stamps_offset(capacity));
}

}  // namespace

// ---- RingChannel ----

RingChannel::RingChannel(Region region, UniqueFd data_ready, UniqueFd space_ready, std::uint32_t capacity)
    : region_(std::move(region)),
      data_ready_(std::move(data_ready)),
      space_ready_(std::move(space_ready)),
      capacity_(capacity) {}

Result<RingChannel> RingChannel::create(std::string_view name, std::uint32_t capacity) {
    if (capacity == 0 || capacity > detail::kMaxRingCapacity) {
        return fail(Errc::InvalidArgument, "ring '" + std::string(name) + "': capacity " +
                                               std::to_string(capacity) + " outside 1.." +
                                               std::to_string(detail::kMaxRingCapacity));
    }
    capacity = std::max<std::uint32_t>(2, std::bit_ceil(capacity));
    auto region = Region::create(name, detail::ring_bytes(capacity));
    if (!region) return std::unexpected(region.error());
    {
        auto mapping = WritableMapping::map(*region);
        if (!mapping) return std::unexpected(mapping.error());
        auto* header = new (mapping->bytes().data()) RingHeader{};
        header->magic = detail::kRingMagic;
        header->version = detail::kRingVersion;
        header->capacity = capacity;
        header->entry_size = sizeof(RingEntry);
    }
    UniqueFd data_ready(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    UniqueFd space_ready(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!data_ready || !space_ready) return detail::fail_errno("ring '" + std::string(name) + "': eventfd");
    return RingChannel(std::move(*region), std::move(data_ready), std::move(space_ready), capacity);
}

Result<RingShare> RingChannel::share() const {
    auto memory = region_.share(Access::ReadWrite);
    if (!memory) return std::unexpected(memory.error());
    UniqueFd data_ready(::fcntl(data_ready_.get(), F_DUPFD_CLOEXEC, 0));
    UniqueFd space_ready(::fcntl(space_ready_.get(), F_DUPFD_CLOEXEC, 0));
    if (!data_ready || !space_ready) return detail::fail_errno("ring '" + region_.name() + "': dup eventfd");
    return RingShare{std::move(*memory), std::move(data_ready), std::move(space_ready), region_.size(),
                     region_.id()};
}

// ---- RingEndpoint (both ends) ----

namespace detail {

RingEndpoint::RingEndpoint(WritableMapping mapping, UniqueFd data_ready, UniqueFd space_ready,
                           std::uint32_t capacity)
    : mapping_(std::move(mapping)),
      data_ready_(std::move(data_ready)),
      space_ready_(std::move(space_ready)),
      header_(reinterpret_cast<RingHeader*>(mapping_.bytes().data())),
      slots_(slots_of(mapping_)),
      stamps_(stamps_of(mapping_, capacity)),
      capacity_(capacity) {}

Result<RingEndpoint> RingEndpoint::attach(RingShare share) {
    if (!share.data_ready || !share.space_ready) return fail(Errc::InvalidArgument, "ring: missing eventfd");
    auto region = Region::adopt(std::move(share.memory), share.size, Access::ReadWrite,
                                share.region == kInvalidRegion ? 1 : share.region);
    if (!region) return std::unexpected(region.error());
    if (region->size() < kRingSlotsOffset) return fail(Errc::ProtocolError, "ring: region too small");
    auto mapping = WritableMapping::map(*region);
    if (!mapping) return std::unexpected(mapping.error());
    // Read once and validated: the peer may scribble on the header later.
    const auto* header = reinterpret_cast<const RingHeader*>(mapping->bytes().data());
    const std::uint32_t capacity = header->capacity;
    if (header->magic != kRingMagic || header->version != kRingVersion ||
        header->entry_size != sizeof(RingEntry) || !std::has_single_bit(capacity) || capacity < 2 ||
        capacity > kMaxRingCapacity || ring_bytes(capacity) > mapping->size()) {
        return fail(Errc::ProtocolError,
                    "ring: region " + std::to_string(share.region) +
                        " does not hold a valid ring header (magic/version/entry size/capacity)");
    }
    return RingEndpoint(std::move(*mapping), std::move(share.data_ready), std::move(share.space_ready),
                        capacity);
}

RingSyscalls RingEndpoint::syscalls() const {
    return RingSyscalls{header_->producer_wakes.load(std::memory_order_relaxed),
                        header_->producer_sleeps.load(std::memory_order_relaxed),
                        header_->consumer_wakes.load(std::memory_order_relaxed),
                        header_->consumer_sleeps.load(std::memory_order_relaxed)};
}

}  // namespace detail

// ---- RingProducer ----

Result<RingProducer> RingProducer::attach(RingShare share) {
    auto endpoint = RingEndpoint::attach(std::move(share));
    if (!endpoint) return std::unexpected(endpoint.error());
    return RingProducer(std::move(*endpoint));
}

std::uint32_t RingProducer::size() const {
    return static_cast<std::uint32_t>(header_->head.load(std::memory_order_relaxed) -
                                      header_->tail.load(std::memory_order_acquire));
}

// [[gnu::hot]] marks what every frame runs, so that it shares a few pages with the rest of the
// hand-off's code (docs/memory.md, "Code on the hot path").
[[gnu::hot]] std::size_t RingProducer::try_push(std::span<const RingEntry> entries, Publish publish) {
    const std::uint32_t cap = capacity_;
    const std::uint64_t head = header_->head.load(std::memory_order_relaxed);
    const std::uint64_t used = head - header_->tail.load(std::memory_order_acquire);
    if (used > cap) return 0;  // the consumer's index is corrupt: publish nothing
    const std::size_t n = std::min<std::size_t>(entries.size(), cap - used);
    if (n == 0) return 0;
    const std::int64_t now = Clock::now().time_since_epoch().count();
    for (std::size_t i = 0; i < n; ++i) {
        slots_[(head + i) & (cap - 1)] = entries[i];
        stamps_[(head + i) & (cap - 1)] = now;
    }
    header_->head.store(head + n, std::memory_order_release);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    wake_peer(header_->consumer_waiting, data_ready_.get(), header_->producer_wakes,
              publish == Publish::Quietly);
    return n;
}

std::uint64_t RingProducer::next_position() const {
    return header_->head.load(std::memory_order_relaxed);
}

RingProducer::Retracted RingProducer::retract() {
    const std::uint64_t head = header_->head.load(std::memory_order_relaxed);
    std::uint64_t tail = header_->tail.load(std::memory_order_acquire);
    for (;;) {
        if (head - tail > capacity_ || tail == head) return Retracted{head, 0};  // corrupt or empty
        // Moving the consumer's index to head claims the rest, exactly like a pop would.
        if (header_->tail.compare_exchange_strong(tail, head, std::memory_order_acq_rel,
                                                  std::memory_order_acquire))
            return Retracted{tail, static_cast<std::uint32_t>(head - tail)};
    }
}

// A producer sleeps on its futex (wait_for_space) or on space_fd (sleep_until_signalled, event
// loops): the flag is set before both wake-ups, so a wait that starts after them sees it.
void RingProducer::cancel_waits() {
    cancelled_->store(true, std::memory_order_seq_cst);
    futex_wake(header_->producer_waiting, header_->producer_wakes);
    signal(space_ready_.get(), header_->producer_wakes);
}

Result<void> RingProducer::wait_for_space(std::chrono::milliseconds timeout) {
    const auto cap = capacity_;
    bool corrupt = false;
    auto ready = [&] {
        const std::uint64_t used =
            header_->head.load(std::memory_order_relaxed) - header_->tail.load(std::memory_order_acquire);
        corrupt = used > cap;
        return corrupt || used < cap;
    };
    auto ok = wait_until(ready, header_->producer_waiting, header_->producer_sleeps, timeout, "free slot",
                         spin_, nullptr, cancelled_.get());
    if (ok && corrupt) return fail(Errc::ProtocolError, "ring: the consumer's index is corrupt");
    return ok;
}

bool RingProducer::arm_wait() {
    header_->producer_waiting.store(detail::kWaitingOnEventfd, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return size() >= capacity_;
}

void RingProducer::disarm_wait() {
    header_->producer_waiting.store(0, std::memory_order_relaxed);
}

Result<void> RingProducer::sleep_until_signalled(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (waits_cancelled()) return cancelled_wait("a wake-up");
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        pollfd pfd{space_ready_.get(), POLLIN, 0};
        count(header_->producer_sleeps);
        const int rc = ::poll(&pfd, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0) return detail::fail_errno("ring: poll");
        if (rc == 0)
            return fail(Errc::Timeout, "ring: no wake-up within " + std::to_string(timeout.count()) + " ms");
        std::uint64_t value = 0;
        count(header_->producer_sleeps);
        [[maybe_unused]] const auto n = ::read(space_ready_.get(), &value, sizeof value);  // drain
        if (waits_cancelled()) return cancelled_wait("a wake-up");
        return {};
    }
}

[[gnu::hot]] Result<void> RingProducer::push(const RingEntry& entry, std::chrono::milliseconds timeout,
                                             Publish publish) {
    if (try_push(entry, publish)) return {};
    if (auto ok = wait_for_space(timeout); !ok) return ok;
    // One producer: only the consumer's tail moves meanwhile, and only forward, unless the
    // consumer (another process) wrote a bad index.
    if (!try_push(entry, publish)) return fail(Errc::ProtocolError, "ring: the consumer's index is corrupt");
    return {};
}

// ---- RingConsumer ----

Result<RingConsumer> RingConsumer::attach(RingShare share) {
    auto endpoint = RingEndpoint::attach(std::move(share));
    if (!endpoint) return std::unexpected(endpoint.error());
    return RingConsumer(std::move(*endpoint));
}

void RingConsumer::interrupt() {
    interrupted_->store(true);
    futex_wake(header_->consumer_waiting, header_->consumer_wakes);
}

void RingConsumer::cancel_waits() {
    cancelled_->store(true, std::memory_order_seq_cst);
    futex_wake(header_->consumer_waiting, header_->consumer_wakes);
    signal(data_ready_.get(), header_->consumer_wakes);
}

void RingConsumer::notify_producer() {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    wake_peer(header_->producer_waiting, space_ready_.get(), header_->consumer_wakes);
}

std::uint32_t RingConsumer::size() const {
    return static_cast<std::uint32_t>(header_->head.load(std::memory_order_acquire) -
                                      header_->tail.load(std::memory_order_relaxed));
}

[[gnu::hot]] std::size_t RingConsumer::try_pop(std::span<RingEntry> out, std::span<PublishTime> published) {
    const std::uint32_t cap = capacity_;
    std::uint64_t tail = header_->tail.load(std::memory_order_acquire);
    std::size_t n = 0;
    for (;;) {
        const std::uint64_t available = header_->head.load(std::memory_order_acquire) - tail;
        if (available > cap) {
            corrupted_->store(true, std::memory_order_relaxed);
            return 0;
        }
        n = std::min<std::size_t>(out.size(), available);
        if (n == 0) return 0;
        for (std::size_t i = 0; i < n; ++i) out[i] = slots_[(tail + i) & (cap - 1)];
        for (std::size_t i = 0; i < std::min(n, published.size()); ++i)
            published[i] = PublishTime(Clock::duration(stamps_[(tail + i) & (cap - 1)]));
        // The claim: fails only if the producer retracted meanwhile (then the copies above may
        // be stale and are discarded; `tail` is reloaded).
        if (header_->tail.compare_exchange_strong(tail, tail + n, std::memory_order_acq_rel,
                                                  std::memory_order_acquire))
            break;
    }
    std::atomic_thread_fence(std::memory_order_seq_cst);
    wake_peer(header_->producer_waiting, space_ready_.get(), header_->consumer_wakes);
    return n;
}

std::optional<RingEntry> RingConsumer::try_pop() {
    RingEntry entry;
    if (try_pop(std::span(&entry, 1)) == 0) return std::nullopt;
    return entry;
}

[[gnu::hot]] Result<void> RingConsumer::wait_for_data(std::chrono::milliseconds timeout, Wait wait) {
    bool corrupt = false;
    auto ready = [&] {
        const std::uint64_t available =
            header_->head.load(std::memory_order_acquire) - header_->tail.load(std::memory_order_relaxed);
        corrupt = available > capacity_;
        return available != 0;
    };
    auto ok = wait_until(ready, header_->consumer_waiting, header_->consumer_sleeps, timeout, "data", spin_,
                         interrupted_.get(), cancelled_.get(),
                         wait == Wait::Lazily ? detail::kWaitingLazily : detail::kWaitingOnFutex);
    if (ok && corrupt) {
        corrupted_->store(true, std::memory_order_relaxed);
        return fail(Errc::ProtocolError, "ring: the producer's index is corrupt");
    }
    return ok;
}

bool RingConsumer::arm_wait() {
    header_->consumer_waiting.store(detail::kWaitingOnEventfd, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return size() == 0;
}

void RingConsumer::disarm_wait() {
    header_->consumer_waiting.store(0, std::memory_order_relaxed);
}

[[gnu::hot]] Result<RingEntry> RingConsumer::pop(std::chrono::milliseconds timeout, PublishTime* published) {
    RingEntry entry;
    auto take = [&] { return try_pop(std::span(&entry, 1), std::span(published, published ? 1 : 0)) == 1; };
    if (take()) return entry;
    if (auto ok = wait_for_data(timeout); !ok) return std::unexpected(ok.error());
    if (take()) return entry;
    return fail(corrupted() ? Errc::ProtocolError : Errc::Internal, "ring: data reported but the pop failed");
}

}  // namespace ksim::shm
