// A shared-memory descriptor ring written by a hostile peer: the input overwrites the ring's
// header (all but the magic and version) and its slots, as the other process could at any time;
// then a fresh producer and consumer attach (header validation) and push and pop. Attach may
// refuse, pop may report corrupted(); nothing may read or write outside the mapping.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "ksim/shm/ring.hpp"

namespace {

using namespace ksim::shm;

// Where the peer's writes start: the magic (8 bytes) and version (4) stay, so inputs reach the
// index and slot checks instead of all failing the magic.
constexpr std::size_t kFirstHostileByte = 12;

struct Ring {
    RingChannel channel;
    WritableMapping peer_view;  // the hostile peer's mapping of the same memory
};

Ring& ring() {
    static Ring* r = [] {
        auto channel = RingChannel::create("ksim-fuzz-ring", 8);
        if (!channel) std::abort();
        auto view = WritableMapping::map(channel->region());
        if (!view) std::abort();
        return new Ring{std::move(*channel), std::move(*view)};
    }();
    return *r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Ring& r = ring();
    auto bytes = r.peer_view.bytes();
    // A fresh ring, then the peer's bytes over it.
    static const std::vector<std::byte> pristine(bytes.begin(), bytes.end());
    std::copy(pristine.begin(), pristine.end(), bytes.begin());
    std::size_t n = std::min(size, bytes.size() - kFirstHostileByte);
    std::memcpy(bytes.data() + kFirstHostileByte, data, n);

    auto consumer_share = r.channel.share();
    auto producer_share = r.channel.share();
    if (!consumer_share || !producer_share) std::abort();
    auto consumer = RingConsumer::attach(std::move(*consumer_share));
    auto producer = RingProducer::attach(std::move(*producer_share));
    if (!consumer || !producer) return 0;
    std::array<RingEntry, 16> out{};
    std::size_t taken = consumer->try_pop(out);
    if (taken > out.size() || (consumer->corrupted() && taken != 0)) std::abort();
    (void)consumer->size();
    (void)producer->try_push(RingEntry{});
    (void)consumer->try_pop(out);
    return 0;
}
