// The built-in drivers: the filter kinds of a topology that ksimd hosts with a driver linked
// into it, on the same driver API and host path as a loaded module (docs/minidriver.md,
// "Built-in drivers"). A config names them by kind only; its pins and framing stay the config's.
#pragma once

#include "ksim/ddk_host/driver_host.hpp"
#include "ksim/proto/topology.hpp"

namespace ksim::daemon {

// The built-in driver of filters of `kind`; null for a kind the class driver still hosts itself.
const ddk_host::StaticDriver* builtin_driver(proto::FilterKind kind);

// Each built-in driver's DriverEntry (one file per driver, daemon/drivers/<kind>/).
NTSTATUS kernel_sink_driver_entry(PDRIVER_OBJECT driver, PCUNICODE_STRING registry_path);
NTSTATUS inplace_transform_driver_entry(PDRIVER_OBJECT driver, PCUNICODE_STRING registry_path);
NTSTATUS copy_transform_driver_entry(PDRIVER_OBJECT driver, PCUNICODE_STRING registry_path);
NTSTATUS video_capture_driver_entry(PDRIVER_OBJECT driver, PCUNICODE_STRING registry_path);
NTSTATUS audio_capture_driver_entry(PDRIVER_OBJECT driver, PCUNICODE_STRING registry_path);

}  // namespace ksim::daemon
