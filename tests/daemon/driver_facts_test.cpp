// The driver facts a KS proxy learns from the driver travel over the protocol: media, vendor
// allocator capabilities, the legacy-only framing property, the topology name and its device
// memory types; connection changes are announced as events; vendor allocator call counts are in
// STATISTICS. Checked against the same config loaded independently here.
#include <gtest/gtest.h>

#include <algorithm>
#include <variant>

#include "daemon_fixture.hpp"
#include "ksim/proto/framing_json.hpp"
#include "ksim/wire/envelope.hpp"

namespace ksim::test {
namespace {

using nlohmann::json;

// A daemon on another config than the fixture's default.
class DaemonOn : public DaemonFixture {
protected:
    bool start_in_setup() const override { return false; }
    void start_on(const std::string& config) {
        auto o = default_options();
        o.topology = load_config(config);
        start(std::move(o));
    }
};

const wire::PinInfo* find_pin(const wire::ListReply& list, const std::string& filter,
                              const std::string& pin) {
    for (const auto& f : list.filters)
        if (f.id == filter)
            for (const auto& p : f.pins)
                if (p.id == pin) return &p;
    return nullptr;
}

wire::ListReply list_of(TestClient& c) {
    auto reply = c.request(json{{"type", "list"}});
    if (!reply) throw std::runtime_error(reply.error().message);
    auto list = wire::decode_body<wire::ListReply>(*reply);
    if (!list) throw std::runtime_error(list.error().message + ": " + reply->dump());
    return *list;
}

TEST_F(DaemonOn, List_CarriesVendorCapsMediaTopologyNameAndMemoryTypes) {
    start_on("kernel-chain-vendor-dma.json");
    auto c = connect_with_hello();
    const auto list = list_of(c);
    const auto topology = load_config("kernel-chain-vendor-dma.json");
    EXPECT_EQ(list.topology, topology.name);
    ASSERT_EQ(list.memory_types.size(), topology.memory_types.size());
    for (std::size_t i = 0; i < topology.memory_types.size(); ++i) {
        EXPECT_EQ(list.memory_types[i].name, topology.memory_types[i].name);
        EXPECT_EQ(list.memory_types[i].guid, topology.memory_types[i].guid);
    }
    std::size_t with_caps = 0;
    for (const auto& f : topology.filters)
        for (const auto& p : f.pins) {
            const auto* pin = find_pin(list, f.id, p.id);
            ASSERT_NE(pin, nullptr) << f.id << "." << p.id;
            EXPECT_EQ(pin->medium, p.medium) << f.id << "." << p.id;
            ASSERT_EQ(pin->vendor_allocator_caps.has_value(), p.allocator.has_value()) << f.id << "." << p.id;
            if (!p.allocator) continue;
            ++with_caps;
            // Exactly the capabilities the driver declares (compared in their JSON form).
            EXPECT_EQ(json(*pin->vendor_allocator_caps), json(*p.allocator)) << f.id << "." << p.id;
        }
    EXPECT_GT(with_caps, 0u) << "the config declares a vendor allocator";
}

TEST_F(DaemonOn, LegacyOnlyPin_AnswersAllocatorFramingButNotTheExProperty) {
    start_on("driver-samples-avshws.json");
    auto c = connect_with_hello();
    const auto list = list_of(c);
    const auto* audio = find_pin(list, "viewer", "audio");
    ASSERT_NE(audio, nullptr);
    EXPECT_EQ(audio->framing_prop, proto::FramingProp::Old);

    auto ex = c.request(wire::make_request(
        0, wire::GetPropertyRequest{{"viewer", "audio"}, wire::PropertyId::AllocatorFramingEx}));
    ASSERT_TRUE(ex.has_value());
    EXPECT_EQ(error_code(*ex), "unsupported") << ex->dump();
    EXPECT_NE((*ex)["error"]["message"].get<std::string>().find("ALLOCATORFRAMING"), std::string::npos);

    auto legacy = c.request(wire::make_request(
        0, wire::GetPropertyRequest{{"viewer", "audio"}, wire::PropertyId::AllocatorFraming}));
    ASSERT_TRUE(legacy.has_value());
    ASSERT_TRUE((*legacy)["ok"].get<bool>()) << legacy->dump();
    auto decoded = wire::decode_body<wire::GetPropertyReply>(*legacy);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
    const auto topology = load_config("driver-samples-avshws.json");
    const auto* declared = topology.find_pin(proto::PinRef{"viewer", "audio"});
    ASSERT_NE(declared, nullptr);
    ASSERT_TRUE(declared->legacy_framing.has_value());
    EXPECT_EQ(decoded->legacy_framing, declared->legacy_framing);

    // And an _EX pin does not answer the legacy property.
    auto camera = find_pin(list, "camera", "capture");
    ASSERT_NE(camera, nullptr);
    EXPECT_EQ(camera->framing_prop, proto::FramingProp::Ex);
    auto not_legacy = c.request(wire::make_request(
        0, wire::GetPropertyRequest{{"camera", "capture"}, wire::PropertyId::AllocatorFraming}));
    ASSERT_TRUE(not_legacy.has_value());
    EXPECT_EQ(error_code(*not_legacy), "unsupported") << not_legacy->dump();
}

// DATAFORMAT of `pin`: the decoded format, or the error reply's code.
std::variant<proto::DataFormat, std::string> data_format_of(TestClient& c, const std::string& filter,
                                                            const std::string& pin) {
    auto reply = c.request(
        wire::make_request(0, wire::GetPropertyRequest{{filter, pin}, wire::PropertyId::DataFormat}));
    if (!reply) throw std::runtime_error(reply.error().message);
    if (!(*reply)["ok"].get<bool>()) return error_code(*reply);
    auto decoded = wire::decode_body<wire::GetPropertyReply>(*reply);
    if (!decoded) throw std::runtime_error(decoded.error().message + ": " + reply->dump());
    return *decoded->data_format;
}

TEST_F(DaemonOn, DataFormat_FollowsTheDataThroughAnInPlaceTransformToTheSink) {
    start_on("inplace-transform-pipe.json");
    auto c = connect_with_hello();
    const auto camera = load_config("inplace-transform-pipe.json").find_filter("camera")->video;
    ASSERT_TRUE(camera.has_value());
    for (const auto& [filter, pin] : {std::pair{"camera", "capture"},
                                      {"overlay", "input"},
                                      {"overlay", "output"},
                                      {"checker", "input"}}) {
        auto format = data_format_of(c, filter, pin);
        ASSERT_TRUE(std::holds_alternative<proto::DataFormat>(format)) << filter << "." << pin;
        const auto& f = std::get<proto::DataFormat>(format);
        ASSERT_TRUE(f.video.has_value()) << filter << "." << pin;
        EXPECT_FALSE(f.audio.has_value());
        EXPECT_EQ(f.video->format, camera->format) << filter << "." << pin;
        EXPECT_EQ(f.video->width, camera->width);
        EXPECT_EQ(f.video->height, camera->height);
        EXPECT_EQ(f.video->fps_numerator, camera->fps_numerator);
        EXPECT_EQ(f.video->fps_denominator, camera->fps_denominator);
    }
}

TEST_F(DaemonOn, DataFormat_AudioForAnAudioSinkAndNotFoundWhereNothingDeclaresOne) {
    start_on("driver-samples-avshws.json");
    auto c = connect_with_hello();
    const auto audio = load_config("driver-samples-avshws.json").find_filter("usb_audio")->audio;
    ASSERT_TRUE(audio.has_value());
    auto format = data_format_of(c, "viewer", "audio");
    ASSERT_TRUE(std::holds_alternative<proto::DataFormat>(format));
    const auto& f = std::get<proto::DataFormat>(format);
    ASSERT_TRUE(f.audio.has_value());
    EXPECT_FALSE(f.video.has_value());
    EXPECT_EQ(f.audio->sample_rate, audio->sample_rate);
    EXPECT_EQ(f.audio->channels, audio->channels);
    EXPECT_EQ(f.audio->bits_per_sample, audio->bits_per_sample);
    EXPECT_EQ(f.audio->frames_per_period, audio->frames_per_period);
    // A copy transform without a format of its own and nothing upstream: no format to report.
    auto none = data_format_of(c, "midi", "stream");
    ASSERT_TRUE(std::holds_alternative<std::string>(none));
    EXPECT_EQ(std::get<std::string>(none), "not_found");
}

// The next event of `type`, skipping others (state changes etc.).
json next_event_of(TestClient& c, const std::string& type) {
    for (;;) {
        auto e = c.next_event(5s);
        if (!e) throw std::runtime_error("no '" + type + "' event: " + e.error().message);
        if ((*e)["type"] == type) return *e;
    }
}

TEST_F(DaemonOn, Connect_IsAnnouncedAsConnectionChanged_AndAVanishedConnectionToo) {
    start_on("demo-capture-1080p.json");
    auto watcher = connect_with_hello(wire::Role::GraphManager);
    ASSERT_TRUE(
        watcher.request(json{{"type", "subscribe"}, {"events", {"connection_changed", "client_gone"}}})
            .has_value());
    {
        auto app = connect_with_hello();
        for (auto [filter, pin, dir] : {std::tuple{"late_src", "out", proto::PinDirection::Out},
                                        std::tuple{"late_sink", "in", proto::PinDirection::In}}) {
            auto r =
                app.request(wire::make_request(0, wire::CreatePinRequest{filter, pin, dir, std::nullopt}));
            ASSERT_TRUE(r.has_value());
            ASSERT_TRUE((*r)["ok"].get<bool>()) << r->dump();
        }
        auto r = app.request(
            wire::make_request(0, wire::ConnectRequest{{"late_src", "out"}, {"late_sink", "in"}}));
        ASSERT_TRUE(r.has_value());
        ASSERT_TRUE((*r)["ok"].get<bool>()) << r->dump();

        auto connected =
            wire::decode_body<wire::ConnectionChangedEvent>(next_event_of(watcher, "connection_changed"));
        ASSERT_TRUE(connected.has_value()) << connected.error().message;
        EXPECT_EQ(connected->from.to_string(), "late_src.out");
        EXPECT_EQ(connected->to.to_string(), "late_sink.in");
        EXPECT_TRUE(connected->connected);
    }  // the app disconnects
    (void)next_event_of(watcher, "client_gone");
    // Whatever the kernel does with the pins of a client that left, `connection_changed` says
    // exactly which connections went with them; it is queued together with client_gone.
    auto conns = wire::decode_body<wire::ConnectionsReply>(*watcher.request(json{{"type", "connections"}}));
    ASSERT_TRUE(conns.has_value());
    const bool still_there = std::ranges::any_of(conns->connections, [](const wire::ConnectionInfo& c) {
        return c.from.to_string() == "late_src.out";
    });
    auto next = watcher.next_event(still_there ? 300ms : 5s);
    if (still_there) {
        EXPECT_FALSE(next.has_value()) << "announced a connection that still exists: " << next->dump();
    } else {
        ASSERT_TRUE(next.has_value()) << next.error().message;
        auto gone = wire::decode_body<wire::ConnectionChangedEvent>(*next);
        ASSERT_TRUE(gone.has_value()) << gone.error().message;
        EXPECT_EQ(gone->from.to_string(), "late_src.out");
        EXPECT_FALSE(gone->connected);
    }
}

TEST_F(DaemonOn, FailedConnect_IsNotAnnounced) {
    start_on("demo-capture-1080p.json");
    auto watcher = connect_with_hello();
    ASSERT_TRUE(watcher.request(json{{"type", "subscribe"}, {"events", {"connection_changed"}}}).has_value());
    auto app = connect_with_hello();
    auto r = app.request(wire::make_request(0, wire::ConnectRequest{{"camera", "capture"}, {"nope", "in"}}));
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE((*r)["ok"].get<bool>());
    auto e = watcher.next_event(300ms);
    EXPECT_FALSE(e.has_value()) << e->dump();
}

TEST_F(DaemonOn, StatisticsOfAVendorAllocatorPin_CountItsCallbacks) {
    start_on("kernel-chain-vendor-dma.json");
    auto c = connect_with_hello();
    const auto list = list_of(c);
    std::size_t vendor_pins = 0;
    for (const auto& f : list.filters)
        for (const auto& p : f.pins) {
            auto reply = c.request(
                wire::make_request(0, wire::GetPropertyRequest{{f.id, p.id}, wire::PropertyId::Statistics}));
            ASSERT_TRUE(reply.has_value());
            auto stats = wire::decode_body<wire::GetPropertyReply>(*reply);
            ASSERT_TRUE(stats.has_value()) << stats.error().message;
            ASSERT_EQ(stats->statistics->vendor_allocator.has_value(), p.vendor_allocator.has_value())
                << p.id;
            if (!p.vendor_allocator) continue;
            ++vendor_pins;
            const auto& v = *stats->statistics->vendor_allocator;
            EXPECT_EQ(v.name, *p.vendor_allocator);
            EXPECT_FALSE(v.initialized) << "nothing committed, nothing streams";
            EXPECT_EQ(v.calls, (wire::VendorAllocatorCalls{0, 0, 0, 0}));
        }
    EXPECT_GT(vendor_pins, 0u);
}

}  // namespace
}  // namespace ksim::test
