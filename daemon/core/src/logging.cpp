#include "logging.hpp"

#include <mutex>

namespace ksim::daemon {

std::shared_ptr<spdlog::logger> logger(const std::string& name) {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    if (auto existing = spdlog::get(name)) return existing;
    auto created = spdlog::default_logger()->clone(name);
    spdlog::register_logger(created);  // cannot throw: we hold the only creation path for this name
    return created;
}

}  // namespace ksim::daemon
