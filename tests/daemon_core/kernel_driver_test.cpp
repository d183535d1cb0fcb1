// A minidriver hosted by the in-process Kernel: the recording test driver (tests/drivers) sees
// its own callbacks — SetDeviceState one step at a time, Process only in RUN
// (PROCESS_IN_RUN_STATE_ONLY), its allocator initialized only when negotiation selects it and
// then once per pipe, Allocate/Free for every frame, DeleteAllocator at the last STOP — and its
// frames reach the kernel sink with the headers it filled.
#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>

#include "kernel_fixture.hpp"
#include "ksim/ddk_host/driver_host.hpp"
#include "ksim/negotiation/negotiate.hpp"
#include "ksim/negotiation/rules.hpp"
#include "ksim/proto/topology_loader.hpp"
#include "recording_driver.h"

namespace ksim::daemon::testing {
namespace {

using proto::PinState;

// The driver's record, read from the module the DriverHost loaded (same process).
class Recording {
public:
    Recording() {
        handle_ = ::dlopen(KSIM_RECORDING_DRIVER, RTLD_NOW);
        counts_ = reinterpret_cast<PFN_RECORDING_COUNTS>(::dlsym(handle_, "ksim_recording_counts"));
        reset_ = reinterpret_cast<PFN_RECORDING_RESET>(::dlsym(handle_, "ksim_recording_reset"));
        fail_next_ = reinterpret_cast<PFN_RECORDING_FAIL_NEXT_INITIALIZE>(
            ::dlsym(handle_, "ksim_recording_fail_next_initialize"));
        reset_();
    }
    void fail_next_initialize(NTSTATUS status) const { fail_next_(status); }
    ~Recording() { ::dlclose(handle_); }
    const RecordingCounts& operator*() const { return *counts_(); }
    const RecordingCounts* operator->() const { return counts_(); }

private:
    void* handle_ = nullptr;
    PFN_RECORDING_COUNTS counts_ = nullptr;
    PFN_RECORDING_RESET reset_ = nullptr;
    PFN_RECORDING_FAIL_NEXT_INITIALIZE fail_next_ = nullptr;
};

// camera (the recording driver's filter `filter`, NV12 64x48 @30) -> sink (kernel or user).
// `allocator`: capabilities the config declares for the driver's allocator (JSON), or empty.
std::string config(std::string_view filter, bool user_sink, std::string_view allocator = "") {
    const std::string sink =
        user_sink ? R"({"id": "sink", "kind": "user_sink", "pins": [{"id": "input", "direction": "in",
               "framing": {"simple": {"memory_type": "USER", "flags": ["PREFERENCES_ONLY"], "frames": 2,
               "alignment": "FILE_QUAD_ALIGNMENT", "min_frame_size": 0, "max_frame_size": 4294967295}}}]})"
                  : R"({"id": "sink", "kind": "kernel_sink", "pins": [{"id": "input", "direction": "in",
               "hosting": "kernel", "framing": {"simple": {"memory_type": "DONT_CARE", "flags": ["PREFERENCES_ONLY"],
               "frames": 2, "alignment": "FILE_QUAD_ALIGNMENT", "min_frame_size": 0, "max_frame_size": 4294967295}}}]})";
    return fmt::format(R"({{"ksim_topology": 1, "name": "driver-test", "filters": [
        {{"id": "camera", "driver": {{"module": "{}", "filter": "{}"}},
          "video": {{"format": "NV12", "width": 64, "height": 48, "fps": [30, 1]}}{}}}, {}],
        "connections": [{{"from": "camera.capture", "to": "sink.input"}}]}})",
                       KSIM_RECORDING_DRIVER, filter,
                       allocator.empty()
                           ? std::string()
                           : fmt::format(R"(, "pins": [{{"id": "capture", "allocator": {}}}])", allocator),
                       sink);
}

class KernelDriverTest : public KernelTest {
protected:
    proto::Topology load(std::string_view filter, bool user_sink = false, std::string_view allocator = "") {
        drivers = std::make_shared<ddk_host::DriverHost>();
        auto t = proto::load_topology_text(config(filter, user_sink, allocator), "/tests/driver-test.json",
                                           proto::LoadOptions{drivers.get()});
        if (!t) {
            ADD_FAILURE() << t.error().front().to_string();
            return {};
        }
        return *t;
    }
    // The decision negotiation makes for the one connection, as the graph manager commits it.
    AllocatorCommit commit_from_negotiation(const proto::Topology& t) {
        const negotiation::NegotiationResult r = negotiation::negotiate(t);
        const negotiation::Decision& d = r.pipes.at(0).decision;
        AllocatorCommit c;
        c.connections = {{camera, sink}};
        c.kind = d.allocator->kind;
        c.provider = proto::parse_pin_ref(d.allocator->pin).value();
        c.memory_type = d.allocator->memory_type;
        c.frame_size = d.framing.frame_size;
        c.frames = d.framing.frames;
        c.alignment_mask = d.framing.alignment_mask;
        return c;
    }
    PinState state_of(const PinRef& key) const {
        for (const FilterInfo& f : kernel->filters())
            for (const PinInfo& p : f.pins)
                if (p.key == key) return p.state;
        ADD_FAILURE() << "no pin " << key.to_string();
        return PinState::Stop;
    }
    void run_all(PinState s) {
        set(sink, s);
        set(camera, s);
    }
    Recording recording;
    std::shared_ptr<ddk_host::DriverHost> drivers;
};

TEST_F(KernelDriverTest, Load_TheFramingIsWhatThePinCreateEdited_AndNoAllocatorRoutineRuns) {
    const proto::Topology t = load("Recorder");
    const proto::PinDescriptor* pin = t.find_pin(proto::PinRef{"camera", "capture"});
    ASSERT_NE(pin, nullptr);
    ASSERT_TRUE(pin->framing.has_value());
    ASSERT_EQ(pin->framing->items.size(), 1u);
    EXPECT_EQ(pin->framing->items[0].frames, 3u);  // edited from the declared 2
    EXPECT_EQ(pin->framing->items[0].physical_range.min_frame_size, kImage);
    EXPECT_EQ(pin->framing->items[0].framing_range.range.max_frame_size, kImage);
    ASSERT_TRUE(pin->allocator.has_value());
    EXPECT_EQ(pin->allocator->name, "recorder_dma");
    EXPECT_EQ(recording->pin_create, 1u);
    EXPECT_EQ(recording->device_start, 1u);
    EXPECT_EQ(recording->initialize, 0u);
    EXPECT_EQ(recording->allocate, 0u);
}

TEST_F(KernelDriverTest, KernelConnection_SelectsTheDriversAllocator_InitializedOncePerPipe) {
    const proto::Topology t = load("Recorder");
    make(t, drivers);
    const AllocatorCommit c = commit_from_negotiation(t);
    ASSERT_EQ(c.kind, AllocatorCommit::Kind::Vendor);
    ASSERT_EQ(c.provider, camera);
    ASSERT_TRUE(kernel->commit(c).has_value()) << kernel->commit(c).error().message;
    EXPECT_EQ(recording->initialize, 0u);  // committed is not initialized

    set(sink, PinState::Acquire);
    set(camera, PinState::Acquire);
    EXPECT_EQ(recording->initialize, 1u);
    EXPECT_EQ(recording->last_frames, 3u);
    EXPECT_EQ(recording->last_frame_size, kImage);
    run_all(PinState::Pause);
    EXPECT_EQ(recording->allocate, 3u);  // the pool's frames, into the queue
    EXPECT_EQ(recording->process, 0u);   // PROCESS_IN_RUN_STATE_ONLY: not in PAUSE
    run_all(PinState::Run);
    EXPECT_GE(recording->process, 1u);
    run_periods(10);
    EXPECT_EQ(recording->process_outside_run, 0u);
    EXPECT_EQ(recording->frames_completed, 10u);
    EXPECT_EQ(stats(sink).completed, 10u);
    EXPECT_EQ(stats(sink).check_failures, 0u);  // picture numbers increase, data present
    EXPECT_EQ(stats(camera).allocator, "vendor:recorder_dma");
    EXPECT_EQ(stats(camera).vendor_calls->initialize, 1u);
    // Every frame that went round was the driver's: one Allocate per trip, one Free per return.
    EXPECT_EQ(recording->allocate, recording->free_calls + 3u);
    EXPECT_EQ(recording->allocate_null, 0u);

    set(camera, PinState::Stop);
    EXPECT_EQ(recording->remove, 0u);  // the sink is still out of STOP: the pipe lives
    set(sink, PinState::Stop);
    EXPECT_EQ(recording->remove, 1u);
    EXPECT_EQ(recording->allocate, recording->free_calls);
    EXPECT_STREQ(recording->states, "0>1,1>2,2>3,3>2,2>1,1>0");

    run_all(PinState::Acquire);  // a second ACQUIRE: a new pool, InitializeAllocator again
    EXPECT_EQ(recording->initialize, 2u);
}

TEST_F(KernelDriverTest, Connect_WhenTheKernelWiresTheTopology_DisconnectWhenItGoes) {
    const proto::Topology t = load("Recorder");
    EXPECT_EQ(recording->connect, 0u);  // offline loading (pin Create) connects nothing
    make(t, drivers);
    EXPECT_EQ(recording->connect, 1u);
    EXPECT_EQ(recording->disconnect, 0u);
    kernel.reset();
    EXPECT_EQ(recording->disconnect, 1u);
    EXPECT_EQ(recording->pin_close, 0u);  // the pin instance stays the driver host's until it goes
}

TEST_F(KernelDriverTest, UserConnection_NeverInitializesTheDriversAllocator) {
    const proto::Topology t = load("Recorder", /*user_sink=*/true);
    make(t, drivers);
    const negotiation::NegotiationResult r = negotiation::negotiate(t);
    const negotiation::Decision& d = r.pipes.at(0).decision;
    ASSERT_TRUE(d.allocator.has_value());
    EXPECT_EQ(d.allocator->kind, proto::AllocatorKind::User);
    bool rejected_by_mode = false;
    for (const auto& cand : d.candidates)
        if (cand.allocator.name == "recorder_dma" && !cand.selected)
            rejected_by_mode = !cand.reasons.empty() && cand.reasons.front().rule.starts_with("mode.");
    EXPECT_TRUE(rejected_by_mode);
    const AllocatorCommit c = commit_from_negotiation(t);
    ASSERT_TRUE(kernel->commit(c).has_value()) << kernel->commit(c).error().message;
    set(camera, PinState::Acquire);
    set(camera, PinState::Stop);
    EXPECT_EQ(recording->initialize, 0u);
    EXPECT_EQ(recording->allocate, 0u);
    EXPECT_STREQ(recording->states, "0>1,1>0");
}

// A kernel connection, but the driver's allocator (capabilities from the config this time) falls
// short of one requirement: negotiation rejects it with that capability's rule, the default
// allocator serves the pipe, and the driver's InitializeAllocator is never called.
struct Shortfall {
    const char* allocator;  // the capabilities the config declares
    std::string_view rule;  // the rule that rejects them
};

class KernelDriverShortfall : public KernelDriverTest, public ::testing::WithParamInterface<Shortfall> {};

TEST_P(KernelDriverShortfall, CapabilityShort_ItsAllocatorIsNeverInitialized) {
    const proto::Topology t = load("Recorder", false, GetParam().allocator);
    make(t, drivers);
    const negotiation::NegotiationResult r = negotiation::negotiate(t);
    const negotiation::Decision& d = r.pipes.at(0).decision;
    ASSERT_TRUE(d.allocator.has_value());
    EXPECT_EQ(d.allocator->kind, proto::AllocatorKind::Default);
    std::string rejected_by;
    for (const auto& cand : d.candidates)
        if (cand.allocator.name == "recorder_dma" && !cand.selected && !cand.reasons.empty())
            rejected_by = std::string(cand.reasons.front().rule);
    EXPECT_EQ(rejected_by, GetParam().rule);
    const AllocatorCommit c = commit_from_negotiation(t);
    ASSERT_TRUE(kernel->commit(c).has_value()) << kernel->commit(c).error().message;
    run_all(PinState::Run);
    run_periods(3);
    EXPECT_EQ(stats(sink).completed, 3u);  // frames flow, from the default allocator's pool
    run_all(PinState::Stop);
    EXPECT_EQ(recording->initialize, 0u);
    EXPECT_EQ(recording->allocate, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    EachCapability, KernelDriverShortfall,
    ::testing::Values(
        Shortfall{R"({"name": "recorder_dma", "max_frames": 1})", negotiation::rule::kCapsMaxFrames},
        Shortfall{R"({"name": "recorder_dma", "max_frames": 8, "max_frame_size": 1024})",
                  negotiation::rule::kCapsFrameSize},
        Shortfall{R"({"name": "recorder_dma", "max_frames": 8, "alignment": "FILE_QUAD_ALIGNMENT"})",
                  negotiation::rule::kCapsAlignment}),
    [](const ::testing::TestParamInfo<Shortfall>& info) {
        std::string name(info.param.rule);  // "caps.max-frames" -> "caps_max_frames"
        std::ranges::replace_if(
            name, [](char c) { return c == '.' || c == '-'; }, '_');
        return name;
    });

TEST_F(KernelDriverTest, InitializeAllocatorFails_TheStateChangeFailsNamingTheRoutineAndStatus) {
    const proto::Topology t = load("RecorderInitFails");
    make(t, drivers);
    const AllocatorCommit c = commit_from_negotiation(t);
    ASSERT_EQ(c.kind, AllocatorCommit::Kind::Vendor);
    ASSERT_TRUE(kernel->commit(c).has_value());
    // The pipe's first pin to leave STOP creates its allocator, whichever end it is.
    auto r = kernel->set_state(sink, PinState::Acquire, kDaemon);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::InsufficientResources);
    EXPECT_NE(
        r.error().message.find("InitializeAllocator returned STATUS_INSUFFICIENT_RESOURCES (0xC000009A)"),
        std::string::npos)
        << r.error().message;
    EXPECT_EQ(state_of(sink), PinState::Stop);
    EXPECT_EQ(recording->initialize, 1u);
    EXPECT_EQ(recording->set_state, 0u);  // SetDeviceState(ACQUIRE) never ran
    EXPECT_EQ(recording->remove, 0u);     // no allocator was made, none is deleted
}

TEST_F(KernelDriverTest, GenerateMappings_EachFrameIsDescribedByMappingsOfTheDeclaredLength) {
    const proto::Topology t = load("RecorderMapped");
    make(t, drivers);
    const AllocatorCommit c = commit_from_negotiation(t);
    ASSERT_EQ(c.kind, AllocatorCommit::Kind::Vendor);
    ASSERT_TRUE(kernel->commit(c).has_value());
    run_all(PinState::Run);
    run_periods(5);
    EXPECT_EQ(recording->frames_completed, 5u);
    EXPECT_EQ(recording->mapped_frames, 5u);
    EXPECT_EQ(recording->mapping_errors, 0u);                     // contiguous, and covering the whole frame
    EXPECT_EQ(recording->mapping_count, (kImage + 1023) / 1024);  // split at MaxMappingBytes
    EXPECT_EQ(recording->max_mapping_bytes, 1024u);
    EXPECT_GE(recording->first_physical, 0x100000000ll);  // inside the declared DMA window
    EXPECT_LE(recording->first_physical, 0x1FFFFFFFFll);
    run_all(PinState::Stop);
}

TEST_F(KernelDriverTest, InitializeAllocatorFails_ThePipeRecordsTheFailure_UntilAnActivationSucceeds) {
    const proto::Topology t = load("Recorder");
    make(t, drivers);
    const AllocatorCommit c = commit_from_negotiation(t);
    ASSERT_TRUE(kernel->commit(c).has_value());
    ASSERT_FALSE(kernel->connections().at(0).allocator_failure.has_value());  // committed, not failed
    recording.fail_next_initialize(static_cast<NTSTATUS>(0xC00000A3u));       // STATUS_DEVICE_NOT_READY
    clock->advance(42);
    const Ticks when = clock->now();

    auto r = kernel->set_state(sink, PinState::Acquire, kDaemon);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::InsufficientResources);  // the reply is what it was
    EXPECT_EQ(state_of(sink), PinState::Stop);

    const auto connections = kernel->connections();
    ASSERT_EQ(connections.size(), 1u);
    ASSERT_TRUE(connections[0].allocator_failure.has_value());
    const AllocatorFailure& f = *connections[0].allocator_failure;
    EXPECT_EQ(f.routine, "InitializeAllocator");
    EXPECT_EQ(f.status, 0xC00000A3u);
    EXPECT_EQ(f.status_name, "STATUS_DEVICE_NOT_READY (0xC00000A3)");
    // The KSALLOCATOR_FRAMING the driver's routine got is the record's.
    EXPECT_EQ(f.framing.frames, recording->last_frames);
    EXPECT_EQ(f.framing.frame_size, recording->last_frame_size);
    EXPECT_EQ(f.framing.file_alignment, recording->last_alignment);
    EXPECT_EQ(f.framing.flags, recording->last_options);
    EXPECT_EQ(f.framing.frames, c.frames);
    EXPECT_EQ(f.framing.frame_size, c.frame_size);
    EXPECT_EQ(f.framing.file_alignment, c.alignment_mask);
    EXPECT_EQ(f.caps.name, "recorder_dma");  // the driver's KSIM_ALLOCATOR_CAPABILITIES
    EXPECT_EQ(f.caps.max_frames, 8u);
    EXPECT_EQ(f.caps.alignment_mask, 0xFFFu);
    EXPECT_EQ(f.provider, camera);
    EXPECT_EQ(f.asked_by, sink);
    EXPECT_EQ(f.at, when);
    EXPECT_FALSE(f.fault.has_value());
    EXPECT_EQ(f.message, r.error().message);

    // The provider's statistics say why its allocator is not running; the sink has no vendor part.
    const PinStats s = stats(camera);
    EXPECT_FALSE(s.vendor_initialized);
    ASSERT_TRUE(s.vendor_failure.has_value());
    EXPECT_EQ(s.vendor_failure->status, 0xC00000A3u);
    EXPECT_FALSE(stats(sink).vendor_failure.has_value());

    // Subscribers hear it once, with the same record.
    const auto failed = events.of(KernelEvent::Type::AllocatorFailed);
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].pin, camera);
    ASSERT_TRUE(failed[0].failure.has_value());
    EXPECT_EQ(failed[0].failure->status_name, f.status_name);
    EXPECT_EQ(failed[0].failure->asked_by, sink);

    // The next STOP->ACQUIRE runs the routine again; it succeeds and the record is history.
    set(sink, PinState::Acquire);
    EXPECT_EQ(recording->initialize, 2u);
    EXPECT_FALSE(kernel->connections().at(0).allocator_failure.has_value());
    EXPECT_FALSE(stats(camera).vendor_failure.has_value());
    EXPECT_TRUE(stats(camera).vendor_initialized);
    EXPECT_EQ(events.of(KernelEvent::Type::AllocatorFailed).size(), 1u);
}

TEST_F(KernelDriverTest, DefaultAllocator_ServesADriverWithoutAllocatorDispatch) {
    const proto::Topology t = load("RecorderNoAllocator");
    make(t, drivers);
    const AllocatorCommit c = commit_from_negotiation(t);
    ASSERT_EQ(c.kind, AllocatorCommit::Kind::Default);
    ASSERT_TRUE(kernel->commit(c).has_value());
    run_all(PinState::Run);
    run_periods(4);
    EXPECT_EQ(stats(sink).completed, 4u);
    EXPECT_EQ(stats(sink).check_failures, 0u);
    run_all(PinState::Stop);
    EXPECT_EQ(recording->initialize, 0u);
}

// --- validation of driver configs ---------------------------------------------------------------

proto::Diagnostics load_errors(const std::string& text) {
    ddk_host::DriverHost host;
    auto t = proto::load_topology_text(text, "/tests/driver-test.json", proto::LoadOptions{&host});
    return t ? proto::Diagnostics{} : t.error();
}

std::string one_filter(std::string_view driver_json, std::string_view extra = "") {
    return fmt::format(R"({{"ksim_topology": 1, "filters": [{{"id": "camera", "driver": {},
        "video": {{"format": "NV12", "width": 64, "height": 48}}{}}}]}})",
                       driver_json, extra);
}

TEST(DriverConfig, MissingModule_IsNamedWithItsPath) {
    const auto d = load_errors(one_filter(R"({"module": "/nonexistent/libnothing.so", "filter": "X"})"));
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].rule, "driver.module-missing");
    EXPECT_EQ(d[0].pointer, "/filters/0/driver/module");
    EXPECT_NE(d[0].message.find("/nonexistent/libnothing.so"), std::string::npos);
}

TEST(DriverConfig, UnknownFilterName_ListsTheModulesFilters) {
    const auto d = load_errors(
        one_filter(fmt::format(R"({{"module": "{}", "filter": "Nope"}})", KSIM_RECORDING_DRIVER)));
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].rule, "driver.unknown-filter");
    EXPECT_EQ(d[0].pointer, "/filters/0/driver/filter");
    EXPECT_NE(d[0].hint.find("Recorder, RecorderInitFails, RecorderNoAllocator"), std::string::npos)
        << d[0].hint;
}

TEST(DriverConfig, ConfigPinTheDescriptorLacks_IsRefused) {
    const auto d = load_errors(
        one_filter(fmt::format(R"({{"module": "{}", "filter": "Recorder"}})", KSIM_RECORDING_DRIVER),
                   R"(, "pins": [{"id": "preview"}])"));
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].rule, "driver.unknown-pin");
    EXPECT_EQ(d[0].pointer, "/filters/0/pins/0/id");
    EXPECT_NE(d[0].hint.find("capture"), std::string::npos);
}

TEST(DriverConfig, ModuleWithoutDriverEntry_NamesTheSymbol) {
    // Any shared object without DriverEntry: libc's math library is always there.
    const auto d = load_errors(one_filter(R"({"module": "/lib/x86_64-linux-gnu/libm.so.6", "filter": "X"})"));
    ASSERT_EQ(d.size(), 1u);
    // Debian's libm belongs to root and is not group-writable, so only the symbol is missing.
    EXPECT_EQ(d[0].rule, "driver.entry-missing");
    EXPECT_NE(d[0].message.find("DriverEntry"), std::string::npos);
}

TEST(DriverConfig, ModuleBuiltAgainstAnotherApiVersion_IsRefusedNamingBothVersions) {
    const auto d =
        load_errors(one_filter(fmt::format(R"({{"module": "{}", "filter": "X"}})", KSIM_OLD_ABI_DRIVER)));
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].rule, "driver.abi-version");
    EXPECT_EQ(d[0].pointer, "/filters/0/driver/module");
    EXPECT_NE(d[0].message.find("API version 1;"), std::string::npos) << d[0].message;
    EXPECT_NE(d[0].message.find(fmt::format("implements version {}", KSIM_DDK_ABI_VERSION)),
              std::string::npos)
        << d[0].message;
}

TEST(DriverConfig, GroupWritableModule_IsRefused) {
    const std::string copy = fmt::format("/tmp/ksim-driver-perm-{}.so", ::getpid());
    std::filesystem::copy_file(KSIM_RECORDING_DRIVER, copy,
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::permissions(copy, std::filesystem::perms::group_write,
                                 std::filesystem::perm_options::add);
    const auto d = load_errors(one_filter(fmt::format(R"({{"module": "{}", "filter": "Recorder"}})", copy)));
    std::filesystem::remove(copy);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].rule, "driver.module-permissions");
    EXPECT_NE(d[0].message.find("writable by its group"), std::string::npos) << d[0].message;
}

TEST(DriverConfig, WithoutALoader_ADriverFilterIsInvalid) {
    auto t = proto::load_topology_text(one_filter(R"({"module": "x.so", "filter": "X"})"), "/tests/x.json");
    ASSERT_FALSE(t.has_value());
    EXPECT_EQ(t.error().at(0).rule, "driver.no-loader");
}

}  // namespace
}  // namespace ksim::daemon::testing
