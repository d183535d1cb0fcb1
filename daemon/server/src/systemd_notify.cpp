#include "systemd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <string>

namespace ksim::daemon::server {

void notify_ready(std::string_view status) {
    std::string msg = "READY=1\nSTATUS=" + std::string(status);
    // unset_environment = 0: children (tests) may still look at NOTIFY_SOCKET; the return value
    // only says whether systemd was there, which is fine either way.
    (void)::sd_notify(0, msg.c_str());
}

void notify_stopping() {
    (void)::sd_notify(0, "STOPPING=1");
}

}  // namespace ksim::daemon::server
