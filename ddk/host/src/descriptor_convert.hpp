// Between the driver's C declarations and ksim's topology model: checks of a filter
// descriptor, the ConnectionFormat built from a topology filter's format, and a created pin's
// descriptor (its framing after Create, its allocator capabilities) as proto::PinDescriptor.
#pragma once

#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "ksim/ddk_host/objects.hpp"
#include "ksim/proto/topology.hpp"

namespace ksim::ddk_host {

struct DescriptorProblem {
    std::string rule;
    std::string message;
    std::string hint;
};

// Sizes, names and the features ksim does not host yet; nullopt when the descriptor is usable.
std::optional<DescriptorProblem> check_filter_descriptor(const KSFILTER_DESCRIPTOR& filter,
                                                         unsigned max_pins);

// KS_DATAFORMAT_VIDEOINFOHEADER for "video", KSDATAFORMAT_WAVEFORMATEX for "audio" (bytes);
// nullopt when the format (or the filter) gives neither.
std::optional<std::vector<std::byte>> connection_format(const proto::DataFormat& format);
std::optional<std::vector<std::byte>> connection_format(const proto::FilterDescriptor& filter);

// The pin as the topology model describes it, after its Create. `listed` is the config's entry
// for the pin (its allocator capabilities win over the descriptor's), or null.
std::expected<proto::PinDescriptor, DescriptorProblem> to_pin_descriptor(const PinInstance& pin,
                                                                         const proto::PinDescriptor* listed);

// KSALLOCATOR_FRAMING_EX -> the model; a problem when CountItems is 0 or above the cap.
std::expected<proto::AllocatorFramingEx, DescriptorProblem> to_framing(const KSALLOCATOR_FRAMING_EX& framing);

proto::Guid to_guid(const GUID& g);

}  // namespace ksim::ddk_host
