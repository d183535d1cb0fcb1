/*
 * The device: DriverEntry, KSDEVICE_DISPATCH and the one piece of hardware the device owns.
 * As in avshws, the device (not the pin) owns the capture hardware; a pin borrows it from
 * STOP->ACQUIRE to ACQUIRE->STOP. ksimd calls Add and Start when it loads the module, Stop and
 * Remove when it unloads it.
 */
#include <stdlib.h>

#include "avscam.h"
#include "hwsim.h"

/* KSDEVICE.Context: what the device owns. */
typedef struct {
    AVSCAM_HARDWARE Hardware;
    PKSPIN HardwareOwner; /* the pin between its STOP->ACQUIRE and ACQUIRE->STOP, else NULL */
    BOOLEAN Started;      /* between Start and Stop: the hardware may be used */
} AVSCAM_DEVICE;

static NTSTATUS AvsCamDeviceAdd(PKSDEVICE Device) {
    /* calloc stands in for ExAllocatePoolWithTag(NonPagedPool, ..., AVSCAM_POOL_TAG). */
    AVSCAM_DEVICE* Context = (AVSCAM_DEVICE*)calloc(1, sizeof(AVSCAM_DEVICE));
    if (Context == NULL) return STATUS_INSUFFICIENT_RESOURCES;
    Device->Context = Context;
    return STATUS_SUCCESS;
}

static NTSTATUS AvsCamDeviceStart(PKSDEVICE Device, PIRP Irp, PVOID TranslatedResources,
                                  PVOID UntranslatedResources) {
    (void)Irp;
    (void)TranslatedResources; /* a real device would find its registers and interrupt here */
    (void)UntranslatedResources;
    AVSCAM_DEVICE* Context = (AVSCAM_DEVICE*)Device->Context;
    Context->Started = TRUE;
    return STATUS_SUCCESS;
}

static VOID AvsCamDeviceStop(PKSDEVICE Device, PIRP Irp) {
    (void)Irp;
    AVSCAM_DEVICE* Context = (AVSCAM_DEVICE*)Device->Context;
    if (Context == NULL) return;
    Context->Started = FALSE;
}

static VOID AvsCamDeviceRemove(PKSDEVICE Device, PIRP Irp) {
    (void)Irp;
    free(Device->Context);
    Device->Context = NULL;
}

static const KSDEVICE_DISPATCH AvsCamDeviceDispatch = {
    .Add = AvsCamDeviceAdd,
    .Start = AvsCamDeviceStart,
    .Stop = AvsCamDeviceStop,
    .Remove = AvsCamDeviceRemove,
};

static const KSFILTER_DESCRIPTOR* const AvsCamFilterDescriptors[] = {&AvsCamFilterDescriptor};

const KSDEVICE_DESCRIPTOR AvsCamDeviceDescriptor = {
    .Dispatch = &AvsCamDeviceDispatch,
    .FilterDescriptorsCount = sizeof(AvsCamFilterDescriptors) / sizeof(AvsCamFilterDescriptors[0]),
    .FilterDescriptors = AvsCamFilterDescriptors,
    .Version = KSDEVICE_DESCRIPTOR_VERSION,
    .Flags = 0,
};

NTSTATUS AvsCamDeviceAcquireHardware(PKSDEVICE Device, PKSPIN Pin, const AVSCAM_VIDEO_FORMAT* Format,
                                     const AVSCAM_HW_SINK* Sink, AVSCAM_HARDWARE** Hardware) {
    AVSCAM_DEVICE* Context = (AVSCAM_DEVICE*)Device->Context;
    if (Context == NULL || !Context->Started) return STATUS_DEVICE_NOT_READY;
    if (Context->HardwareOwner != NULL && Context->HardwareOwner != Pin) return STATUS_INVALID_DEVICE_STATE;
    const NTSTATUS Status = AvsCamHwAcquire(&Context->Hardware, Pin, Format, Sink);
    if (!NT_SUCCESS(Status)) return Status;
    Context->HardwareOwner = Pin;
    *Hardware = &Context->Hardware;
    return STATUS_SUCCESS;
}

VOID AvsCamDeviceReleaseHardware(PKSDEVICE Device, PKSPIN Pin) {
    AVSCAM_DEVICE* Context = (AVSCAM_DEVICE*)Device->Context;
    if (Context == NULL || Context->HardwareOwner != Pin) return;
    AvsCamHwRelease(&Context->Hardware);
    Context->HardwareOwner = NULL;
}

/* The module's one exported symbol (KSIM_DRIVER_ENTRY_SYMBOL). ksimd calls it once after
 * dlopen; like an AVStream DriverEntry it hands the device descriptor to the class driver. */
KSIM_DRIVER_EXPORT NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PCUNICODE_STRING RegistryPath);
KSIM_DRIVER_EXPORT NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PCUNICODE_STRING RegistryPath) {
    return KsInitializeDriver(DriverObject, RegistryPath, &AvsCamDeviceDescriptor);
}
