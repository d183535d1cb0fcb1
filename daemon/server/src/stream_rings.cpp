#include "stream_rings.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <stop_token>

#include "logging.hpp"

namespace ksim::daemon::server {

// One stream's rings and the views the daemon uses. The kernel holds it (as the pin's
// DeliveryTarget) and so does the drain thread, so it lives until both let go.
class StreamRings::Rings final : public DeliveryTarget {
public:
    std::optional<shm::RingChannel> to_client_channel;
    std::optional<shm::RingProducer> to_client;
    std::mutex push_mutex;  // streaming threads of several sources may deliver to one pin
    std::optional<shm::RingChannel> to_daemon_channel;
    std::optional<shm::RingConsumer> to_daemon;

    // Every frame to a client passes here (hot: docs/memory.md, "Code on the hot path").
    [[gnu::hot]] bool try_deliver(const shm::FrameDescriptor& frame,
                                  const proto::StreamHeader& header) override {
        if (!to_client) return false;
        const shm::RingEntry entry = shm::to_ring_entry(frame, header);
        std::lock_guard lock(push_mutex);
        return to_client->try_push(entry);
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

// Drains a to_daemon ring: a sink client releases frames, a source client submits them. The
// thread sleeps in the ring's blocking wait (a futex: the cheapest wake-up, which is this leg of
// every user-mode frame's trip) until the client publishes or stop is requested: the
// stop_callback interrupts the wait, so an idle stream costs no wake-ups and a close joins at once.
void drain_loop(std::stop_token stop, Kernel* kernel, ClientId client, PinKey pin,
                proto::PinDirection direction, std::uint32_t frame_size,
                std::shared_ptr<StreamRings::Rings> rings) {
    auto log = logger("stream");
    describe_drain_thread(direction);
    shm::RingConsumer& ring = *rings->to_daemon;
    // Runs in the thread that requests stop (jthread's destructor): a flag and a futex wake.
    const std::stop_callback wake(stop, [&ring] { ring.interrupt(); });
    while (!stop.stop_requested()) {
        if (auto waited = ring.wait_for_data(kIdleWait); !waited) {
            if (waited.error().code == Errc::Timeout) continue;
            log->warn("client {} {}: waiting on the ring to daemon failed: {}", client,
                      loggable(pin.to_string()), waited.error().message);
            return;
        }
        std::array<shm::RingEntry, 32> batch{};
        std::size_t n = ring.try_pop(batch);
        if (ring.corrupted()) {
            log->warn("client {} {}: ring to daemon corrupted; ignoring it from now on", client,
                      loggable(pin.to_string()));
            return;
        }
        for (std::size_t i = 0; i < n && kernel != nullptr; ++i) {
            const auto& e = batch[i];
            Result<void> r;
            if (direction == proto::PinDirection::In)
                r = kernel->release_frame(client, e.frame);
            else
                r = kernel->submit_frame(client, pin, e.frame, shm::to_stream_header(e, frame_size));
            if (!r)
                log_limited("stream", spdlog::level::debug, "ring refused client " + std::to_string(client),
                            "client {} {}: frame {}/{} refused: {}", client, loggable(pin.to_string()),
                            e.frame.region, e.frame.index,
                            loggable(r.error().message, kLoggableMessageBytes));
        }
    }
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

Result<StreamRings::Opened> StreamRings::open(ClientId client, const PinKey& pin,
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

    auto stream = std::make_shared<Stream>();
    stream->rings = rings;
    stream->drain = std::jthread(drain_loop, kernel_, client, pin, direction, frame_size, rings);
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

StreamRings::Push StreamRings::push(ClientId client, const PinKey& pin, const shm::FrameDescriptor& frame,
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
