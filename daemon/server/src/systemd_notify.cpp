#include "systemd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstdlib>
#include <set>

#include "logging.hpp"

namespace ksim::daemon::server {

namespace {
std::string count(std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}
}  // namespace

std::string service_status(const std::vector<FilterSnapshot>& filters,
                           const std::vector<ConnectionSnapshot>& connections, std::size_t clients) {
    std::set<PinRef> pipes;
    for (const auto& c : connections)
        if (c.decision) pipes.insert(c.decision->provider);
    std::size_t running = 0;
    for (const auto& f : filters)
        for (const auto& p : f.pins)
            if (p.state == proto::PinState::Run) ++running;
    return count(pipes.size(), "pipe", "pipes") + " committed, " + count(running, "pin", "pins") +
           " running, " + count(clients, "client", "clients");
}

ServiceNotifier::ServiceNotifier(boost::asio::io_context& io, std::function<std::string()> status)
    : timer_(io), status_(std::move(status)) {
    enabled_ = std::getenv("NOTIFY_SOCKET") != nullptr;
    std::uint64_t usec = 0;
    // unset_environment = 0 here and below: the variables stay for whoever looks again.
    if (enabled_ && ::sd_watchdog_enabled(0, &usec) > 0) watchdog_ = std::chrono::microseconds(usec / 2);
}

void ServiceNotifier::ready() {
    if (!enabled_) return;
    last_status_ = status_();
    (void)::sd_notify(0, ("READY=1\nSTATUS=" + last_status_).c_str());
    if (watchdog_.count() > 0)
        logger("server")->debug("systemd watchdog: pinging every {} ms", watchdog_.count() / 1000);
    schedule();
}

void ServiceNotifier::stopping() {
    if (stopped_) return;
    stopped_ = true;
    timer_.cancel();
    if (enabled_) (void)::sd_notify(0, "STOPPING=1");
}

void ServiceNotifier::schedule() {
    if (stopped_) return;
    const auto period = watchdog_.count() > 0 ? std::min<std::chrono::microseconds>(watchdog_, kStatusPeriod)
                                              : std::chrono::microseconds(kStatusPeriod);
    timer_.expires_after(period);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) tick();
    });
}

void ServiceNotifier::tick() {
    std::string message;
    if (watchdog_.count() > 0) message = "WATCHDOG=1";
    if (std::string status = status_(); status != last_status_) {
        last_status_ = std::move(status);
        message += (message.empty() ? "STATUS=" : "\nSTATUS=") + last_status_;
    }
    if (!message.empty()) (void)::sd_notify(0, message.c_str());
    schedule();
}

}  // namespace ksim::daemon::server
