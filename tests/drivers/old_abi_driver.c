/*
 * A module that registers with another driver-API version than this ksim's, as a driver built
 * against older headers would: ksimd must refuse it (rule driver.abi-version) naming both.
 * KsInitializeDriver passes the version the headers define, so this calls the routine table
 * directly with version 1 (before filter-centric processing: its KSIM_HOST_API was shorter).
 */
#include "ksim/ddk/avstream.h"

static const KSDEVICE_DESCRIPTOR kDevice = {NULL, 0, NULL, KSDEVICE_DESCRIPTOR_VERSION, 0};

KSIM_DRIVER_EXPORT NTSTATUS DriverEntry(PDRIVER_OBJECT driver, PCUNICODE_STRING registry_path) {
    (void)registry_path;
    return driver->Ksim.Api->InitializeDriver(driver, 1u, &kDevice);
}
