// Wakeup: the streaming threads' early wake-up. A wait it fails to end would leave a stopping
// pin's thread asleep for up to a frame period (or a second without a deadline).
#include "wakeup.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

namespace ksim::daemon {
namespace {

using namespace std::chrono_literals;
using WallClock = std::chrono::steady_clock;

// Far beyond any test's run time: a wait that lasts this long means the wake-up was lost.
constexpr auto kForever = 600s;
constexpr auto kLost = 60s;

TEST(Wakeup, PostBeforeTheWait_EndsItAtOnce) {
    Wakeup wake;
    wake.post();
    const auto start = WallClock::now();
    wake.wait_for(kForever);
    EXPECT_LT(WallClock::now() - start, kLost);
}

TEST(Wakeup, WithoutAPost_TheWaitLastsItsTimeout) {
    Wakeup wake;
    const auto start = WallClock::now();
    wake.wait_for(20ms);
    EXPECT_GE(WallClock::now() - start, 20ms);
}

TEST(Wakeup, NegativeTimeout_ReturnsAtOnce) {
    Wakeup wake;
    const auto start = WallClock::now();
    wake.wait_for(-5s);
    EXPECT_LT(WallClock::now() - start, kLost);
}

TEST(Wakeup, PostFromAnotherThread_EndsABlockedWait) {
    Wakeup wake;
    std::promise<void> about_to_wait;
    auto waiter = std::async(std::launch::async, [&] {
        about_to_wait.set_value();
        wake.wait_for(kForever);
    });
    about_to_wait.get_future().wait();  // the post may land before or during the wait: both must end it
    wake.post();
    EXPECT_EQ(waiter.wait_for(kLost), std::future_status::ready);
}

TEST(Wakeup, EachPostEndsOneWait) {
    Wakeup wake;
    wake.post();
    wake.post();
    const auto start = WallClock::now();
    wake.wait_for(kForever);
    wake.wait_for(kForever);
    EXPECT_LT(WallClock::now() - start, kLost);
    const auto third = WallClock::now();
    wake.wait_for(20ms);  // both posts consumed: this one times out
    EXPECT_GE(WallClock::now() - third, 20ms);
}

}  // namespace
}  // namespace ksim::daemon
