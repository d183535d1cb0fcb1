// A ring and both its ends in one process, for the ring tests (ring_test, ring_wakeup_test,
// ring_busy_poll_test): the one way they make one.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>

#include "ksim/shm/ring.hpp"

namespace ksim::shm::test {

struct RingEnds {
    RingChannel channel;
    RingProducer producer;
    RingConsumer consumer;
};

// A ring of `capacity` (rounded up to a power of two) with a producer and a consumer attached;
// a failure is reported as a test failure (the ends are unusable then).
inline RingEnds make_ring_ends(const std::string& name, std::uint32_t capacity) {
    auto channel = RingChannel::create(name, capacity);
    EXPECT_TRUE(channel) << channel.error().message;
    auto p = channel->share();
    auto c = channel->share();
    EXPECT_TRUE(p && c);
    auto producer = RingProducer::attach(std::move(*p));
    auto consumer = RingConsumer::attach(std::move(*c));
    EXPECT_TRUE(producer) << producer.error().message;
    EXPECT_TRUE(consumer) << consumer.error().message;
    return RingEnds{std::move(*channel), std::move(*producer), std::move(*consumer)};
}

}  // namespace ksim::shm::test
