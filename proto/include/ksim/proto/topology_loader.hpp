// Loading and validating topology configs. Every problem is reported, in one pass, with the
// file, line, column, JSON pointer, the rule broken and what would be valid.
#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "ksim/proto/topology.hpp"

namespace ksim::proto {

struct Diagnostic {
    std::string file;
    int line = 0;         // 1-based; 0 when unknown
    int column = 0;       // 1-based
    std::string pointer;  // RFC 6901 JSON pointer, "" = document root
    std::string rule;     // stable rule id, e.g. "range.min-gt-max"
    std::string message;  // what is wrong
    std::string hint;     // what would be valid

    // "file:line:col: /json/pointer: message; hint"
    [[nodiscard]] std::string to_string() const;
};

using Diagnostics = std::vector<Diagnostic>;

// Instantiates the filters a config takes from minidriver modules (ksim::ddk_host implements it):
// the pins of `filter` as the driver's descriptor and its pin Create report them. Diagnostics
// carry pointer, rule, message and hint (the loader adds file and position); they name the
// module, the symbol or the pin at fault.
class DriverResolver {
public:
    virtual ~DriverResolver() = default;
    virtual std::expected<std::vector<PinDescriptor>, Diagnostics> driver_pins(
        const FilterDescriptor& filter) = 0;
};

struct LoadOptions {
    // Null: a config with a driver filter is invalid (rule driver.no-loader), e.g. in the fuzzer.
    DriverResolver* drivers = nullptr;
};

// Parses and validates; a topology is returned only when there are no diagnostics.
std::expected<Topology, Diagnostics> load_topology_text(std::string_view text, std::string_view file_name,
                                                        const LoadOptions& options = {});
std::expected<Topology, Diagnostics> load_topology_file(const std::filesystem::path& path,
                                                        const LoadOptions& options = {});

}  // namespace ksim::proto
