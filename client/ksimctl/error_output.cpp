#include "error_output.hpp"

#include <iostream>
#include <nlohmann/json.hpp>

namespace ksim::ctl {
namespace {

const GlobalOptions* g_global = nullptr;  // set once by main, read by the command it runs

}  // namespace

void bind_error_output(const GlobalOptions& global) {
    g_global = &global;
}

bool json_errors() {
    return g_global != nullptr && g_global->json;
}

int report_failure(std::string_view what, const Error& error, std::string_view rule, int exit_code) {
    const std::string message = what.empty() ? error.message : std::string(what) + ": " + error.message;
    if (json_errors()) {
        nlohmann::json body = {{"code", to_string(error.code)},
                               {"message", message},
                               {"rule", rule.empty() ? nlohmann::json() : nlohmann::json(rule)}};
        std::cout << nlohmann::json{{"error", body}}.dump() << std::endl;
    } else {
        std::cerr << "ksimctl: " << message << " [" << to_string(error.code) << "]\n";
    }
    return exit_code;
}

}  // namespace ksim::ctl
