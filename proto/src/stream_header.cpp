#include "ksim/proto/stream_header.hpp"

#include <array>
#include <cctype>
#include <string>

namespace ksim::proto {

std::string_view to_string(PinState s) {
    switch (s) {
        case PinState::Stop:
            return "STOP";
        case PinState::Acquire:
            return "ACQUIRE";
        case PinState::Pause:
            return "PAUSE";
        case PinState::Run:
            return "RUN";
    }
    return "?";
}

std::optional<PinState> parse_pin_state(std::string_view name) {
    std::string upper;
    for (char c : name) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    std::string_view u = upper;
    if (u.starts_with("KSSTATE_")) u.remove_prefix(8);
    for (auto s : {PinState::Stop, PinState::Acquire, PinState::Pause, PinState::Run})
        if (u == to_string(s)) return s;
    return std::nullopt;
}

}  // namespace ksim::proto
