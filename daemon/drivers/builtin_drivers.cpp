// The registry of built-in drivers (see builtin_drivers.hpp): one row per kind that is a driver.
#include "builtin_drivers.hpp"

namespace ksim::daemon {
namespace {

struct BuiltinRow {
    proto::FilterKind kind;
    ddk_host::StaticDriver driver;
};

constexpr BuiltinRow kBuiltinDrivers[] = {
    {proto::FilterKind::KernelSink, {"builtin:kernel_sink", &kernel_sink_driver_entry}},
    {proto::FilterKind::InPlaceTransform, {"builtin:inplace_transform", &inplace_transform_driver_entry}},
    {proto::FilterKind::CopyTransform, {"builtin:copy_transform", &copy_transform_driver_entry}},
    {proto::FilterKind::VideoCapture, {"builtin:video_capture", &video_capture_driver_entry}},
    {proto::FilterKind::AudioCapture, {"builtin:audio_capture", &audio_capture_driver_entry}},
};

}  // namespace

const ddk_host::StaticDriver* builtin_driver(proto::FilterKind kind) {
    for (const BuiltinRow& row : kBuiltinDrivers)
        if (row.kind == kind) return &row.driver;
    return nullptr;
}

}  // namespace ksim::daemon
