// The capture kinds as built-in drivers (daemon/drivers/capture/): a video_capture or
// audio_capture filter of a config is hosted by its driver on the driver path, so the verifier
// watches its pin (naming builtin:video_capture / builtin:audio_capture), and the frames it
// completes carry what its format says.
#include "kernel_fixture.hpp"
#include "ksim/proto/topology_loader.hpp"

namespace ksim::daemon::testing {
namespace {

using proto::PinHosting;
using proto::PinState;

// mic (audio_capture: 48 kHz stereo 16-bit, 480 samples a period) -> checker (kernel_sink).
constexpr std::string_view kAudioConfig = R"({"ksim_topology": 1, "name": "builtin-audio", "filters": [
    {"id": "mic", "kind": "audio_capture",
     "audio": {"sample_rate": 48000, "channels": 2, "bits_per_sample": 16, "frames_per_period": 480},
     "pins": [{"id": "capture", "direction": "out", "hosting": "kernel",
       "framing": {"simple": {"memory_type": "KERNEL_NONPAGED", "flags": ["SYSTEM_MEMORY", "PREFERENCES_ONLY"],
         "frames": 4, "alignment": "FILE_LONG_ALIGNMENT", "min_frame_size": 1920, "max_frame_size": 1920}}}]},
    {"id": "viewer", "kind": "user_sink",
     "pins": [{"id": "input", "direction": "in", "hosting": "user",
       "framing": {"simple": {"memory_type": "DONT_CARE", "flags": ["PREFERENCES_ONLY"], "frames": 4,
         "alignment": "FILE_BYTE_ALIGNMENT", "min_frame_size": 0, "max_frame_size": 4294967295}}}]}],
  "connections": [{"from": "mic.capture", "to": "viewer.input"}]})";
constexpr Ticks kAudioPeriod = kTicksPerSecond * 480 / 48000;  // 10 ms
constexpr std::uint32_t kAudioFrame = 480 * 2 * 2;

class KernelBuiltinCaptureTest : public KernelTest {
protected:
    void expect_driver(const PinRef& pin, std::string_view driver) {
        auto report = kernel->verifier_report(pin);
        ASSERT_TRUE(report.has_value()) << report.error().message;
        EXPECT_EQ(report->driver, driver);
        EXPECT_EQ(report->pin, pin);
        EXPECT_EQ(report->total, 0u) << "the built-in driver uses the driver API as it should";
    }
    const PinRef mic{"mic", "capture"};
};

TEST_F(KernelBuiltinCaptureTest, VideoCaptureFilter_IsHostedByTheBuiltInDriver_AndStreamsItsPattern) {
    const auto t = camera_to_sink(false, PinHosting::Kernel, 3);
    make(t);
    ASSERT_TRUE(kernel->commit(default_commit(t, 3)).has_value());
    expect_driver(camera, "builtin:video_capture");
    set(sink, PinState::Run);
    set(camera, PinState::Run);
    run_periods(10);
    EXPECT_EQ(stats(camera).completed, 10u);  // one frame per period of its 30 fps
    EXPECT_EQ(stats(camera).dropped, 0u);
    EXPECT_EQ(stats(sink).completed, 10u);
    EXPECT_EQ(stats(sink).check_failures, 0u);  // the pattern's counters match the frame numbers
    set(camera, PinState::Stop);
    set(sink, PinState::Stop);
    expect_driver(camera, "builtin:video_capture");
    EXPECT_TRUE(kernel->ledger().empty());
}

TEST_F(KernelBuiltinCaptureTest, AudioCaptureFilter_IsHostedByTheBuiltInDriver_AndCompletesOnePeriodAFrame) {
    auto t = proto::load_topology_text(kAudioConfig, "/tests/builtin-audio.json");
    ASSERT_TRUE(t.has_value()) << t.error().front().to_string();
    make(*t);
    AllocatorCommit c = default_commit(*t, 4);
    c.frame_size = kAudioFrame;
    ASSERT_TRUE(kernel->commit(c).has_value());
    expect_driver(mic, "builtin:audio_capture");
    set(viewer, PinState::Acquire, kClient);
    ASSERT_TRUE(kernel->open_stream(kClient, viewer).has_value());
    set(viewer, PinState::Run, kClient);
    set(mic, PinState::Run);
    const Ticks started = clock->now();
    for (int i = 0; i < 3; ++i) {
        clock->advance(kAudioPeriod);
        kernel->advance_time();
    }
    ASSERT_EQ(port.delivered.size(), 3u);
    for (std::size_t i = 0; i < port.delivered.size(); ++i) {
        const proto::StreamHeader& h = port.delivered[i].header;
        EXPECT_EQ(h.data_used, kAudioFrame);
        EXPECT_EQ(h.duration, kAudioPeriod);
        EXPECT_EQ(h.picture_number, static_cast<std::int64_t>(i + 1));
        EXPECT_EQ(h.presentation_time.time, static_cast<Ticks>(i + 1) * kAudioPeriod);
    }
    EXPECT_EQ(clock->now() - started, 3 * kAudioPeriod);
    set(mic, PinState::Stop);
    for (const auto& d : port.delivered) ASSERT_TRUE(kernel->release_frame(kClient, d.frame).has_value());
    set(viewer, PinState::Stop, kClient);
    EXPECT_TRUE(kernel->ledger().empty());
}

TEST_F(KernelBuiltinCaptureTest, ReportOfAUserPin_IsAClearError) {
    make(camera_to_sink(false, PinHosting::User));
    auto r = kernel->verifier_report(sink);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_NE(r.error().message.find("not a driver's pin"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace ksim::daemon::testing
