// KSPROPERTY_CONNECTION_DATAFORMAT: which format the data crossing a pin has. In KS both ends of
// a connection agree on one KSDATAFORMAT when the connection is made; ksim derives it from the
// topology instead (a config names formats per filter, not per connection):
//   - an output pin carries its filter's "video" / "audio" (a capture filter, a scaling copy
//     transform, a user source that declares one); a filter without one passes its input's
//     format through (an in-place transform);
//   - an input pin carries what its connected peer sends (its own filter's format when it is
//     not connected).
#include <fmt/format.h>

#include "kernel_impl.hpp"

namespace ksim::daemon {
namespace {

std::optional<proto::DataFormat> own_format(const FilterRuntime& filter) {
    if (filter.desc.video) return proto::DataFormat{filter.desc.video, std::nullopt};
    if (filter.desc.audio) return proto::DataFormat{std::nullopt, filter.desc.audio};
    return std::nullopt;
}

// `hops_left` bounds the walk upstream: a topology with a cycle ends it instead of recursing.
std::optional<proto::DataFormat> format_of(const Pin& pin, std::size_t hops_left) {
    if (hops_left == 0) return std::nullopt;
    if (pin.desc.direction == proto::PinDirection::In)
        return pin.peer ? format_of(*pin.peer, hops_left - 1) : own_format(pin.filter);
    if (auto own = own_format(pin.filter)) return own;
    for (const auto& input : pin.filter.pins)
        if (input->desc.direction == proto::PinDirection::In && input->peer)
            return format_of(*input->peer, hops_left - 1);
    return std::nullopt;
}

}  // namespace

Result<proto::DataFormat> Kernel::data_format(const PinRef& key) const {
    std::lock_guard lock(impl_->mu);
    auto pin = impl_->pin_or_error(key);
    if (!pin) return std::unexpected(pin.error());
    std::size_t pins = 0;
    for (const auto& f : impl_->filters) pins += f->pins.size();
    if (auto format = format_of(**pin, pins + 1)) return *format;
    return fail(Errc::NotFound,
                fmt::format("{}: no data format: neither its filter nor the pins upstream of it declare "
                            "\"video\" or \"audio\"",
                            key.to_string()));
}

}  // namespace ksim::daemon
