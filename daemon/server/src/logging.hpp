// Named spdlog loggers of the server module ("server", "session", "protocol").
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace ksim::daemon::server {

// The logger `name`, created on first use with the default sink and level.
std::shared_ptr<spdlog::logger> logger(const std::string& name);

}  // namespace ksim::daemon::server
