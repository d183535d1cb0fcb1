// Named spdlog loggers for daemon/core ("core.kernel", "core.pin", "core.hwsim"): ksim_log's.
#pragma once

#include "ksim/log/logger.hpp"

namespace ksim::daemon {

using log::logger;

}  // namespace ksim::daemon
