// The lazy-release schedule (daemon/server/src/lazy_release.hpp): when the drain thread of a
// sink stream looks for releases again, and when a delivery has to wake it.
#include "lazy_release.hpp"

#include <gtest/gtest.h>

namespace ksim::daemon::server {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kFrame = 33 * kMs;  // 30 fps

TEST(LazyRelease, WithFramesOutstanding_LooksAgainAfterTheLag) {
    EXPECT_EQ(next_look(100 * kMs, 1, 90 * kMs, kFrame), 100 * kMs + nanos(kReleaseLag));
}

TEST(LazyRelease, AtASteadyRate_LooksTheLagAfterTheNextDelivery_WhichThenNeedsNoWake) {
    const std::int64_t delivered = 1000 * kMs;
    const std::int64_t look = next_look(delivered + 10 * kMs, 0, delivered, kFrame);
    EXPECT_EQ(look, delivered + kFrame + nanos(kReleaseLag));
    // The next frame comes on time, or a little early: the drain is back soon enough.
    EXPECT_FALSE(needs_wake(delivered + kFrame, look));
    EXPECT_FALSE(needs_wake(delivered + kFrame - 5 * kMs, look));
    // Far too early (the rate went up): it must be woken to keep the bound.
    EXPECT_TRUE(needs_wake(delivered + 5 * kMs, look));
}

TEST(LazyRelease, IdleOrOverdueStream_SleepsUntilADeliveryWakesIt) {
    EXPECT_EQ(next_look(100 * kMs, 0, 0, 0), kNoDeadline);               // never delivered
    EXPECT_EQ(next_look(500 * kMs, 0, 100 * kMs, kFrame), kNoDeadline);  // next frame overdue
    EXPECT_TRUE(needs_wake(600 * kMs, kNoDeadline));
    EXPECT_FALSE(needs_wake(600 * kMs, 0));  // 0: the drain is running, it looks anyway
}

TEST(LazyRelease, TheBoundLeavesRoomForTheLag) {
    static_assert(kReleaseBound > kReleaseLag);
    // A drain that looked just before a release comes back within the bound.
    EXPECT_FALSE(needs_wake(0, nanos(kReleaseLag)));
}

}  // namespace
}  // namespace ksim::daemon::server
