// The kernel sink as a built-in driver (daemon/drivers/sink/): a kernel_sink filter of a config
// is hosted by it on the driver path, so the verifier watches its pin, and its checks count what
// a broken stream gets wrong.
#include "kernel_fixture.hpp"

namespace ksim::daemon::testing {
namespace {

using proto::PinHosting;
using proto::PinState;

class KernelBuiltinSinkTest : public KernelTest {
protected:
    // app (user source, client 7 hosting it) -> checker (kernel_sink), both in RUN.
    void start_user_source() {
        const auto t = user_source_to_sink();
        make(t);
        auto c = default_commit(t);
        c.frame_size = 1024;
        c.provider = app;
        ASSERT_TRUE(kernel->commit(c).has_value());
        set(checker, PinState::Run);
        set(app, PinState::Acquire, kClient);
        ASSERT_TRUE(kernel->open_stream(kClient, app).has_value());
        set(app, PinState::Run, kClient);
    }
    void submit(std::int64_t picture, std::uint32_t data_used) {
        auto f = kernel->acquire_frame(kClient, app);
        ASSERT_TRUE(f.has_value()) << f.error().message;
        proto::StreamHeader h;
        h.data_used = data_used;
        h.picture_number = picture;
        ASSERT_TRUE(kernel->submit_frame(kClient, app, *f, h).has_value());
    }
    const PinRef checker{"checker", "input"};
};

TEST_F(KernelBuiltinSinkTest, KernelSinkFilter_IsHostedByTheBuiltInDriver_WhoseVerifierWatchesItsPin) {
    const auto t = camera_to_sink(false, PinHosting::Kernel);
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t)).has_value());
    auto report = kernel->verifier_report(sink);
    ASSERT_TRUE(report.has_value()) << report.error().message;
    EXPECT_EQ(report->driver, "builtin:kernel_sink");
    set(sink, PinState::Run);
    set(camera, PinState::Run);
    run_periods(10);
    EXPECT_GE(stats(sink).completed, 9u);
    EXPECT_EQ(stats(sink).check_failures, 0u);  // the camera's counters match its frame numbers
    EXPECT_EQ(stats(sink).verifier_violations, 0u);
    set(camera, PinState::Stop);
    set(sink, PinState::Stop);
    EXPECT_TRUE(kernel->ledger().empty());
}

TEST_F(KernelBuiltinSinkTest, FramesOutOfOrderOrEmpty_CountAsCheckFailures_AndStillGoHome) {
    start_user_source();
    submit(1, 1024);
    submit(2, 1024);
    submit(2, 1024);  // not after the last frame number
    submit(3, 0);     // no data
    submit(4, 1024);
    EXPECT_EQ(stats(checker).completed, 5u);
    EXPECT_EQ(stats(checker).check_failures, 2u);
    EXPECT_TRUE(kernel->ledger().empty());
    ASSERT_TRUE(kernel->reset_stats(checker).has_value());
    EXPECT_EQ(stats(checker).check_failures, 0u);
}

}  // namespace
}  // namespace ksim::daemon::testing
