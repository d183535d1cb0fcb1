#include "ksim/proto/error.hpp"

#include <array>

namespace ksim {
namespace {

constexpr std::array<std::string_view, static_cast<std::size_t>(Errc::kCount)> kNames{
    "ok",
    "invalid_argument",
    "invalid_config",
    "not_found",
    "already_exists",
    "invalid_state",
    "not_committed",
    "no_more_entries",
    "insufficient_resources",
    "permission_denied",
    "stale_descriptor",
    "protocol_error",
    "unsupported",
    "busy",
    "timeout",
    "io",
    "negotiation_failed",
    "disconnected",
    "internal",
    "too_large",
};

class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "ksim"; }
    std::string message(int ev) const override { return std::string(to_string(static_cast<Errc>(ev))); }
};

}  // namespace

std::string_view to_string(Errc e) {
    auto i = static_cast<std::size_t>(e);
    return i < kNames.size() ? kNames[i] : "unknown";
}

bool parse_errc(std::string_view name, Errc& out) {
    for (std::size_t i = 0; i < kNames.size(); ++i)
        if (kNames[i] == name) {
            out = static_cast<Errc>(i);
            return true;
        }
    return false;
}

const std::error_category& ksim_category() {
    static const Category category;
    return category;
}

}  // namespace ksim
