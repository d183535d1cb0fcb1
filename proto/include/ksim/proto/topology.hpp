// The topology model: filters, their pins (direction, hosting, framing, optional vendor
// allocator) and connections. Produced by the config loader, consumed by negotiation and ksimd.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ksim/proto/framing.hpp"
#include "ksim/proto/memory_types.hpp"

namespace ksim::proto {

// KSPIN_DATAFLOW: In = the pin consumes (sink), Out = the pin produces (source).
enum class PinDirection { In, Out };

// Where a pin lives: in ksimd (the simulated kernel) or in a client process (user mode).
enum class PinHosting { Kernel, User };

// KSALLOCATORMODE.
enum class AllocatorMode { User = 0, Kernel = 1 };

// Which allocator serves a pipe: the one vocabulary of the engine's records, the wire's commits
// and ksimd's pipes.
enum class AllocatorKind {
    Default,  // the ks.sys default allocator: kernel pool sized from the framing
    Vendor,   // a pin's KSALLOCATOR_DISPATCH (or a user-mode allocator a client pin offers)
    User,     // the proxy's user-mode allocator: shared memory the client maps
};

// Which framing property a pin answers (ksproxy.h FRAMING_PROP).
enum class FramingProp { None, Old, Ex };

enum class FilterKind {
    VideoCapture,      // simulated camera (avshws shape)
    AudioCapture,      // simulated PCM capture
    InPlaceTransform,  // modifies frames in place (overlay / invert)
    CopyTransform,     // different framing downstream (conversion / scaling)
    KernelSink,        // counts and checks frames
    UserSource,        // pins hosted by a client that produces frames
    UserSink,          // pins hosted by a client that consumes frames
    Driver,            // a minidriver module's filter ("driver" in the config; docs/minidriver.md)
};

// The one table of filter-kind names: the config's "kind" values, the wire's and the CLI's.
// (Driver has no "kind" value: a config names a module with "driver" instead.)
struct FilterKindName {
    std::string_view name;
    FilterKind kind;
};
std::span<const FilterKindName> filter_kind_names();
std::optional<FilterKind> parse_filter_kind(std::string_view name);  // any name of the table

enum class VideoFormat { Nv12, Yuy2, Rgb24 };

struct VideoParams {
    VideoFormat format = VideoFormat::Nv12;
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    std::uint32_t fps_numerator = 30;
    std::uint32_t fps_denominator = 1;
};

struct AudioParams {
    std::uint32_t sample_rate = 48000;
    std::uint32_t channels = 2;
    std::uint32_t bits_per_sample = 16;
    std::uint32_t frames_per_period = 480;  // samples per channel in one KS frame
};

// KSPROPERTY_CONNECTION_DATAFORMAT, reduced to what ksim's filters carry: the format of the data
// crossing a pin, video (KS_DATAFORMAT_VIDEOINFOHEADER) or PCM audio (KSDATAFORMAT_WAVEFORMATEX).
// Exactly one of the two is set.
struct DataFormat {
    std::optional<VideoParams> video;
    std::optional<AudioParams> audio;
};

// Capabilities a vendor allocator (KSALLOCATOR_DISPATCH over a DMA-like common buffer)
// declares; negotiation compares them against a connection's combined framing.
struct VendorAllocatorCaps {
    std::string name;
    AllocatorMode mode = AllocatorMode::Kernel;  // KSALLOCATOR_DISPATCH allocators are kernel-mode
    Guid memory_type = memory_type::kKernelNonPaged;
    std::uint32_t min_frame_size = 0;
    std::uint32_t max_frame_size = 0xFFFFFFFFu;
    std::uint32_t max_frames = 0;
    std::uint32_t alignment_mask = 0;                // strictest alignment it can honour (mask)
    bool contiguous = true;                          // each frame is physically contiguous
    bool scatter_gather = true;                      // can describe frames as S/G lists
    std::uint32_t max_sg_entries = 128;              // SCATTER_GATHER_MAPPINGS_MAX in avshws
    std::uint32_t max_segment_bytes = 0x10000;       // MaxMappingByteCount
    std::uint64_t physical_base = 0x1'0000'0000ull;  // simulated physical address window
    std::uint64_t physical_limit = 0x1'FFFF'FFFFull;
    std::uint32_t boundary = 0;  // frames must not cross this power-of-two boundary (0 = none)
};

struct PinDescriptor {
    std::string id;
    PinDirection direction = PinDirection::Out;
    PinHosting hosting = PinHosting::Kernel;
    Guid medium = medium::kStandard;                 // Medium.Set: the pin's bus for memory-type matching
    std::optional<AllocatorFramingEx> framing;       // answers ALLOCATORFRAMING_EX
    std::optional<AllocatorFraming> legacy_framing;  // answers only ALLOCATORFRAMING
    std::optional<VendorAllocatorCaps> allocator;    // KSPIN_DISPATCH.Allocator
    std::string pointer;                             // JSON pointer of the pin in its config, for diagnostics

    [[nodiscard]] FramingProp framing_prop() const {
        return framing ? FramingProp::Ex : legacy_framing ? FramingProp::Old : FramingProp::None;
    }
};

// A filter whose code is a minidriver module: `"driver": {"module": ..., "filter": ...}`.
struct DriverRef {
    std::string module;          // as written in the config
    std::filesystem::path path;  // resolved against the config file's directory
    std::string filter;          // the KSFILTER_DESCRIPTOR's KsimName
};

struct FilterDescriptor {
    std::string id;
    FilterKind kind = FilterKind::VideoCapture;
    std::optional<DriverRef> driver;  // kind == Driver
    std::optional<VideoParams> video;
    std::optional<AudioParams> audio;
    std::vector<PinDescriptor> pins;
    std::string pointer;

    [[nodiscard]] const PinDescriptor* find_pin(std::string_view pin_id) const;
};

// The one rule for filter and pin ids: non-empty and without '.', so that "filter.pin" splits at
// its only '.' and names one pin. The config loader reports any other id as "id.invalid" (naming
// its pointer); the wire's create_pin and ksimd refuse one.
[[nodiscard]] bool is_valid_id(std::string_view id);

// A pin by its filter's and its own id; written "filter.pin" in configs, on the wire and in the
// CLI. ksimd keys its pins by it.
struct PinRef {
    std::string filter;
    std::string pin;
    [[nodiscard]] std::string to_string() const { return filter + "." + pin; }
    friend auto operator<=>(const PinRef&, const PinRef&) = default;
};

// The one parser of "filter.pin": exactly one '.', a valid id (is_valid_id) on either side.
// nullopt otherwise: "capture", ".capture", "camera.", "a.b.c".
[[nodiscard]] std::optional<PinRef> parse_pin_ref(std::string_view text);

// A connection always runs from an output pin (`from`) to an input pin (`to`).
struct Connection {
    PinRef from;
    PinRef to;
    std::string pointer;
    [[nodiscard]] std::string id() const { return from.to_string() + "->" + to.to_string(); }
};

// A memory type a topology declares itself (device memory), usable by name in its framing.
struct CustomMemoryType {
    std::string name;
    Guid guid;
    MemoryClass memory_class = MemoryClass::DeviceSpecific;
};

// Misbehaviour injected into the simulated hardware or allocators of one pin (docs/config.md,
// "faults"), so a client can be tested against it. A topology without faults has none.
enum class FaultKind {
    VendorInitializeFails,  // the pin's KSALLOCATOR_DISPATCH InitializeAllocator returns `status`
    PoolExhaustion,         // the pin's pipe hands out at most `frames` frames at a time
    DropInterrupts,         // every `every`-th interrupt of the capture pin's hardware is lost
    DelayInterrupts,        // each interrupt of the capture pin's hardware arrives `microseconds` late
    StallReleases,     // the sink pin's returned frames are held back `microseconds` (a SIGSTOPped consumer)
    DisconnectClient,  // the client hosting the user pin is disconnected once `frames` frames crossed it
};

struct Fault {
    FaultKind kind = FaultKind::VendorInitializeFails;
    PinRef pin;
    std::uint32_t status = 0xC000009Au;  // NTSTATUS (STATUS_INSUFFICIENT_RESOURCES by default)
    std::uint32_t frames = 0;            // PoolExhaustion, DisconnectClient
    std::uint32_t every = 0;             // DropInterrupts
    std::uint32_t microseconds = 0;      // DelayInterrupts, StallReleases
    std::string pointer;                 // "/faults/N", named by the errors the fault causes
};

struct Topology {
    std::string name;
    std::string comment;
    std::string source_file;
    std::vector<CustomMemoryType> memory_types;
    std::vector<FilterDescriptor> filters;
    std::vector<Connection> connections;
    std::vector<Fault> faults;

    [[nodiscard]] const FilterDescriptor* find_filter(std::string_view id) const;
    [[nodiscard]] const PinDescriptor* find_pin(const PinRef& ref) const;
};

// Bytes of one image (NV12: w*h*3/2, YUY2: w*h*2, RGB24: w*h*3 with rows padded to 4 bytes).
std::uint32_t image_size(const VideoParams& v);
// Bytes of one audio period.
std::uint32_t period_size(const AudioParams& a);

// The framing a pin reports through ALLOCATORFRAMING_EX after its format-driven edit at pin
// creation (avshws: Frames kept, physical and framing range Min = Max = image size, stepping 0
// is normalised to 1). Pins that declare only the legacy property are converted as KsProxy does.
// Returns nullopt for FramingProp::None.
std::optional<AllocatorFramingEx> effective_framing(const FilterDescriptor& filter, const PinDescriptor& pin);

// Why `filter`'s pins are no in-place pair (one input and one output pin, each with a `framing`
// item declaring INPLACE_MODIFIER: what negotiation and ksimd pair into one pipe section), or
// nullopt when they are one. An inplace_transform passes on the frames it modifies only as such
// a pair: the config reader reports this as rule filter.in-place-pair, and Kernel::create
// refuses a topology built in code with the same words.
std::optional<std::string> in_place_pair_problem(const FilterDescriptor& filter);

std::string_view to_string(PinDirection d);
std::string_view to_string(PinHosting h);
std::string_view to_string(AllocatorKind k);  // "default", "vendor", "user"
std::optional<AllocatorKind> parse_allocator_kind(std::string_view name);
std::string_view to_string(FilterKind k);
std::string_view to_string(VideoFormat f);
std::optional<VideoFormat> parse_video_format(std::string_view name);  // exactly a to_string() name
std::string_view to_string(FaultKind k);  // the config's name, e.g. "pool_exhaustion"

}  // namespace ksim::proto
