// ksimctl's find_sinks (client/ksimctl/sinks.hpp) on the shipped configs: where each graph's
// frames end, what media reaches them, and the pins upstream of them, nearest first.
#include <gtest/gtest.h>

#include "ksim/proto/topology_loader.hpp"
#include "sinks.hpp"

namespace ksim::ctl {
namespace {

std::vector<Sink> sinks_of(const std::string& name) {
    auto topology = proto::load_topology_file(std::string(KSIM_CONFIGS_DIR) + "/" + name);
    EXPECT_TRUE(topology) << name;
    return topology ? find_sinks(*topology) : std::vector<Sink>{};
}

std::vector<std::string> names(const std::vector<proto::PinRef>& pins) {
    std::vector<std::string> out;
    for (const auto& p : pins) out.push_back(p.to_string());
    return out;
}

TEST(KsimctlSinks, UserSinkOfTheDemoGetsTheCamerasVideoFormat) {
    const auto sinks = sinks_of("demo-capture-1080p.json");
    ASSERT_EQ(sinks.size(), 1u);
    EXPECT_EQ(sinks[0].pin.to_string(), "viewer.input");
    EXPECT_EQ(sinks[0].hosting, proto::PinHosting::User);
    ASSERT_TRUE(sinks[0].video);
    EXPECT_EQ(sinks[0].video->format, proto::VideoFormat::Nv12);
    EXPECT_EQ(sinks[0].video->width, 1920u);
    EXPECT_EQ(sinks[0].video->height, 1080u);
    EXPECT_FALSE(sinks[0].audio);
    EXPECT_EQ(names(sinks[0].upstream), (std::vector<std::string>{"camera.capture"}));
}

TEST(KsimctlSinks, KernelSinkBehindATransformListsEveryPinUpstreamNearestFirst) {
    const auto sinks = sinks_of("inplace-transform-pipe.json");
    ASSERT_EQ(sinks.size(), 1u) << "overlay.input feeds a filter whose output is connected: not a sink";
    EXPECT_EQ(sinks[0].pin.to_string(), "checker.input");
    EXPECT_EQ(sinks[0].hosting, proto::PinHosting::Kernel);
    ASSERT_TRUE(sinks[0].video) << "the media of the camera, two filters upstream";
    EXPECT_EQ(sinks[0].video->format, proto::VideoFormat::Yuy2);
    EXPECT_EQ(names(sinks[0].upstream),
              (std::vector<std::string>{"overlay.output", "overlay.input", "camera.capture"}));
}

TEST(KsimctlSinks, EachPinOfAFilterWithTwoInputsIsASinkWithItsOwnMedia) {
    const auto sinks = sinks_of("driver-samples-avshws.json");
    ASSERT_EQ(sinks.size(), 2u);
    EXPECT_EQ(sinks[0].pin.to_string(), "viewer.video");
    ASSERT_TRUE(sinks[0].video);
    EXPECT_EQ(sinks[0].video->format, proto::VideoFormat::Rgb24);
    EXPECT_EQ(sinks[1].pin.to_string(), "viewer.audio");
    EXPECT_FALSE(sinks[1].video);
    ASSERT_TRUE(sinks[1].audio);
    EXPECT_EQ(names(sinks[1].upstream), (std::vector<std::string>{"usb_audio.stream"}));
}

TEST(KsimctlSinks, AGraphWithoutConnectionsHasNoSink) {
    proto::Topology empty;
    EXPECT_TRUE(find_sinks(empty).empty());
}

}  // namespace
}  // namespace ksim::ctl
