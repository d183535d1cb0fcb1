// KSSTREAM_HEADER, KS_FRAME_INFO-style frame metadata and KSSTATE, as plain data that can
// live in shared memory (trivially copyable, fixed layout, no pointers).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#include "ksim/proto/bitmask.hpp"

namespace ksim::proto {

// KSSTATE. Transitions go one step at a time in both directions.
enum class PinState : std::uint32_t { Stop = 0, Acquire = 1, Pause = 2, Run = 3 };

std::string_view to_string(PinState s);
std::optional<PinState> parse_pin_state(std::string_view name);  // "STOP", "stop", "KSSTATE_STOP"

// KSSTREAM_HEADER_OPTIONSF_*.
enum class StreamHeaderOptions : std::uint32_t {
    None = 0,
    SplicePoint = 0x1,
    Preroll = 0x2,
    DataDiscontinuity = 0x4,
    TypeChanged = 0x8,
    TimeValid = 0x10,
    TimeDiscontinuity = 0x40,
    FlushOnPause = 0x80,
    DurationValid = 0x100,
    EndOfStream = 0x200,
    BufferedTransfer = 0x400,
    VramDataTransfer = 0x800,
    Metadata = 0x1000,
    EndOfPhotoSequence = 0x2000,
    FrameInfo = 0x4000,
    PersistSample = 0x8000,
    SamplePersisted = 0x10000,
    TrackCompletionNumbers = 0x20000,
    SecureBufferTransfer = 0x40000,
    LoopedData = 0x80000000u,
};
template <>
struct EnableBitmask<StreamHeaderOptions> : std::true_type {};

// KSTIME: Time in units of Numerator/Denominator seconds * 10^-7 (100 ns when 1/1).
struct KsTime {
    std::int64_t time = 0;
    std::uint32_t numerator = 1;
    std::uint32_t denominator = 1;
};

// KSSTREAM_HEADER without the Data pointer (frames are named by descriptor instead), plus the
// KS_FRAME_INFO fields the simulated capture fills (picture number, drop count).
struct StreamHeader {
    std::uint32_t size = sizeof(StreamHeader);
    std::uint32_t type_specific_flags = 0;
    KsTime presentation_time{};
    std::int64_t duration = 0;  // 100 ns units
    std::uint32_t frame_extent = 0;
    std::uint32_t data_used = 0;
    StreamHeaderOptions options_flags = StreamHeaderOptions::None;
    std::uint32_t status = 0;  // NTSTATUS-like completion status (0 = success)
    std::int64_t picture_number = 0;
    std::int64_t drop_count = 0;
};
static_assert(std::is_trivially_copyable_v<StreamHeader>);
static_assert(std::is_standard_layout_v<StreamHeader>);

}  // namespace ksim::proto
