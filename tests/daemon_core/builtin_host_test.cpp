// DriverHost::host_static: a driver linked into the process takes the loaded module's path —
// DriverEntry's result checked, filter and pin Create per config pin, every call inside the
// DriverCall marker that names the driver (so a crash in it is the bugcheck naming it).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ksim/ddk_host/driver_call.hpp"
#include "ksim/ddk_host/driver_host.hpp"

namespace ksim::daemon::testing {
namespace {

struct SeenCall {
    std::string module;
    std::string routine;
    std::string object;
};
std::vector<SeenCall> g_seen;

void note_call() {
    const ddk_host::DriverCall* call = ddk_host::DriverCall::current();
    ASSERT_NE(call, nullptr);
    g_seen.push_back({call->module() ? call->module()->file_name : "", call->routine(), call->object()});
}

NTSTATUS test_pin_create(PKSPIN, PIRP) {
    note_call();
    return STATUS_SUCCESS;
}

constexpr KSPIN_DISPATCH kPinDispatch = {test_pin_create, nullptr, nullptr, nullptr, nullptr,
                                         nullptr,         nullptr, nullptr, nullptr, nullptr};
constexpr KSPIN_DESCRIPTOR_EX kPins[] = {
    {&kPinDispatch,
     nullptr,
     {0, nullptr, 0, nullptr, 0, nullptr, KSPIN_DATAFLOW_IN, KSPIN_COMMUNICATION_BOTH, nullptr, nullptr},
     0,
     0xFFFFFFFFu,
     0,
     nullptr,
     nullptr,
     "input",
     nullptr}};
constexpr KSFILTER_DESCRIPTOR kFilter = {
    nullptr, nullptr, KSFILTER_DESCRIPTOR_VERSION, 0, nullptr, 1, sizeof(KSPIN_DESCRIPTOR_EX), kPins, 0,
    nullptr, "Test"};
constexpr const KSFILTER_DESCRIPTOR* kFilters[] = {&kFilter};
constexpr KSDEVICE_DESCRIPTOR kDevice = {nullptr, 1, kFilters, KSDEVICE_DESCRIPTOR_VERSION, 0};

NTSTATUS test_entry(PDRIVER_OBJECT driver, PCUNICODE_STRING registry_path) {
    note_call();
    return KsInitializeDriver(driver, registry_path, &kDevice);
}
NTSTATUS failing_entry(PDRIVER_OBJECT, PCUNICODE_STRING) {
    return STATUS_UNSUCCESSFUL;
}

proto::FilterDescriptor sink_filter() {
    proto::FilterDescriptor f;
    f.id = "checker";
    f.kind = proto::FilterKind::KernelSink;
    f.pointer = "/filters/0";
    for (const char* id : {"in1", "in2"}) {
        proto::PinDescriptor p;
        p.id = id;
        p.direction = proto::PinDirection::In;
        p.hosting = proto::PinHosting::Kernel;
        f.pins.push_back(p);
    }
    proto::PinDescriptor out;
    out.id = "out";
    out.direction = proto::PinDirection::Out;
    out.hosting = proto::PinHosting::Kernel;
    f.pins.push_back(out);
    return f;
}

TEST(BuiltinHost, StaticDriver_RunsDriverEntryAndEachConfigPinsCreate_InsideTheMarkerNamingIt) {
    g_seen.clear();
    ddk_host::DriverHost host;
    auto hosted = host.host_static(sink_filter(), ddk_host::StaticDriver{"builtin:test", &test_entry});
    ASSERT_TRUE(hosted.has_value()) << hosted.error().message;
    ASSERT_EQ(g_seen.size(), 3u);
    EXPECT_EQ(g_seen[0].module, "builtin:test");
    EXPECT_EQ(g_seen[0].routine, std::string("DriverEntry"));
    EXPECT_EQ(g_seen[1].routine, std::string("KSPIN_DISPATCH.Create"));
    EXPECT_EQ(g_seen[1].object, "filter 'checker' pin 'in1'");
    EXPECT_EQ(g_seen[2].module, "builtin:test");
    EXPECT_EQ(g_seen[2].object, "filter 'checker' pin 'in2'");
    // Named by the config's ids; the output pin has no descriptor of its direction.
    ASSERT_NE(host.find_pin("checker", "in2"), nullptr);
    EXPECT_EQ(host.find_pin("checker", "in2")->device().module->path, "builtin:test");
    EXPECT_EQ(host.find_pin("checker", "out"), nullptr);
    EXPECT_EQ(ddk_host::DriverCall::current(), nullptr);  // every marker ended
}

TEST(BuiltinHost, StaticDriverWhoseDriverEntryFails_IsRefusedNamingItAndTheStatus) {
    ddk_host::DriverHost host;
    auto hosted = host.host_static(sink_filter(), ddk_host::StaticDriver{"builtin:broken", &failing_entry});
    ASSERT_FALSE(hosted.has_value());
    EXPECT_EQ(hosted.error().rule, "driver.entry-failed");
    EXPECT_NE(hosted.error().message.find("builtin:broken"), std::string::npos) << hosted.error().message;
    EXPECT_EQ(hosted.error().pointer, "/filters/0/kind");
}

}  // namespace
}  // namespace ksim::daemon::testing
