// Typed, diagnosing access to a parsed config: every read checks the JSON type and range and
// records a Diagnostic (with position) instead of throwing, so one pass reports every problem.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "json_positions.hpp"
#include "ksim/proto/guid.hpp"
#include "ksim/proto/topology_loader.hpp"

namespace ksim::proto::detail {

using nlohmann::json;

// The closest candidate within a small edit distance, for "did you mean" hints.
std::optional<std::string_view> closest_name(std::string_view word,
                                             std::initializer_list<std::string_view> candidates);
std::optional<std::string> closest_name(std::string_view word, const std::vector<std::string>& candidates);

// Owns the diagnostics of one config load; single-threaded.
class ConfigReader {
public:
    ConfigReader(std::string file, const PositionIndex& index, Diagnostics& out)
        : file_(std::move(file)), index_(index), out_(out) {}

    void report(std::string_view pointer, std::string rule, std::string message, std::string hint,
                bool at_key = false);
    [[nodiscard]] std::size_t error_count() const { return out_.size(); }
    [[nodiscard]] const std::string& file() const { return file_; }

    // Checks `v` is an object whose keys are all in `allowed` and that `required` are present.
    bool object(const json& v, const std::string& ptr, std::initializer_list<std::string_view> allowed,
                std::initializer_list<std::string_view> required = {});
    // Checks `v` is an array.
    bool array(const json& v, const std::string& ptr);

    // Member readers: nullopt when absent (no diagnostic) or wrong (diagnostic recorded).
    std::optional<std::uint32_t> u32(const json& obj, const std::string& ptr, std::string_view key);
    std::optional<std::uint64_t> u64(const json& obj, const std::string& ptr,
                                     std::string_view key);  // number or "0x..." string
    std::optional<bool> boolean(const json& obj, const std::string& ptr, std::string_view key);
    std::optional<std::string> string(const json& obj, const std::string& ptr, std::string_view key);

    // Value readers for names: memory types (well-known, declared, GUID), alignment, flags.
    std::optional<Guid> memory_type(const json& v, const std::string& ptr);
    std::optional<Guid> bus_type(const json& v, const std::string& ptr);
    std::optional<std::uint32_t> alignment(const json& v, const std::string& ptr);
    // KS_FRAMING_ITEM.Flags style: REQUIREMENTF_ and FLAG_ names (short or full) and numbers.
    std::optional<std::uint32_t> item_flags(const json& v, const std::string& ptr);
    // KSALLOCATOR_FRAMING.Flags: REQUIREMENTF_ and OPTIONF_ names and numbers.
    std::optional<std::uint32_t> legacy_flags(const json& v, const std::string& ptr);

    // Names declared in the topology's "memory_types".
    std::function<std::optional<Guid>(std::string_view)> custom_memory_type;

private:
    std::optional<std::uint32_t> flags(const json& v, const std::string& ptr, bool legacy);
    std::string file_;
    const PositionIndex& index_;
    Diagnostics& out_;
};

inline std::string child(const std::string& ptr, std::string_view key) {
    return ptr + "/" + escape_pointer_token(key);
}
inline std::string child(const std::string& ptr, std::size_t index) {
    return ptr + "/" + std::to_string(index);
}

// json::type_name() as users read it.
std::string_view type_word(const json& v);

}  // namespace ksim::proto::detail
