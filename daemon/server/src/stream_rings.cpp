#include "stream_rings.hpp"

#include <array>
#include <chrono>

#include "logging.hpp"

namespace ksim::daemon::server {

struct StreamRings::Stream {
    ClientId client = 0;
    PinKey pin;
    proto::PinDirection direction = proto::PinDirection::In;
    std::uint32_t frame_size = 0;
    std::optional<shm::RingChannel> to_client_channel;
    std::optional<shm::RingProducer> to_client;
    std::mutex push_mutex;  // streaming threads of several sources may deliver to one pin
    std::optional<shm::RingChannel> to_daemon_channel;
    std::optional<shm::RingConsumer> to_daemon;
    std::jthread drain;
};

namespace {

// Drains a to_daemon ring: a sink client releases frames, a source client submits them.
void drain_loop(std::stop_token stop, Kernel* kernel, ClientId client, PinKey pin,
                proto::PinDirection direction, std::uint32_t frame_size, shm::RingConsumer* ring) {
    auto log = logger("stream");
    while (!stop.stop_requested()) {
        auto waited = ring->wait_for_data(std::chrono::milliseconds(50));
        if (!waited) {
            if (waited.error().code == Errc::Timeout) continue;
            log->warn("client {} {}: ring to daemon failed: {}", client, pin.to_string(), waited.error().message);
            return;
        }
        std::array<shm::RingEntry, 32> batch{};
        std::size_t n = ring->try_pop(batch);
        if (ring->corrupted()) {
            log->warn("client {} {}: ring to daemon corrupted; ignoring it from now on", client, pin.to_string());
            return;
        }
        for (std::size_t i = 0; i < n && kernel != nullptr; ++i) {
            const auto& e = batch[i];
            Result<void> r;
            if (direction == proto::PinDirection::In) {
                r = kernel->release_frame(client, e.frame);
            } else {
                proto::StreamHeader h;
                h.frame_extent = frame_size;
                h.data_used = e.data_used;
                h.options_flags = proto::StreamHeaderOptions{e.options_flags};
                h.presentation_time.time = e.presentation_time;
                r = kernel->submit_frame(client, pin, e.frame, h);
            }
            if (!r) log->debug("client {} {}: frame {}/{} refused: {}", client, pin.to_string(), e.frame.region,
                               e.frame.index, r.error().message);
        }
    }
}

}  // namespace

StreamRings::~StreamRings() { close_all(); }

Result<std::vector<StreamRings::Share>> StreamRings::open(ClientId client, const PinKey& pin,
                                                           proto::PinDirection direction, std::uint32_t capacity,
                                                           std::uint32_t frame_size) {
    auto stream = std::make_shared<Stream>();
    stream->client = client;
    stream->pin = pin;
    stream->direction = direction;
    stream->frame_size = frame_size;
    std::vector<Share> shares;
    std::string base = "ksim-c" + std::to_string(client) + "-" + pin.to_string();

    if (direction == proto::PinDirection::In) {
        auto channel = shm::RingChannel::create(base + "-to-client", capacity);
        if (!channel) return std::unexpected(channel.error());
        auto ours = channel->share();
        auto theirs = channel->share();
        if (!ours) return std::unexpected(ours.error());
        if (!theirs) return std::unexpected(theirs.error());
        auto producer = shm::RingProducer::attach(std::move(*ours));
        if (!producer) return std::unexpected(producer.error());
        stream->to_client.emplace(std::move(*producer));
        shares.push_back(Share{wire::RingDirection::ToClient, std::move(*theirs), channel->capacity()});
        stream->to_client_channel.emplace(std::move(*channel));
    }
    auto channel = shm::RingChannel::create(base + "-to-daemon", capacity);
    if (!channel) return std::unexpected(channel.error());
    auto ours = channel->share();
    auto theirs = channel->share();
    if (!ours) return std::unexpected(ours.error());
    if (!theirs) return std::unexpected(theirs.error());
    auto consumer = shm::RingConsumer::attach(std::move(*ours));
    if (!consumer) return std::unexpected(consumer.error());
    stream->to_daemon.emplace(std::move(*consumer));
    shares.push_back(Share{wire::RingDirection::ToDaemon, std::move(*theirs), channel->capacity()});
    stream->to_daemon_channel.emplace(std::move(*channel));

    stream->drain = std::jthread(drain_loop, kernel_, client, pin, direction, frame_size, &*stream->to_daemon);

    std::shared_ptr<Stream> previous;
    {
        std::lock_guard lock(mutex_);
        auto& slot = streams_[Key{client, pin}];
        previous = std::move(slot);
        slot = std::move(stream);
    }
    // `previous` (if any) joins its drain thread here, outside the lock.
    return shares;
}

StreamRings::Push StreamRings::push(ClientId client, const PinKey& pin, const shm::FrameDescriptor& frame,
                                    const proto::StreamHeader& header) {
    std::shared_ptr<Stream> stream;
    {
        std::lock_guard lock(mutex_);
        auto it = streams_.find(Key{client, pin});
        if (it == streams_.end() || !it->second->to_client) return Push::NoRing;
        stream = it->second;
    }
    shm::RingEntry entry{frame, header.data_used, proto::to_underlying(header.options_flags),
                         header.presentation_time.time};
    std::lock_guard lock(stream->push_mutex);
    return stream->to_client->try_push(entry) ? Push::Delivered : Push::Full;
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
    // Destroying the streams joins their drain threads (jthread requests stop first).
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
