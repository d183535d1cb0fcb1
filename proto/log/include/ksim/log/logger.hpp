// One named spdlog logger per module part ("core.kernel", "server", "graphmgr", ...): a clone of
// the default logger (its sinks) at the global level, registered once so that spdlog::set_level
// reaches it. Every module asks here, so two modules asking for a name at the same time cannot
// both try to register it.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace ksim::log {

// The logger `name`, created on first use. Thread-safe.
std::shared_ptr<spdlog::logger> logger(const std::string& name);

}  // namespace ksim::log
