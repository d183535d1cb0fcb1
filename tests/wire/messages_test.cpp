// Typed bodies: every message round-trips through JSON text unchanged, and bad fields are
// rejected with a message naming the field.
#include "ksim/wire/messages.hpp"

#include <gtest/gtest.h>

#include "ksim/proto/framing_json.hpp"
#include "ksim/proto/memory_types.hpp"
#include "ksim/wire/envelope.hpp"

namespace ksim::wire {
namespace {

using nlohmann::json;

// Serialise, go through text, decode, serialise again: both JSON forms must be identical.
template <typename T>
void expect_round_trip(const T& value) {
    json first = value;
    json reparsed = json::parse(first.dump());
    auto decoded = decode_body<T>(reparsed);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message << "\n" << first.dump(2);
    json second = *decoded;
    EXPECT_EQ(first, second);
}

proto::PinRef pin(std::string f, std::string p) {
    return proto::PinRef{std::move(f), std::move(p)};
}

proto::AllocatorFramingEx sample_framing() {
    return proto::make_simple_framing(proto::memory_type::kKernelNonPaged,
                                      proto::RequirementFlags::SystemMemory, 4, proto::file_alignment::kPage,
                                      3110400, 3110400);
}

proto::VendorAllocatorCaps sample_caps() {
    proto::VendorAllocatorCaps caps;
    caps.name = "dma0";
    caps.memory_type = *proto::Guid::parse("6B1F5A3C-2D4E-4F70-9A81-5C3D2E1F0A01");
    caps.min_frame_size = 4096;
    caps.max_frame_size = 8u << 20;
    caps.max_frames = 8;
    caps.alignment_mask = 0xFFF;
    caps.boundary = 1u << 20;
    return caps;
}

AllocatorFailure sample_failure(std::optional<std::string> fault) {
    return AllocatorFailure{"InitializeAllocator",
                            0xC000009Au,
                            "STATUS_INSUFFICIENT_RESOURCES (0xC000009A)",
                            proto::make_create_request(3, 6144, 0x3F, proto::memory_type::kKernelNonPaged),
                            sample_caps(),
                            pin("cam", "capture"),
                            pin("sink", "in"),
                            123456789,
                            std::move(fault),
                            "pipe cam.capture->sink.in: creating the vendor allocator failed: ..."};
}

TEST(WireMessages, HandshakeAndInspection_RoundTrip) {
    expect_round_trip(Hello{kProtocolVersion, Role::GraphManager, "graphmgr"});
    expect_round_trip(Welcome{42, kProtocolVersion, "0.1.0"});
    expect_round_trip(ListRequest{"cam", std::nullopt, std::nullopt});
    expect_round_trip(ListRequest{std::nullopt, std::nullopt, std::nullopt});
    PinInfo p{"capture",
              proto::PinDirection::Out,
              proto::PinHosting::Kernel,
              proto::PinState::Run,
              0,
              proto::FramingProp::Ex,
              "dma0",
              "sink.in",
              "vendor:dma0",
              proto::bus_type::kPci,
              sample_caps()};
    expect_round_trip(ListReply{
        {FilterInfo{"cam", proto::FilterKind::VideoCapture, {p}}}, "demo", {}, std::nullopt, false});
    expect_round_trip(ListReply{{}, std::nullopt, {}, std::nullopt, false});
    expect_round_trip(ListReply{{FilterInfo{"cam",
                                            proto::FilterKind::VideoCapture,
                                            {p},
                                            proto::VideoParams{proto::VideoFormat::Yuy2, 640, 480, 25, 1},
                                            std::nullopt},
                                 FilterInfo{"mic",
                                            proto::FilterKind::AudioCapture,
                                            {},
                                            std::nullopt,
                                            proto::AudioParams{44100, 1, 16, 441}}},
                                "demo",
                                {},
                                std::nullopt,
                                false});
    expect_round_trip(GetPropertyRequest{pin("cam", "capture"), PropertyId::StreamAllocatorStatus});
}

TEST(WireMessages, EveryPropertyReply_RoundTrips) {
    GetPropertyReply framing{
        pin("cam", "capture"), PropertyId::AllocatorFramingEx, sample_framing(), {}, {}, {}, {}};
    expect_round_trip(framing);
    GetPropertyReply status{
        pin("cam", "capture"),
        PropertyId::StreamAllocatorStatus,
        {},
        StreamAllocatorStatus{proto::make_create_request(4, 4096, 0xFFF, proto::memory_type::kUser), 3},
        {},
        {},
        {}};
    expect_round_trip(status);
    GetPropertyReply conn{pin("cam", "capture"),
                          PropertyId::ConnectionState,
                          {},
                          {},
                          ConnectionState{proto::PinState::Pause, pin("sink", "in"), true},
                          {},
                          {}};
    expect_round_trip(conn);
    GetPropertyReply stats{pin("cam", "capture"),
                           PropertyId::Statistics,
                           {},
                           {},
                           {},
                           PinStatistics{100, 2, 3, "default", 1500, 9000, std::nullopt, std::nullopt},
                           {}};
    expect_round_trip(stats);
    GetPropertyReply vendor_stats{
        pin("cam", "capture"),
        PropertyId::Statistics,
        {},
        {},
        {},
        PinStatistics{100, 2, 3, "vendor:dma0", 1500, 9000,
                      VendorAllocatorStats{"dma0", true, {1, 40, 38, 0}}, std::nullopt},
        {}};
    expect_round_trip(vendor_stats);
    vendor_stats.statistics->vendor_allocator->initialized = false;
    vendor_stats.statistics->vendor_allocator->last_failure = sample_failure(std::nullopt);
    expect_round_trip(vendor_stats);
    PinStatistics driver_pin{100, 2, 3, "vendor:dma0", 1500, 9000, std::nullopt, std::nullopt};
    driver_pin.verifier = VerifierStats{
        "/drivers/bad.so",
        3,
        {VerifierRuleCount{"verifier.unlock-unlocked", 3, "unlock once"}},
        {VerifierViolation{"verifier.unlock-unlocked", "KsStreamPointerUnlock", "not locked", 700, 3}}};
    GetPropertyReply verifier_stats{
        pin("bad", "capture"), PropertyId::Statistics, {}, {}, {}, driver_pin, {}};
    expect_round_trip(verifier_stats);
    EXPECT_EQ(json(verifier_stats)["statistics"]["verifier"]["recent"][0]["routine"],
              "KsStreamPointerUnlock");
    GetPropertyReply legacy{pin("viewer", "audio"),
                            PropertyId::AllocatorFraming,
                            {},
                            {},
                            {},
                            {},
                            proto::make_create_request(8, 0, 0, proto::memory_type::kKernelNonPaged)};
    expect_round_trip(legacy);
    GetPropertyReply video{
        pin("viewer", "input"),
        PropertyId::DataFormat,
        {},
        {},
        {},
        {},
        {},
        proto::DataFormat{proto::VideoParams{proto::VideoFormat::Yuy2, 640, 480, 30000, 1001}, std::nullopt}};
    expect_round_trip(video);
    EXPECT_EQ(
        json(video)["data_format"],
        json::parse(R"({"video": {"format": "YUY2", "width": 640, "height": 480, "fps": [30000, 1001]}})"));
    GetPropertyReply audio{pin("mic", "capture"),
                           PropertyId::DataFormat,
                           {},
                           {},
                           {},
                           {},
                           {},
                           proto::DataFormat{std::nullopt, proto::AudioParams{44100, 1, 16, 441}}};
    expect_round_trip(audio);
    EXPECT_EQ(json(audio)["data_format"]["audio"]["sample_rate"], 44100);
}

TEST(WireMessages, DataFormat_NeitherOrBothKindsOrAnUnknownFormat_IsRejectedWithThePointer) {
    const json base = json::parse(R"({"pin": "v.in", "property": "DATAFORMAT"})");
    auto decode = [&](const char* data_format) {
        json j = base;
        j["data_format"] = json::parse(data_format);
        return decode_body<GetPropertyReply>(j);
    };
    auto neither = decode("{}");
    ASSERT_FALSE(neither);
    EXPECT_NE(neither.error().message.find("exactly one of 'video' and 'audio'"), std::string::npos)
        << neither.error().message;
    auto unknown = decode(R"({"video": {"format": "I420", "width": 2, "height": 2, "fps": [1, 1]}})");
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message.find("/data_format/video/format"), std::string::npos)
        << unknown.error().message;
    auto zero_den = decode(R"({"video": {"format": "NV12", "width": 2, "height": 2, "fps": [30, 0]}})");
    ASSERT_FALSE(zero_den);
    EXPECT_NE(zero_den.error().message.find("/data_format/video/fps"), std::string::npos)
        << zero_den.error().message;
}

TEST(WireMessages, PinInfoOfAnOlderDaemon_DefaultsToTheStandardMediumAndNoCaps) {
    json j = PinInfo{"in",
                     proto::PinDirection::In,
                     proto::PinHosting::User,
                     proto::PinState::Stop,
                     0,
                     proto::FramingProp::Old,
                     std::nullopt,
                     std::nullopt,
                     std::nullopt,
                     proto::bus_type::kUsb,
                     std::nullopt};
    EXPECT_EQ(j["medium"], "USB");
    EXPECT_EQ(j["framing_prop"], "old");
    j.erase("medium");
    auto back = decode_body<PinInfo>(j);
    ASSERT_TRUE(back.has_value()) << back.error().message;
    EXPECT_EQ(back->medium, proto::medium::kStandard);
    EXPECT_FALSE(back->vendor_allocator_caps.has_value());
}

TEST(WireMessages, VendorAllocatorCaps_TravelExactlyInTheConfigForm) {
    PinInfo p{"capture",
              proto::PinDirection::Out,
              proto::PinHosting::Kernel,
              proto::PinState::Stop,
              0,
              proto::FramingProp::Ex,
              "dma0",
              std::nullopt,
              std::nullopt,
              proto::medium::kStandard,
              sample_caps()};
    json j = p;
    EXPECT_EQ(j["vendor_allocator_caps"], json(sample_caps()));
    auto back = decode_body<PinInfo>(json::parse(j.dump()));
    ASSERT_TRUE(back.has_value()) << back.error().message;
    ASSERT_TRUE(back->vendor_allocator_caps.has_value());
    EXPECT_EQ(json(*back->vendor_allocator_caps), json(sample_caps()));
    EXPECT_EQ(back->vendor_allocator_caps->boundary, 1u << 20);
}

TEST(WireMessages, ListReplyMemoryTypes_UseTheConfigObjectForm) {
    const auto guid = *proto::Guid::parse("6B1F5A3C-2D4E-4F70-9A81-5C3D2E1F0A01");
    ListReply reply{{},
                    "kernel-chain",
                    {proto::CustomMemoryType{"VENDOR_DMA", guid, proto::MemoryClass::DeviceSpecific}},
                    std::nullopt,
                    false};
    json j = reply;
    EXPECT_EQ(j["topology"], "kernel-chain");
    EXPECT_EQ(j["memory_types"], (json{{"VENDOR_DMA", guid.to_string()}}));
    auto back = decode_body<ListReply>(j);
    ASSERT_TRUE(back.has_value()) << back.error().message;
    ASSERT_EQ(back->memory_types.size(), 1u);
    EXPECT_EQ(back->memory_types[0].name, "VENDOR_DMA");
    EXPECT_EQ(back->memory_types[0].guid, guid);
    j["memory_types"] = json{{"VENDOR_DMA", "not-a-guid"}};
    auto bad = decode_body<ListReply>(j);
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().message.find("VENDOR_DMA"), std::string::npos) << bad.error().message;
}

TEST(WireMessages, PropertyReplyWithoutItsValue_IsRejected) {
    json j =
        GetPropertyReply{pin("cam", "capture"), PropertyId::Statistics, sample_framing(), {}, {}, {}, {}};
    auto r = decode_body<GetPropertyReply>(j);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("STATISTICS"), std::string::npos);
}

TEST(WireMessages, FramingInAReply_IsExactlyProtoFramingJson) {
    GetPropertyReply reply{
        pin("cam", "capture"), PropertyId::AllocatorFramingEx, sample_framing(), {}, {}, {}, {}};
    json j = reply;
    json expected = sample_framing();
    EXPECT_EQ(j["framing"], expected);
    auto back = decode_body<GetPropertyReply>(j);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back->framing, sample_framing());
}

TEST(WireMessages, GraphAndStreamMessages_RoundTrip) {
    AllocatorDecision d{
        AllocatorKind::Vendor, pin("cam", "capture"), proto::memory_type::kKernelNonPaged, 4096, 8, 0xFFF};
    expect_round_trip(ConnectionsReply{{ConnectionInfo{pin("cam", "capture"), pin("sink", "in"), d},
                                        ConnectionInfo{pin("a", "out"), pin("b", "in"), std::nullopt}},
                                       std::nullopt,
                                       false});
    expect_round_trip(CreatePinRequest{"app", "in0", proto::PinDirection::In, sample_framing()});
    expect_round_trip(CreatePinReply{pin("app", "in0")});
    expect_round_trip(ConnectRequest{pin("cam", "capture"), pin("app", "in0")});
    expect_round_trip(SetStateRequest{pin("cam", "capture"), proto::PinState::Run});
    expect_round_trip(SetStateReply{pin("cam", "capture"), proto::PinState::Acquire});
    expect_round_trip(CommitRequest{{{pin("cam", "capture"), pin("sink", "in")}}, d});
    OpenStreamReply open{pin("app", "in0"),
                         4096,
                         8,
                         {RegionGrant{7, 65536, shm::Access::ReadOnly, 0, {0, 4096}}},
                         {RingGrant{RingDirection::ToClient, 1, 8192, 64, 2, 3}},
                         4};
    expect_round_trip(open);
    expect_round_trip(ReleaseFrameRequest{FrameRef{7, 3, 12}});
    expect_round_trip(AcquireFrameReply{FrameRef{7, 1, 2}});
    proto::StreamHeader h;
    h.presentation_time.time = 333333;
    h.duration = 333333;
    h.frame_extent = 4096;
    h.data_used = 4000;
    h.options_flags = proto::StreamHeaderOptions::TimeValid | proto::StreamHeaderOptions::DurationValid;
    h.picture_number = 10;
    h.drop_count = 1;
    expect_round_trip(SubmitFrameRequest{pin("src", "out"), FrameRef{7, 1, 2}, h});
    expect_round_trip(
        LedgerReply{{LedgerEntry{"cam.capture", FrameRef{7, 1, 2}, 3, "client 3"}}, std::nullopt, false});
    expect_round_trip(SubscribeRequest{{MessageType::StateChanged, MessageType::ClientGone}});
}

TEST(WireMessages, Events_RoundTrip) {
    expect_round_trip(StateChangedEvent{pin("cam", "capture"), proto::PinState::Acquire, "STOP -> ACQUIRE"});
    expect_round_trip(FrameDroppedEvent{pin("cam", "capture"), "no buffer"});
    expect_round_trip(AllocatorCommittedEvent{pin("cam", "capture"), "vendor:dma0"});
    expect_round_trip(ClientGoneEvent{5, "disconnected"});
    expect_round_trip(FramingChangedEvent{pin("cam", "capture"), sample_framing(), "format"});
    expect_round_trip(FrameReadyEvent{pin("app", "in0"), FrameRef{1, 2, 3}, proto::StreamHeader{}});
    expect_round_trip(
        ConnectionChangedEvent{pin("cam", "capture"), pin("app", "in0"), true, "connected by client 3"});
    expect_round_trip(
        ConnectionChangedEvent{pin("cam", "capture"), pin("app", "in0"), false, "client 3 went away"});
    expect_round_trip(AllocatorFailedEvent{pin("cam", "capture"), sample_failure("/faults/0"), "pipe ..."});
    expect_round_trip(VerifierViolationEvent{
        pin("bad", "capture"), "/drivers/bad.so",
        VerifierViolation{"verifier.unlock-unlocked", "KsStreamPointerUnlock", "not locked", 1200, 1},
        "verifier.unlock-unlocked: KsStreamPointerUnlock: not locked"});
}

TEST(WireMessages, AllocatorFailure_NamesItsFieldsAndTravelsWithTheConnection) {
    ConnectionInfo c{pin("cam", "capture"), pin("sink", "in"),
                     AllocatorDecision{AllocatorKind::Vendor, pin("cam", "capture"),
                                       proto::memory_type::kKernelNonPaged, 6144, 3, 0x3F},
                     sample_failure("/faults/0")};
    expect_round_trip(ConnectionsReply{{c}, std::nullopt, false});
    const json j = c;
    const json& f = j.at("allocator_failure");
    EXPECT_EQ(f.at("routine"), "InitializeAllocator");
    EXPECT_EQ(f.at("status"), 0xC000009Au);
    EXPECT_EQ(f.at("status_name"), "STATUS_INSUFFICIENT_RESOURCES (0xC000009A)");
    EXPECT_EQ(f.at("framing").at("frames"), 3);
    EXPECT_EQ(f.at("capabilities").at("name"), "dma0");
    EXPECT_EQ(f.at("asked_by"), "sink.in");
    EXPECT_EQ(f.at("fault"), "/faults/0");
    // A connection without one carries no field; a record missing its status is refused by name.
    EXPECT_FALSE(
        json(ConnectionInfo{pin("a", "out"), pin("b", "in"), std::nullopt}).contains("allocator_failure"));
    json broken = j;
    broken["allocator_failure"].erase("status");
    auto r = decode_body<ConnectionInfo>(broken);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("status"), std::string::npos) << r.error().message;
}

TEST(WireMessages, FreeFramesRing_RoundTripsAndOlderRequestsMeanNoFreeFramesRing) {
    OpenStreamReply open{pin("app", "out0"),
                         4096,
                         8,
                         {RegionGrant{7, 65536, shm::Access::ReadWrite, 0, {0, 4096}}},
                         {RingGrant{RingDirection::FreeFrames, 1, 8192, 4, 2, 3, 3}},
                         4};
    expect_round_trip(open);
    expect_round_trip(OpenStreamRequest{pin("app", "out0"), true});
    auto old = decode_body<OpenStreamRequest>(json{{"pin", "app.out0"}});
    ASSERT_TRUE(old) << old.error().message;
    EXPECT_FALSE(old->free_frames);
    // An older daemon (or client) never sees the new field unless it was asked for.
    EXPECT_FALSE(json(OpenStreamRequest{pin("app", "out0"), false}).contains("free_frames"));
}

TEST(WireMessages, MissingField_IsNamedInTheError) {
    auto r = decode_body<SetStateRequest>(json{{"type", "set_state"}, {"pin", "cam.capture"}});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_NE(r.error().message.find("'state'"), std::string::npos) << r.error().message;
}

TEST(WireMessages, NegativeNumber_IsNotWrappedIntoAnUnsigned) {
    auto r =
        decode_body<ReleaseFrameRequest>(json{{"frame", {{"region", 1}, {"index", -1}, {"generation", 0}}}});
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("/frame/index: expected an unsigned integer, found a negative integer"),
              std::string::npos)
        << r.error().message;
}

TEST(WireMessages, PinNameWithoutDot_IsRejected) {
    auto r = decode_body<OpenStreamRequest>(json{{"pin", "capture"}});
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("filter.pin"), std::string::npos);
}

TEST(WireMessages, PinNameWithTwoDots_IsRejected) {
    auto r = decode_body<OpenStreamRequest>(json{{"pin", "a.b.c"}});
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("\"a.b.c\" is not of the form \"filter.pin\""), std::string::npos)
        << r.error().message;
}

TEST(WireMessages, CreatePinWithDotInId_IsRejected) {
    auto r =
        decode_body<CreatePinRequest>(json{{"filter", "app"}, {"pin_id", "out.put"}, {"direction", "out"}});
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("/pin_id"), std::string::npos) << r.error().message;
}

TEST(WireMessages, FrameRef_ConvertsToTheRingDescriptorAndBack) {
    const shm::FrameDescriptor d{7, 3, 12, 0};
    const FrameRef ref = to_frame_ref(d);
    EXPECT_EQ(ref, (FrameRef{7, 3, 12}));
    EXPECT_EQ(to_descriptor(ref), d);
    EXPECT_EQ(to_descriptor(FrameRef{1, 2, 3}).reserved, 0u);
}

TEST(WireMessages, RegionAccess_TravelsByItsWireName) {
    for (auto a : {shm::Access::ReadOnly, shm::Access::ReadWrite}) EXPECT_EQ(parse_access(to_string(a)), a);
    EXPECT_EQ(to_string(shm::Access::ReadOnly), "read_only");
    EXPECT_EQ(to_string(shm::Access::ReadWrite), "read_write");
    EXPECT_FALSE(parse_access("write_only").has_value());
}

TEST(WireMessages, UnknownEnumValues_ListTheValidOnes) {
    auto state = decode_body<SetStateRequest>(json{{"pin", "a.b"}, {"state", "FLYING"}});
    ASSERT_FALSE(state.has_value());
    EXPECT_NE(state.error().message.find("RUN"), std::string::npos);
    auto role = decode_body<Hello>(json{{"protocol_version", 1}, {"role", "root"}});
    ASSERT_FALSE(role.has_value());
    EXPECT_NE(role.error().message.find("graph-manager"), std::string::npos);
    auto prop = decode_body<GetPropertyRequest>(json{{"pin", "a.b"}, {"property", "FOO"}});
    ASSERT_FALSE(prop.has_value());
    EXPECT_NE(prop.error().message.find("ALLOCATORFRAMING_EX"), std::string::npos);
}

TEST(WireMessages, SubscribeToARequestName_IsRejected) {
    auto r = decode_body<SubscribeRequest>(json{{"events", {"list"}}});
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("not an event"), std::string::npos);
}

TEST(WireMessages, OpenStreamReplyWithFdIndexOutOfRange_IsRejected) {
    OpenStreamReply open{
        pin("app", "in0"), 4096, 8, {RegionGrant{7, 65536, shm::Access::ReadOnly, 2, {}}}, {}, 2};
    auto r = decode_body<OpenStreamReply>(json(open));
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("fd_index 2"), std::string::npos);
}

TEST(WireMessages, CommitWithBadAlignmentOrEmptyPipe_IsRejected) {
    CommitRequest c{{{pin("a", "out"), pin("b", "in")}},
                    AllocatorDecision{AllocatorKind::Default, pin("a", "out"), {}, 4096, 4, 0xFFF}};
    json j = c;
    j["decision"]["alignment_mask"] = 0x1000;
    EXPECT_FALSE(decode_body<CommitRequest>(j).has_value());
    j = c;
    j["connections"] = json::array();
    EXPECT_FALSE(decode_body<CommitRequest>(j).has_value());
}

TEST(WireMessages, BodyThatIsNotAnObject_IsRejectedNotCrashing) {
    for (const json& j : {json(nullptr), json(3), json("x"), json::array({1, 2})}) {
        EXPECT_FALSE(decode_body<Hello>(j).has_value()) << j.dump();
        EXPECT_FALSE(decode_body<CommitRequest>(j).has_value()) << j.dump();
    }
}

TEST(WireMessages, FrameOffsetOutsideItsRegion_IsRejected) {
    json j = OpenStreamReply{
        pin("app", "in0"), 4096, 2, {RegionGrant{7, 8192, shm::Access::ReadOnly, 0, {0, 8192}}}, {}, 1};
    auto r = decode_body<OpenStreamReply>(j);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("frame_offsets"), std::string::npos) << r.error().message;
}

TEST(WireMessages, ListPaging_FieldsRoundTripAndAreOptional) {
    expect_round_trip(ListRequest{std::nullopt, 128u, 32u});
    json request = ListRequest{std::nullopt, 7u, 3u};
    EXPECT_EQ(request["offset"], 7);
    EXPECT_EQ(request["max_filters"], 3);
    const json old_request = ListRequest{"cam", std::nullopt, std::nullopt};  // an old client's
    EXPECT_FALSE(old_request.contains("offset"));
    EXPECT_FALSE(old_request.contains("max_filters"));

    ListReply page{{}, "demo", {}, 64u, true};
    json j = page;
    EXPECT_EQ(j["next_offset"], 64);
    EXPECT_EQ(j["more"], true);
    expect_round_trip(page);
    json last = ListReply{{}, "demo", {}, std::nullopt, false};
    EXPECT_FALSE(last.contains("next_offset"));
    EXPECT_FALSE(last.contains("more"));
    auto back = decode_body<ListReply>(last);  // also what an older daemon sends
    ASSERT_TRUE(back.has_value()) << back.error().message;
    EXPECT_FALSE(back->next_offset.has_value());
    EXPECT_FALSE(back->more);
}

TEST(WireMessages, ListPaging_OutOfRangeOrInconsistentFields_AreRejected) {
    for (json bad : {json{{"max_filters", 0}}, json{{"max_filters", kListMaxFilters + 1}},
                     json{{"offset", -1}}, json{{"offset", "3"}}}) {
        auto r = decode_body<ListRequest>(bad);
        ASSERT_FALSE(r.has_value()) << bad.dump();
        EXPECT_EQ(r.error().code, Errc::InvalidArgument);
        const std::string name = bad.begin().key();
        EXPECT_NE(r.error().message.find(name), std::string::npos) << r.error().message;
    }
    auto ok = decode_body<ListRequest>(json{{"max_filters", kListMaxFilters}});
    ASSERT_TRUE(ok.has_value()) << ok.error().message;
    json more_without_offset = json{{"filters", json::array()}, {"more", true}};
    EXPECT_FALSE(decode_body<ListReply>(more_without_offset).has_value());
}

TEST(WireMessages, ConnectionsAndLedgerPaging_FieldsRoundTripAndAreOptional) {
    expect_round_trip(ConnectionsRequest{5u, 2u});
    expect_round_trip(LedgerRequest{9u, 4096u});
    const json connections = ConnectionsRequest{7u, 3u};
    EXPECT_EQ(connections["offset"], 7);
    EXPECT_EQ(connections["max_connections"], 3);
    const json ledger = LedgerRequest{7u, 3u};
    EXPECT_EQ(ledger["offset"], 7);
    EXPECT_EQ(ledger["max_entries"], 3);
    // What an older client sends, and what it gets from a daemon with nothing past one page.
    EXPECT_EQ(json(ConnectionsRequest{}), json::object());
    EXPECT_EQ(json(LedgerRequest{}), json::object());
    EXPECT_TRUE(decode_body<ConnectionsRequest>(json::object()).has_value());
    EXPECT_TRUE(decode_body<LedgerRequest>(json::object()).has_value());

    ConnectionsReply page{{ConnectionInfo{pin("a", "out"), pin("b", "in"), std::nullopt}}, 1u, true};
    const json j = page;
    EXPECT_EQ(j["next_offset"], 1);
    EXPECT_EQ(j["more"], true);
    expect_round_trip(page);
    LedgerReply ledger_page{{LedgerEntry{"cam.capture", FrameRef{7, 1, 2}, 3, "client 3"}}, 4096u, true};
    EXPECT_EQ(json(ledger_page)["next_offset"], 4096);
    expect_round_trip(ledger_page);
    const json last = LedgerReply{{}, std::nullopt, false};
    EXPECT_FALSE(last.contains("next_offset"));
    EXPECT_FALSE(last.contains("more"));
    auto old_reply =
        decode_body<ConnectionsReply>(json{{"connections", json::array()}});  // an older daemon's
    ASSERT_TRUE(old_reply.has_value()) << old_reply.error().message;
    EXPECT_FALSE(old_reply->more);
}

TEST(WireMessages, ConnectionsAndLedgerPaging_OutOfRangeOrInconsistentFields_AreRejected) {
    for (json bad : {json{{"max_connections", 0}}, json{{"max_connections", kConnectionsMaxPerPage + 1}},
                     json{{"offset", -1}}, json{{"offset", "3"}}}) {
        auto r = decode_body<ConnectionsRequest>(bad);
        ASSERT_FALSE(r.has_value()) << bad.dump();
        EXPECT_EQ(r.error().code, Errc::InvalidArgument);
        EXPECT_NE(r.error().message.find(bad.begin().key()), std::string::npos) << r.error().message;
    }
    for (json bad :
         {json{{"max_entries", 0}}, json{{"max_entries", kLedgerMaxPerPage + 1}}, json{{"offset", 1.5}}}) {
        auto r = decode_body<LedgerRequest>(bad);
        ASSERT_FALSE(r.has_value()) << bad.dump();
        EXPECT_EQ(r.error().code, Errc::InvalidArgument);
        EXPECT_NE(r.error().message.find(bad.begin().key()), std::string::npos) << r.error().message;
    }
    EXPECT_TRUE(
        decode_body<ConnectionsRequest>(json{{"max_connections", kConnectionsMaxPerPage}}).has_value());
    EXPECT_TRUE(decode_body<LedgerRequest>(json{{"max_entries", kLedgerMaxPerPage}}).has_value());
    EXPECT_FALSE(
        decode_body<ConnectionsReply>(json{{"connections", json::array()}, {"more", true}}).has_value());
    EXPECT_FALSE(
        decode_body<LedgerReply>(json{{"entries", json::array()}, {"next_offset", 3}, {"more", false}})
            .has_value());
}

TEST(WireMessages, HelloWithANameOverTheLimit_IsRejectedNamingTheField) {
    auto at_limit = decode_body<Hello>(json{
        {"protocol_version", 1}, {"role", "client"}, {"client_name", std::string(kMaxClientNameBytes, 'a')}});
    ASSERT_TRUE(at_limit.has_value()) << at_limit.error().message;
    auto over = decode_body<Hello>(json{{"protocol_version", 1},
                                        {"role", "client"},
                                        {"client_name", std::string(kMaxClientNameBytes + 1, 'a')}});
    ASSERT_FALSE(over.has_value());
    EXPECT_EQ(over.error().code, Errc::InvalidArgument);
    EXPECT_NE(over.error().message.find("/client_name"), std::string::npos) << over.error().message;
    EXPECT_NE(over.error().message.find("129 bytes; at most 128"), std::string::npos) << over.error().message;
}

}  // namespace
}  // namespace ksim::wire
