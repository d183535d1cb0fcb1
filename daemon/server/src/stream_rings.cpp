#include "stream_rings.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <stop_token>

#include "lazy_release.hpp"
#include "logging.hpp"

namespace ksim::daemon::server {
namespace {

std::int64_t now_ns() {
    return std::chrono::steady_clock::now().time_since_epoch().count();
}

}  // namespace

// One stream's rings and the views the daemon uses. The kernel holds it (as the pin's
// DeliveryTarget) and so does the drain thread, so it lives until both let go.
class StreamRings::Rings final : public DeliveryTarget {
public:
    // The stream's identity, for handing what its to_daemon ring carries to the kernel. Set
    // once, before the rings are attached anywhere.
    Kernel* kernel = nullptr;
    ClientId client = 0;
    PinRef pin;
    proto::PinDirection direction = proto::PinDirection::In;
    std::uint32_t frame_size = 0;
    bool busy_poll = false;  // a source stream's drain polls (StreamRings::set_busy_poll_drain)
    // Counts that drain thread while it runs (StreamRings::busy_poll_drains); outlives the thread.
    std::atomic<std::uint64_t>* polling_drains = nullptr;

    std::optional<shm::RingChannel> to_client_channel;
    std::optional<shm::RingProducer> to_client;
    std::mutex push_mutex;  // streaming threads of several sources may deliver to one pin
    std::optional<shm::RingChannel> to_daemon_channel;
    std::optional<shm::RingConsumer> to_daemon;
    // The drain thread and take_releases() take turns at consuming to_daemon.
    std::mutex consume_mutex;

    // What the lazy release of a sink stream decides with (lazy_release.hpp): frames put on
    // to_client and frames taken back, the last delivery and the interval before it (steady
    // clock ns), and when the drain thread's sleep ends (0 while it runs).
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> taken{0};
    std::atomic<std::int64_t> last_delivery{0};
    std::atomic<std::int64_t> interval{0};
    std::atomic<std::int64_t> look_at{0};
    // Streaming threads that take this sink's releases on each of their ticks (ticks_started).
    // While one does, the drain thread sleeps until woken: no timed wake-up per frame.
    std::atomic<int> tickers{0};
    // Set (under consume_mutex) by the drain thread's last pass: nothing is taken after it.
    bool closed = false;

    // Every frame to a client passes here (hot: docs/memory.md, "Code on the hot path").
    [[gnu::hot]] bool try_deliver(const shm::FrameDescriptor& frame,
                                  const proto::StreamHeader& header) override {
        if (!to_client) return false;
        const shm::RingEntry entry = shm::to_ring_entry(frame, header);
        std::lock_guard lock(push_mutex);
        // Counted before the push: the client can give the frame back only after it.
        delivered.fetch_add(1, std::memory_order_seq_cst);
        if (!to_client->try_push(entry)) {
            delivered.fetch_sub(1, std::memory_order_relaxed);
            return false;
        }
        const std::int64_t now = now_ns();
        const std::int64_t last = last_delivery.exchange(now, std::memory_order_relaxed);
        if (last > 0) interval.store(now - last, std::memory_order_relaxed);
        // Seq_cst against the drain thread's store of look_at and its re-read of `delivered`:
        // either it sees this delivery before it sleeps, or this sees how long it sleeps. A
        // ticking source takes the releases itself (after_delivery): no wake-up.
        if (tickers.load(std::memory_order_relaxed) == 0 &&
            needs_wake(now, look_at.load(std::memory_order_seq_cst)) && to_daemon)
            to_daemon->interrupt();
        return true;
    }
    void after_delivery() override;
    void ticks_started() override { tickers.fetch_add(1, std::memory_order_seq_cst); }
    void ticks_ended() override {
        // Back to the drain thread's own schedule: wake it so that it arms its timer (the one
        // timed wake-up that takes the releases of the stream's last frames).
        if (tickers.fetch_sub(1, std::memory_order_seq_cst) == 1 && to_daemon) to_daemon->interrupt();
    }
    void frame_freed() override {
        // Only reads the producer's flag and wakes it (futex or eventfd): safe beside the drain thread.
        if (to_daemon) to_daemon->notify_producer();
    }

    // The free_frames ring. Only the kernel touches it, always under its lock. `posted` is our
    // own record of what went in, by ring position: a retraction trusts it, not the shared slots.
    std::optional<shm::RingChannel> free_channel;
    std::optional<shm::RingProducer> free_frames;
    std::vector<shm::FrameHandle> posted;  // capacity entries, indexed by position & (capacity - 1)
    std::uint32_t free_depth = 0;

    std::uint32_t free_frame_room() override {
        if (!free_frames) return 0;
        const std::uint32_t in_ring = std::min(free_frames->size(), free_depth);  // the client may scribble
        return free_depth - in_ring;
    }
    bool post_free_frame(const shm::FrameDescriptor& frame) override {
        if (!free_frames) return false;
        const std::uint64_t position = free_frames->next_position();
        posted[position & (posted.size() - 1)] = frame;
        return free_frames->try_push(shm::RingEntry{.frame = frame});
    }
    std::vector<shm::FrameDescriptor> retract_free_frames() override {
        std::vector<shm::FrameDescriptor> back;
        if (!free_frames) return back;
        const auto retracted = free_frames->retract();
        for (std::uint32_t i = 0; i < retracted.count; ++i)
            back.push_back(posted[(retracted.first + i) & (posted.size() - 1)]);
        return back;
    }
};

namespace {

// Takes what the client put on its to_daemon ring and hands it to the kernel: releases of a
// sink stream, submissions of a source stream. Returns how many entries it took; false in
// `usable` once the ring is corrupt.
// The rings this thread is taking entries of, innermost first. Taking hands frames to the
// kernel, which may deliver again (a submission goes downstream; a release refills a source),
// and that delivery's after_delivery must not lock a consume_mutex this thread holds already:
// the loop holding it takes what it would have.
struct Taking {
    const StreamRings::Rings* rings;
    const Taking* outer;
};
thread_local const Taking* t_taking = nullptr;

bool taking(const StreamRings::Rings* rings) {
    for (const Taking* t = t_taking; t != nullptr; t = t->outer)
        if (t->rings == rings) return true;
    return false;
}

// Only the caller that holds rings.consume_mutex.
std::size_t take_locked(StreamRings::Rings& rings, bool& usable) {
    if (rings.closed) return 0;
    Kernel* const kernel = rings.kernel;
    const ClientId client = rings.client;
    const PinRef& pin = rings.pin;
    const proto::PinDirection direction = rings.direction;
    const std::uint32_t frame_size = rings.frame_size;
    const Taking self{&rings, t_taking};
    t_taking = &self;
    struct Done {
        const Taking* outer;
        ~Done() { t_taking = outer; }
    } done{self.outer};
    shm::RingConsumer& ring = *rings.to_daemon;
    std::size_t total = 0;
    for (;;) {
        std::array<shm::RingEntry, 32> batch{};
        std::array<shm::PublishTime, 32> published{};  // a release's: when the client released it
        const std::size_t n = ring.try_pop(batch, published);
        if (ring.corrupted()) {
            usable = false;
            return total;
        }
        if (n == 0) return total;
        total += n;
        rings.taken.fetch_add(n, std::memory_order_relaxed);
        for (std::size_t i = 0; i < n && kernel != nullptr; ++i) {
            const auto& e = batch[i];
            Result<void> r;
            if (direction == proto::PinDirection::In) {
                const shm::ReleaseStamps stamps = shm::release_stamps(e);
                auto ticks = [](shm::PublishTime t) {
                    return t == shm::PublishTime{} ? Ticks{0} : to_ticks(t);
                };
                r = kernel->release_frame(
                    client, e.frame,
                    ReleaseTimes{ticks(stamps.published), ticks(stamps.taken), ticks(published[i])});
            } else
                r = kernel->submit_frame(client, pin, e.frame, shm::to_stream_header(e, frame_size));
            if (!r)
                log_limited("stream", spdlog::level::debug, "ring refused client " + std::to_string(client),
                            "client {} {}: frame {}/{} refused: {}", client, loggable(pin.to_string()),
                            e.frame.region, e.frame.index,
                            loggable(r.error().message, kLoggableMessageBytes));
        }
    }
}

std::size_t take_entries(StreamRings::Rings& rings, bool& usable) {
    std::lock_guard lock(rings.consume_mutex);
    return take_locked(rings, usable);
}

}  // namespace

void StreamRings::Rings::after_delivery() {
    // The thread that delivered, the kernel lock released. Never waits: if the drain thread or
    // take_releases is taking now, they take these releases too.
    if (direction != proto::PinDirection::In || !to_daemon || taking(this) || to_daemon->size() == 0) return;
    std::unique_lock lock(consume_mutex, std::try_to_lock);
    if (!lock) return;
    bool usable = true;  // a corrupt ring: the drain thread reports it and stops
    (void)take_locked(*this, usable);
}

struct StreamRings::Stream {
    std::shared_ptr<Rings> rings;
    std::jthread drain;  // declared last: joined first, while `rings` is still alive
};

namespace {

// How long one wait lasts before the loop looks again; only a bound, never the way stop is
// noticed (interrupt() does that at once).
constexpr std::chrono::hours kIdleWait{1};

// Names the calling drain thread after its job (top, perf and gdb show it) and, for a sink
// stream, makes it SCHED_BATCH. A sink client's ring carries frames it gives back; a normal
// thread woken by that release preempts the client on the spot (the scheduler puts it on the
// client's CPU), so every release cost the client two context switches - tens of microseconds
// on a 2-vCPU VM - for work nobody waits for: the pool has other frames. A batch thread never
// preempts on wake-up; it runs when the client sleeps or another CPU is free. A source client's
// ring carries submitted frames, which are on their way downstream: that thread stays normal.
void describe_drain_thread(proto::PinDirection direction) {
    const bool releases = direction == proto::PinDirection::In;
    ::pthread_setname_np(::pthread_self(), releases ? kReleaseThreadName : kSubmitThreadName);
    if (!releases) return;
    const sched_param batch{};  // priority 0: the only one SCHED_BATCH has
    if (const int err = ::pthread_setschedparam(::pthread_self(), SCHED_BATCH, &batch); err != 0)
        logger("stream")->debug("drain thread stays SCHED_OTHER: {}", std::strerror(err));
}

// How long the drain thread of a sink stream sleeps, as a wait timeout, or 0 when a delivery
// raced the decision and it should look again first. Stores when it will look (look_at) before
// re-reading `delivered`: see Rings::try_deliver.
std::chrono::milliseconds release_sleep(StreamRings::Rings& rings) {
    // A streaming thread takes the releases on its ticks; ticks_ended wakes this thread.
    if (rings.tickers.load(std::memory_order_seq_cst) > 0) return kIdleWait;
    const std::int64_t now = now_ns();
    const std::uint64_t delivered = rings.delivered.load(std::memory_order_seq_cst);
    const auto outstanding =
        static_cast<std::int64_t>(delivered - rings.taken.load(std::memory_order_relaxed));
    const std::int64_t at = next_look(now, outstanding, rings.last_delivery.load(std::memory_order_relaxed),
                                      rings.interval.load(std::memory_order_relaxed));
    rings.look_at.store(at, std::memory_order_seq_cst);
    if (rings.delivered.load(std::memory_order_seq_cst) != delivered) return std::chrono::milliseconds(0);
    if (at == kNoDeadline) return kIdleWait;
    return std::chrono::ceil<std::chrono::milliseconds>(std::chrono::nanoseconds(at - now));
}

// One more in `count` (if any) for the lifetime of this object: a thread counting itself.
class RunningCount {
public:
    explicit RunningCount(std::atomic<std::uint64_t>* count) : count_(count) {
        if (count_) count_->fetch_add(1, std::memory_order_relaxed);
    }
    ~RunningCount() {
        if (count_) count_->fetch_sub(1, std::memory_order_relaxed);
    }
    RunningCount(const RunningCount&) = delete;
    RunningCount& operator=(const RunningCount&) = delete;

private:
    std::atomic<std::uint64_t>* count_;
};

// Drains a to_daemon ring: a sink client releases frames, a source client submits them. The
// thread sleeps in the ring's blocking wait (a futex) until stop is requested (the
// stop_callback interrupts the wait, so a close joins at once) or:
//   - a source stream: the client publishes (each submission wakes it: this leg is on every
//     user-mode frame's trip downstream);
//   - a sink stream: the lazy-release schedule (lazy_release.hpp) says so. It waits lazily:
//     the client's releases are published quietly and do not wake it, but the one that fills
//     half the pool does, and so does a delivery to a drain asleep for too long.
// Its last pass, after stop, takes what is left, so a closed stream leaves nothing unreleased.
// A busy-polling source stream polls instead of sleeping (the ring's spin budget) until
// kBusyPollIdle has passed since the last submission, then sleeps as any other until the next
// one; the stop_callback's interrupt ends a poll as it ends a sleep.
void drain_loop(std::stop_token stop, std::shared_ptr<StreamRings::Rings> rings) {
    auto log = logger("stream");
    describe_drain_thread(rings->direction);
    const bool releases = rings->direction == proto::PinDirection::In;
    shm::RingConsumer& ring = *rings->to_daemon;
    // Runs in the thread that requests stop (jthread's destructor): a flag and a futex wake.
    const std::stop_callback wake(stop, [&ring] { ring.interrupt(); });
    bool usable = true;
    const bool polls = rings->busy_poll && !releases;
    const RunningCount counted(polls ? rings->polling_drains : nullptr);
    auto last_taken = std::chrono::steady_clock::now();
    auto take = [&] {
        if (take_entries(*rings, usable) > 0 && polls) last_taken = std::chrono::steady_clock::now();
        if (!usable)
            log->warn("client {} {}: ring to daemon corrupted; ignoring it from now on", rings->client,
                      loggable(rings->pin.to_string()));
        return usable;
    };
    while (!stop.stop_requested()) {
        const auto sleep = releases ? release_sleep(*rings) : kIdleWait;
        if (polls) {
            const auto idle = std::chrono::steady_clock::now() - last_taken;
            ring.set_spin_budget(idle < kBusyPollIdle ? kBusyPollIdle - idle : std::chrono::nanoseconds(0));
        }
        if (sleep.count() > 0) {
            auto waited = ring.wait_for_data(sleep, releases ? shm::Wait::Lazily : shm::Wait::UntilData);
            rings->look_at.store(0, std::memory_order_relaxed);  // running: a delivery needs no wake-up
            if (!waited && waited.error().code != Errc::Timeout) {
                log->warn("client {} {}: waiting on the ring to daemon failed: {}", rings->client,
                          loggable(rings->pin.to_string()), waited.error().message);
                return;
            }
        }
        if (!take()) return;
    }
    std::lock_guard lock(rings->consume_mutex);
    (void)take_locked(*rings, usable);
    rings->closed = true;  // a streaming thread's after_delivery takes nothing from now on
}

struct RingPair {
    shm::RingChannel channel;
    shm::RingShare ours;
    shm::RingShare theirs;
};

Result<RingPair> make_ring(const std::string& name, std::uint32_t capacity) {
    auto channel = shm::RingChannel::create(name, capacity);
    if (!channel) return std::unexpected(channel.error());
    auto ours = channel->share();
    if (!ours) return std::unexpected(ours.error());
    auto theirs = channel->share();
    if (!theirs) return std::unexpected(theirs.error());
    return RingPair{std::move(*channel), std::move(*ours), std::move(*theirs)};
}

}  // namespace

StreamRings::~StreamRings() {
    close_all();
}

Result<StreamRings::Opened> StreamRings::open(ClientId client, const PinRef& pin,
                                              proto::PinDirection direction, std::uint32_t capacity,
                                              std::uint32_t frame_size, std::uint32_t free_depth) {
    auto rings = std::make_shared<Rings>();
    Opened opened;
    const std::string base = "ksim-c" + std::to_string(client) + "-" + pin.to_string();

    if (direction == proto::PinDirection::In) {
        auto ring = make_ring(base + "-to-client", capacity);
        if (!ring) return std::unexpected(ring.error());
        auto producer = shm::RingProducer::attach(std::move(ring->ours));
        if (!producer) return std::unexpected(producer.error());
        rings->to_client.emplace(std::move(*producer));
        opened.shares.push_back(
            Share{wire::RingDirection::ToClient, std::move(ring->theirs), ring->channel.capacity()});
        rings->to_client_channel.emplace(std::move(ring->channel));
    }
    if (direction == proto::PinDirection::Out && free_depth > 0) {
        auto ring = make_ring(base + "-free", free_depth);
        if (!ring) return std::unexpected(ring.error());
        auto producer = shm::RingProducer::attach(std::move(ring->ours));
        if (!producer) return std::unexpected(producer.error());
        rings->free_frames.emplace(std::move(*producer));
        rings->posted.resize(ring->channel.capacity());
        rings->free_depth = free_depth;
        opened.shares.push_back(
            Share{wire::RingDirection::FreeFrames, std::move(ring->theirs), ring->channel.capacity()});
        rings->free_channel.emplace(std::move(ring->channel));
    }
    auto ring = make_ring(base + "-to-daemon", capacity);
    if (!ring) return std::unexpected(ring.error());
    auto consumer = shm::RingConsumer::attach(std::move(ring->ours));
    if (!consumer) return std::unexpected(consumer.error());
    rings->to_daemon.emplace(std::move(*consumer));
    opened.shares.push_back(
        Share{wire::RingDirection::ToDaemon, std::move(ring->theirs), ring->channel.capacity()});
    rings->to_daemon_channel.emplace(std::move(ring->channel));

    rings->kernel = kernel_;
    rings->client = client;
    rings->pin = pin;
    rings->direction = direction;
    rings->frame_size = frame_size;
    rings->busy_poll = busy_poll_drain_;
    rings->polling_drains = &busy_poll_drains_;
    auto stream = std::make_shared<Stream>();
    stream->rings = rings;
    stream->drain = std::jthread(drain_loop, rings);
    opened.target = std::move(rings);

    std::shared_ptr<Stream> previous;
    {
        std::lock_guard lock(mutex_);
        auto& slot = streams_[Key{client, pin}];
        previous = std::move(slot);
        slot = std::move(stream);
    }
    // `previous` (if any) joins its drain thread here, outside the lock.
    return opened;
}

StreamRings::Push StreamRings::push(ClientId client, const PinRef& pin, const shm::FrameDescriptor& frame,
                                    const proto::StreamHeader& header) {
    std::shared_ptr<Rings> rings;
    {
        std::lock_guard lock(mutex_);
        auto it = streams_.find(Key{client, pin});
        if (it == streams_.end() || !it->second->rings->to_client) return Push::NoRing;
        rings = it->second->rings;
    }
    return rings->try_deliver(frame, header) ? Push::Delivered : Push::Full;
}

void StreamRings::take_releases() {
    std::vector<std::shared_ptr<Stream>> sinks;
    {
        std::lock_guard lock(mutex_);
        // Every sink stream, not only those with entries on the ring: the drain thread may have
        // popped the client's releases and still be handing them to the kernel. take_entries
        // waits for it (consume_mutex), so the answer that follows sees them.
        for (const auto& [key, stream] : streams_)
            if (stream->rings->direction == proto::PinDirection::In) sinks.push_back(stream);
    }
    for (const auto& s : sinks) {
        bool usable = true;  // a corrupt ring: its drain thread reports it and stops
        (void)take_entries(*s->rings, usable);
    }
}

void StreamRings::client_connected(ClientId client) {
    std::lock_guard lock(mutex_);
    live_clients_.insert(client);
}

bool StreamRings::client_live(ClientId client) const {
    std::lock_guard lock(mutex_);
    return live_clients_.contains(client);
}

void StreamRings::close_client(ClientId client) {
    std::vector<std::shared_ptr<Stream>> closing;
    {
        std::lock_guard lock(mutex_);
        live_clients_.erase(client);
        for (auto it = streams_.begin(); it != streams_.end();) {
            if (it->first.first == client) {
                closing.push_back(std::move(it->second));
                it = streams_.erase(it);
            } else {
                ++it;
            }
        }
    }
    // Destroying the streams joins their drain threads (jthread requests stop first). The
    // kernel may still hold the rings as the pin's target until client_gone; frames pushed
    // there meanwhile are held by the client and reclaimed with the rest.
}

void StreamRings::close_all() {
    std::map<Key, std::shared_ptr<Stream>> closing;
    {
        std::lock_guard lock(mutex_);
        closing.swap(streams_);
        live_clients_.clear();
    }
}

}  // namespace ksim::daemon::server
