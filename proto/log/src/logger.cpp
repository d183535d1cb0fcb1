#include "ksim/log/logger.hpp"

#include <mutex>

namespace ksim::log {

std::shared_ptr<spdlog::logger> logger(const std::string& name) {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    if (auto existing = spdlog::get(name)) return existing;
    auto created = spdlog::default_logger()->clone(name);
    created->set_level(spdlog::get_level());
    spdlog::register_logger(created);  // cannot throw: this is the only creation path for names
    return created;
}

}  // namespace ksim::log
