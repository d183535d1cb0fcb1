// One test per validation rule: a minimal config broken in exactly one way, asserting the rule
// id, the JSON pointer and the message.
#include "config_test_util.hpp"

using namespace ksim::proto;
using namespace ksim::proto::test;
using nlohmann::json;

namespace {
constexpr const char* kSimple = "/filters/0/pins/0/framing/simple";
json& simple(json& c) {
    return c["filters"][0]["pins"][0]["framing"]["simple"];
}
json& capture_pin(json& c) {
    return c["filters"][0]["pins"][0];
}
json& viewer_pin(json& c) {
    return c["filters"][1]["pins"][0];
}
json items_framing() {
    return json::parse(R"({"items": [{"memory_type": "KERNEL_NONPAGED", "frames": 2,
        "physical_range": {"min": 0, "max": 4096, "stepping": 1},
        "framing_range": {"min": 0, "max": 4096, "stepping": 1}}]})");
}
}  // namespace

TEST(TopologyRules, MinimalConfig_Validates) {
    EXPECT_TRUE(diagnostics_of(minimal_config()).empty());
}

TEST(TopologyRules, UnknownKey_ReportedWithDidYouMean) {
    json c = minimal_config();
    capture_pin(c)["framming"] = json::object();
    expect_single(c, "key.unknown", "/filters/0/pins/0/framming", "unknown key \"framming\"");
    EXPECT_NE(diagnostics_of(c)[0].hint.find("did you mean \"framing\""), std::string::npos);
}

TEST(TopologyRules, MissingRequiredKey_Reported) {
    json c = minimal_config();
    c["filters"][1].erase("kind");
    expect_single(c, "key.missing", "/filters/1", "\"kind\"");
}

TEST(TopologyRules, WrongType_Reported) {
    json c = minimal_config();
    simple(c)["frames"] = "two";
    expect_single(c, "type.mismatch", std::string(kSimple) + "/frames", "expected an unsigned integer");
}

TEST(TopologyRules, NegativeOrOversizedNumber_OutOfRange) {
    json c = minimal_config();
    simple(c)["max_frame_size"] = 4294967296ull;
    expect_single(c, "value.out-of-range", std::string(kSimple) + "/max_frame_size", "does not fit a ULONG");
}

TEST(TopologyRules, MinGreaterThanMax_Reported) {
    json c = minimal_config();
    simple(c)["min_frame_size"] = 8192;
    expect_single(c, "range.min-gt-max", std::string(kSimple) + "/min_frame_size", "8192 is greater than");
}

TEST(TopologyRules, SteppingLargerThanSpan_Reported) {
    json c = minimal_config();
    json f = items_framing();
    f["items"][0]["physical_range"]["stepping"] = 8192;
    capture_pin(c)["framing"] = f;
    expect_single(c, "range.stepping", "/filters/0/pins/0/framing/items/0/physical_range/stepping",
                  "larger than the span 4096");
}

TEST(TopologyRules, SteppingNotDividingSpan_Reported) {
    json c = minimal_config();
    json f = items_framing();
    f["items"][0]["framing_range"]["stepping"] = 1000;
    capture_pin(c)["framing"] = f;
    expect_single(c, "range.stepping", "/filters/0/pins/0/framing/items/0/framing_range/stepping",
                  "does not divide the span 4096");
}

TEST(TopologyRules, ZeroFrames_Reported) {
    json c = minimal_config();
    simple(c)["frames"] = 0;
    expect_single(c, "frames.zero", std::string(kSimple) + "/frames", "frame count 0");
}

TEST(TopologyRules, AbsurdFrames_Reported) {
    json c = minimal_config();
    simple(c)["frames"] = 100000;
    expect_single(c, "frames.absurd", std::string(kSimple) + "/frames", "100000 is absurd");
}

TEST(TopologyRules, AlignmentNotMask_Reported) {
    json c = minimal_config();
    simple(c)["alignment"] = 6;
    expect_single(c, "alignment.not-mask", std::string(kSimple) + "/alignment", "not of the form 2^n-1");
}

TEST(TopologyRules, AlignmentBytesNotPowerOfTwo_Reported) {
    json c = minimal_config();
    simple(c)["alignment"] = {{"bytes", 48}};
    expect_single(c, "alignment.not-mask", std::string(kSimple) + "/alignment/bytes", "not a power of two");
}

TEST(TopologyRules, UnknownAlignmentName_Reported) {
    json c = minimal_config();
    simple(c)["alignment"] = "FILE_QUAD_ALIGMENT";
    expect_single(c, "alignment.unknown-name", std::string(kSimple) + "/alignment", "FILE_QUAD_ALIGMENT");
}

TEST(TopologyRules, CompressionDenominatorZero_Reported) {
    json c = minimal_config();
    json f = items_framing();
    f["output_compression"] = {{"numerator", 1}, {"denominator", 0}};
    capture_pin(c)["framing"] = f;
    expect_single(c, "compression.denominator-zero",
                  "/filters/0/pins/0/framing/output_compression/denominator", "denominator is 0");
}

TEST(TopologyRules, UnknownFlagName_Reported) {
    json c = minimal_config();
    simple(c)["flags"] = {"SYSTEM_MEMORY", "PREFERENCE_ONLY"};
    expect_single(c, "flags.unknown-name", std::string(kSimple) + "/flags/1", "PREFERENCE_ONLY");
}

TEST(TopologyRules, UnknownMemoryType_Reported) {
    json c = minimal_config();
    simple(c)["memory_type"] = "KERNEL_NONPAGD";
    expect_single(c, "memory-type.unknown", std::string(kSimple) + "/memory_type", "KERNEL_NONPAGD");
}

TEST(TopologyRules, MalformedDeclaredGuid_Reported) {
    json c = minimal_config();
    c["memory_types"] = {{"VENDOR", "not-a-guid"}};
    expect_single(c, "guid.malformed", "/memory_types/VENDOR", "not a GUID");
}

TEST(TopologyRules, RedefinedWellKnownMemoryType_Reported) {
    json c = minimal_config();
    c["memory_types"] = {{"USER", "6B1F5A3C-2D4E-4F70-9A81-5C3D2E1F0A01"}};
    expect_single(c, "memory-type.redefined", "/memory_types/USER", "well-known");
}

TEST(TopologyRules, UnknownFilterKind_Reported) {
    json c = minimal_config();
    c["filters"][1]["kind"] = "user_snk";
    expect_single(c, "value.unknown-name", "/filters/1/kind", "user_snk");
}

TEST(TopologyRules, CaptureFilterWithoutVideo_Reported) {
    json c = minimal_config();
    c["filters"][0].erase("video");
    expect_single(c, "filter.params-missing", "/filters/0", "needs \"video\"");
}

TEST(TopologyRules, InPlaceTransformWithoutAnInPlacePair_Reported) {
    json c = minimal_config();
    c["filters"].push_back(
        {{"id", "overlay"},
         {"kind", "inplace_transform"},
         {"pins", json::array({{{"id", "input"}, {"direction", "in"}, {"hosting", "kernel"}},
                               {{"id", "output"}, {"direction", "out"}, {"hosting", "kernel"}}})}});
    expect_single(c, "filter.in-place-pair", "/filters/2",
                  "has 1 input and 1 output pin(s), 0 of them declaring INPLACE_MODIFIER");
}

TEST(TopologyRules, DuplicatePinId_Reported) {
    json c = minimal_config();
    json extra = viewer_pin(c);
    c["filters"][1]["pins"].push_back(extra);
    expect_single(c, "id.duplicate", "/filters/1/pins/1/id", "\"input\" is used twice");
}

TEST(TopologyRules, IdWithDot_Reported) {
    json c = minimal_config();
    c["filters"].push_back({{"id", "a.b"}, {"kind", "kernel_sink"}, {"pins", json::array()}});
    expect_single(c, "id.invalid", "/filters/2/id", "contains '.'");
}

TEST(TopologyRules, PinIdWithDot_Reported) {
    json c = minimal_config();
    c["filters"][1]["pins"].push_back({{"id", "in.put"}, {"direction", "in"}, {"hosting", "user"}});
    expect_single(c, "id.invalid", "/filters/1/pins/1/id", "id \"in.put\" is empty or contains '.'");
}

TEST(TopologyRules, EmptyPinId_Reported) {
    json c = minimal_config();
    c["filters"][1]["pins"].push_back({{"id", ""}, {"direction", "in"}, {"hosting", "user"}});
    expect_single(c, "id.invalid", "/filters/1/pins/1/id", "is empty or contains '.'");
}

TEST(TopologyRules, UnknownPinInConnection_Reported) {
    json c = minimal_config();
    c["connections"][0]["to"] = "viewer.inptu";
    expect_single(c, "connection.unknown-pin", "/connections/0/to", "no pin \"inptu\"");
    EXPECT_NE(diagnostics_of(c)[0].hint.find("viewer.input"), std::string::npos);
}

TEST(TopologyRules, UnknownFilterInConnection_Reported) {
    json c = minimal_config();
    c["connections"][0]["from"] = "camra.capture";
    expect_single(c, "connection.unknown-pin", "/connections/0/from", "no filter \"camra\"");
}

TEST(TopologyRules, MalformedPinReference_Reported) {
    json c = minimal_config();
    c["connections"][0]["to"] = "viewer";
    expect_single(c, "connection.malformed-ref", "/connections/0/to", "not \"filter.pin\"");
}

// Ids contain no '.', so a reference with two dots names no pin rather than "viewer" / "in.put".
TEST(TopologyRules, PinReferenceWithTwoDots_IsMalformed) {
    json c = minimal_config();
    c["connections"][0]["to"] = "viewer.in.put";
    expect_single(c, "connection.malformed-ref", "/connections/0/to",
                  "\"viewer.in.put\" is not \"filter.pin\"");
}

TEST(TopologyRules, PinReferenceWithAnEmptyPart_IsMalformed) {
    for (const char* ref : {".input", "viewer.", "."}) {
        json c = minimal_config();
        c["connections"][0]["to"] = ref;
        expect_single(c, "connection.malformed-ref", "/connections/0/to", "not \"filter.pin\"");
    }
}

TEST(TopologyRules, DirectionMismatch_Reported) {
    json c = minimal_config();
    viewer_pin(c)["direction"] = "out";
    expect_single(c, "connection.direction", "/connections/0/to", "is an output pin");
}

TEST(TopologyRules, PinConnectedTwice_Reported) {
    json c = minimal_config();
    c["filters"][1]["pins"].push_back({{"id", "second"}, {"direction", "in"}, {"hosting", "user"}});
    c["connections"].push_back({{"from", "camera.capture"}, {"to", "viewer.second"}});
    expect_single(c, "connection.pin-reused", "/connections/1/from",
                  "already connected at /connections/0/from");
}

TEST(TopologyRules, KernelAllocatorOnUserPin_Reported) {
    json c = minimal_config();
    viewer_pin(c)["allocator"] = {{"name", "dma"}, {"max_frames", 4}};
    expect_single(c, "allocator.kernel-on-user-pin", "/filters/1/pins/0/allocator",
                  "kernel-mode allocator \"dma\"");
}

TEST(TopologyRules, UserModeAllocatorOnUserPin_Accepted) {
    json c = minimal_config();
    viewer_pin(c)["allocator"] = {{"name", "shm"}, {"mode", "user"}, {"max_frames", 4}};
    EXPECT_TRUE(diagnostics_of(c).empty());
}

TEST(TopologyRules, AllocatorWindowInverted_Reported) {
    json c = minimal_config();
    capture_pin(c)["allocator"] = {
        {"name", "dma"}, {"max_frames", 4}, {"physical_window", {"0x2000", "0x1000"}}};
    expect_single(c, "range.min-gt-max", "/filters/0/pins/0/allocator/physical_window/0", "is above high");
}

TEST(TopologyRules, AllocatorBoundaryNotPowerOfTwo_Reported) {
    json c = minimal_config();
    capture_pin(c)["allocator"] = {{"name", "dma"}, {"max_frames", 4}, {"boundary", 3000}};
    expect_single(c, "allocator.boundary", "/filters/0/pins/0/allocator/boundary", "3000");
}

TEST(TopologyRules, AllocatorZeroMaxFrames_Reported) {
    json c = minimal_config();
    capture_pin(c)["allocator"] = {{"name", "dma"}, {"max_frames", 0}};
    expect_single(c, "frames.zero", "/filters/0/pins/0/allocator/max_frames", "frame count 0");
}

TEST(TopologyRules, ScatterGatherWithZeroEntries_Reported) {
    json c = minimal_config();
    capture_pin(c)["allocator"] = {{"name", "dma"}, {"max_frames", 4}, {"max_sg_entries", 0}};
    expect_single(c, "allocator.sg-entries-zero", "/filters/0/pins/0/allocator/max_sg_entries", "0 entries");
}

TEST(TopologyRules, FramingAndLegacyFramingTogether_Reported) {
    json c = minimal_config();
    capture_pin(c)["legacy_framing"] = {{"frames", 2}, {"frame_size", 6144}};
    expect_single(c, "framing.conflict", "/filters/0/pins/0/legacy_framing", "not both");
}

TEST(TopologyRules, FramingWithoutSimpleOrItems_Reported) {
    json c = minimal_config();
    capture_pin(c)["framing"] = json::object();
    expect_single(c, "framing.shape", "/filters/0/pins/0/framing", "exactly one");
}

TEST(TopologyRules, EmptyItems_Reported) {
    json c = minimal_config();
    capture_pin(c)["framing"] = {{"items", json::array()}};
    expect_single(c, "framing.no-items", "/filters/0/pins/0/framing/items", "no items");
}

TEST(TopologyRules, KernelHostedPinOnUserFilter_Reported) {
    json c = minimal_config();
    viewer_pin(c)["hosting"] = "kernel";
    expect_single(c, "pin.hosting-kind", "/filters/1/pins/0/hosting", "cannot be kernel-hosted");
}

TEST(TopologyRules, UnsupportedVersion_Reported) {
    json c = minimal_config();
    c["ksim_topology"] = 2;
    expect_single(c, "version.unsupported", "/ksim_topology", "version 2");
}

TEST(TopologyRules, UnknownPoolType_Reported) {
    json c = minimal_config();
    viewer_pin(c)["legacy_framing"] = {{"pool_type", "NonPaged"}};
    expect_single(c, "value.unknown-name", "/filters/1/pins/0/legacy_framing/pool_type", "NonPaged");
}

TEST(TopologyRules, ZeroFrameRateTerm_Reported) {
    json c = minimal_config();
    c["filters"][0]["video"]["fps"] = {30, 0};
    expect_single(c, "value.out-of-range", "/filters/0/video/fps", "zero");
}

TEST(TopologyRules, SyntaxError_ReportedWithLineAndColumn) {
    auto r = load_topology_text("{\n  \"ksim_topology\": 1,\n  \"filters\": [,]\n}", "s.json");
    ASSERT_FALSE(r);
    ASSERT_EQ(r.error().size(), 1u);
    EXPECT_EQ(r.error()[0].rule, "json.syntax");
    EXPECT_EQ(r.error()[0].line, 3);
    EXPECT_EQ(r.error()[0].column, 15);
}

TEST(TopologyRules, SeveralProblems_AllReportedInOnePass) {
    json c = minimal_config();
    simple(c)["frames"] = 0;
    simple(c)["alignment"] = 5;
    c["connections"][0]["to"] = "viewer.nope";
    capture_pin(c)["bogus"] = 1;
    Diagnostics d = diagnostics_of(c);
    ASSERT_EQ(d.size(), 4u);
    std::vector<std::string> rules;
    for (const auto& x : d) rules.push_back(x.rule);
    std::sort(rules.begin(), rules.end());
    EXPECT_EQ(rules, (std::vector<std::string>{"alignment.not-mask", "connection.unknown-pin", "frames.zero",
                                               "key.unknown"}));
}

TEST(TopologyRules, UnknownBusType_Reported) {
    json c = minimal_config();
    viewer_pin(c)["medium"] = "PCIE";
    expect_single(c, "bus-type.unknown", "/filters/1/pins/0/medium", "PCIE");
}

TEST(TopologyRules, DuplicateFilterId_Reported) {
    json c = minimal_config();
    c["filters"].push_back({{"id", "viewer"}, {"kind", "kernel_sink"}, {"pins", json::array()}});
    expect_single(c, "id.duplicate", "/filters/2/id", "filter id \"viewer\" is used twice");
}

TEST(TopologyRules, DeclaredMemoryType_UsableByName) {
    json c = minimal_config();
    c["memory_types"] = {{"VENDOR_VRAM", "6B1F5A3C-2D4E-4F70-9A81-5C3D2E1F0A01"}};
    simple(c)["memory_type"] = "VENDOR_VRAM";
    auto r = load_topology_text(c.dump(), "t.json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->filters[0].pins[0].framing->items[0].memory_type,
              make_guid("6B1F5A3C-2D4E-4F70-9A81-5C3D2E1F0A01"));
}

// --- faults -------------------------------------------------------------------------------------

namespace {
json with_fault(json fault) {
    json c = minimal_config();
    c["faults"] = json::array({std::move(fault)});
    return c;
}
}  // namespace

TEST(TopologyRules, Faults_ValidOnesLoadIntoTheModel) {
    json c = minimal_config();
    c["faults"] = json::parse(R"([{"kind": "pool_exhaustion", "pin": "camera.capture", "frames": 1},
        {"kind": "drop_interrupts", "pin": "camera.capture", "every": 3},
        {"kind": "delay_interrupts", "pin": "camera.capture", "microseconds": 5000},
        {"kind": "stall_releases", "pin": "viewer.input", "microseconds": 200000},
        {"kind": "disconnect_client", "pin": "viewer.input", "frames": 30}])");
    auto t = load_topology_text(c.dump(2), "test.json");
    ASSERT_TRUE(t.has_value()) << t.error().front().to_string();
    ASSERT_EQ(t->faults.size(), 5u);
    EXPECT_EQ(t->faults[0].kind, FaultKind::PoolExhaustion);
    EXPECT_EQ(t->faults[0].frames, 1u);
    EXPECT_EQ(t->faults[1].every, 3u);
    EXPECT_EQ(t->faults[2].microseconds, 5000u);
    EXPECT_EQ(t->faults[2].pin, (PinRef{"camera", "capture"}));
    EXPECT_EQ(t->faults[2].pointer, "/faults/2");
    EXPECT_EQ(t->faults[3].kind, FaultKind::StallReleases);
    EXPECT_EQ(t->faults[3].microseconds, 200000u);
    EXPECT_EQ(t->faults[4].kind, FaultKind::DisconnectClient);
    EXPECT_EQ(t->faults[4].frames, 30u);
    EXPECT_EQ(t->faults[4].pin, (PinRef{"viewer", "input"}));
}

TEST(TopologyRules, Fault_StallReleasesOnAKernelSink_Loads) {
    json c = minimal_config();
    c["filters"][1] = json::parse(R"({"id": "viewer", "kind": "kernel_sink",
        "pins": [{"id": "input", "direction": "in", "hosting": "kernel"}]})");
    c["faults"] = json::parse(R"([{"kind": "stall_releases", "pin": "viewer.input", "microseconds": 1}])");
    auto t = load_topology_text(c.dump(2), "test.json");
    ASSERT_TRUE(t.has_value()) << t.error().front().to_string();
    EXPECT_EQ(t->faults[0].microseconds, 1u);
}

TEST(TopologyRules, Fault_UnknownPin_NamesPointerAndGuess) {
    expect_single(
        with_fault(json::parse(R"({"kind": "pool_exhaustion", "pin": "camera.captur", "frames": 1})")),
        "fault.unknown-pin", "/faults/0/pin", "filter \"camera\" has no pin \"captur\"");
}

TEST(TopologyRules, Fault_UnknownKind_DidYouMean) {
    json c = with_fault(json::parse(R"({"kind": "pool_exhaustian", "pin": "camera.capture", "frames": 1})"));
    expect_single(c, "fault.unknown-kind", "/faults/0/kind", "unknown fault kind \"pool_exhaustian\"");
    EXPECT_NE(diagnostics_of(c)[0].hint.find("did you mean \"pool_exhaustion\""), std::string::npos);
}

TEST(TopologyRules, Fault_BadNumbers_Reported) {
    expect_single(
        with_fault(json::parse(R"({"kind": "pool_exhaustion", "pin": "camera.capture", "frames": 0})")),
        "value.out-of-range", "/faults/0/frames", "frames is 0");
    expect_single(
        with_fault(json::parse(R"({"kind": "drop_interrupts", "pin": "camera.capture", "every": 1})")),
        "value.out-of-range", "/faults/0/every", "every is 1");
    expect_single(with_fault(json::parse(
                      R"({"kind": "delay_interrupts", "pin": "camera.capture", "microseconds": -5})")),
                  "value.out-of-range", "/faults/0/microseconds", "does not fit a ULONG");
    expect_single(
        with_fault(json::parse(R"({"kind": "stall_releases", "pin": "viewer.input", "microseconds": 0})")),
        "value.out-of-range", "/faults/0/microseconds", "microseconds is 0: no stall");
    expect_single(
        with_fault(json::parse(R"({"kind": "disconnect_client", "pin": "viewer.input", "frames": 0})")),
        "value.out-of-range", "/faults/0/frames", "frames is 0: the client would be disconnected before");
}

TEST(TopologyRules, Fault_MissingOrForeignParameter_Reported) {
    expect_single(with_fault(json::parse(R"({"kind": "pool_exhaustion", "pin": "camera.capture"})")),
                  "fault.param-missing", "/faults/0", "needs \"frames\"");
    expect_single(with_fault(json::parse(
                      R"({"kind": "drop_interrupts", "pin": "camera.capture", "every": 2, "frames": 1})")),
                  "fault.param-unexpected", "/faults/0/frames", "takes no \"frames\"");
    expect_single(with_fault(json::parse(R"({"kind": "stall_releases", "pin": "viewer.input"})")),
                  "fault.param-missing", "/faults/0", "a stall_releases fault needs \"microseconds\"");
    expect_single(with_fault(json::parse(R"({"kind": "disconnect_client", "pin": "viewer.input"})")),
                  "fault.param-missing", "/faults/0", "a disconnect_client fault needs \"frames\"");
    expect_single(
        with_fault(json::parse(
            R"({"kind": "disconnect_client", "pin": "viewer.input", "frames": 3, "microseconds": 9})")),
        "fault.param-unexpected", "/faults/0/microseconds", "a disconnect_client fault takes no");
}

TEST(TopologyRules, Fault_PinOfTheWrongKind_Reported) {
    expect_single(
        with_fault(json::parse(R"({"kind": "drop_interrupts", "pin": "viewer.input", "every": 2})")),
        "fault.pin-kind", "/faults/0/pin", "no hardware interrupts");
    expect_single(with_fault(json::parse(R"({"kind": "vendor_initialize_fails", "pin": "camera.capture"})")),
                  "fault.pin-kind", "/faults/0/pin", "declares no vendor allocator");
    expect_single(
        with_fault(json::parse(R"({"kind": "stall_releases", "pin": "camera.capture", "microseconds": 9})")),
        "fault.pin-kind", "/faults/0/pin", "camera.capture is not a sink pin");
    expect_single(
        with_fault(json::parse(R"({"kind": "disconnect_client", "pin": "camera.capture", "frames": 3})")),
        "fault.pin-kind", "/faults/0/pin", "camera.capture is kernel-hosted, so no client hosts it");
}

TEST(TopologyRules, Fault_UnknownStatusAndDuplicate_Reported) {
    json c = minimal_config();
    capture_pin(c)["allocator"] = json::parse(R"({"name": "dma", "max_frames": 4})");
    c["faults"] = json::parse(R"([{"kind": "vendor_initialize_fails", "pin": "camera.capture",
                                   "status": "STATUS_NO_MEMORI"}])");
    expect_single(c, "value.unknown-name", "/faults/0/status", "unknown NTSTATUS \"STATUS_NO_MEMORI\"");
    c["faults"] = json::parse(R"([{"kind": "vendor_initialize_fails", "pin": "camera.capture"},
                                  {"kind": "vendor_initialize_fails", "pin": "camera.capture"}])");
    expect_single(c, "fault.duplicate", "/faults/1", "a second vendor_initialize_fails fault");
}

TEST(TopologyRules, Fault_SchemaExampleLoadsInTheValidator) {
    // The same file the schema test accepts (tests/proto/CMakeLists.txt): schema and validator agree.
    auto t = load_topology_file(std::string(KSIM_TEST_DATA_DIR) + "/faults.json");
    ASSERT_TRUE(t.has_value()) << t.error().front().to_string();
    EXPECT_EQ(t->faults.size(), 6u);
    EXPECT_EQ(t->faults[0].status, 0xC00000A3u);  // STATUS_DEVICE_NOT_READY
}
