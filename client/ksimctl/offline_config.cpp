#include "offline_config.hpp"

#include <iostream>

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

}  // namespace ksim::ctl
