#include "offline_config.hpp"

#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"

namespace ksim::ctl {

OfflineConfig load_offline(const std::filesystem::path& file) {
    ddk_host::HostOptions options;
    options.log = [](unsigned level, const std::string& object, const std::string& text) {
        if (level <= KSIM_LOG_WARNING) std::cerr << "ksimctl: driver " << object << ": " << text << "\n";
    };
    OfflineConfig out{std::make_unique<ddk_host::DriverHost>(std::move(options)), {}};
    out.topology = proto::load_topology_file(file, proto::LoadOptions{out.drivers.get()});
    return out;
}

nlohmann::json diagnostic_json(const proto::Diagnostic& d) {
    return {{"file", d.file}, {"line", d.line},       {"column", d.column}, {"pointer", d.pointer},
            {"rule", d.rule}, {"message", d.message}, {"hint", d.hint}};
}

int report_invalid(const proto::Diagnostics& diagnostics, bool json, const std::string& consequence) {
    if (json) {
        nlohmann::json all = nlohmann::json::array();
        for (const auto& d : diagnostics) all.push_back(diagnostic_json(d));
        std::cout << all.dump(2) << "\n";
    } else {
        for (const auto& d : diagnostics) std::cerr << d.to_string() << " [" << d.rule << "]\n";
        std::cerr << "invalid config: " << diagnostics.size() << " error(s); " << consequence << "\n";
    }
    return kExitInvalid;
}

}  // namespace ksim::ctl
