// Named spdlog loggers for daemon/core ("core.kernel", "core.pin", "core.hwsim"): clones of the
// default logger (same sinks), registered once so that spdlog::set_level reaches them.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace ksim::daemon {

std::shared_ptr<spdlog::logger> logger(const std::string& name);

}  // namespace ksim::daemon
