// sd_notify wrapper: tells systemd (Type=notify) that ksimd is ready or stopping. A no-op when
// not started by systemd (NOTIFY_SOCKET unset).
#pragma once

#include <string_view>

namespace ksim::daemon::server {

void notify_ready(std::string_view status);
void notify_stopping();

}  // namespace ksim::daemon::server
