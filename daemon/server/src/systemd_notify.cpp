#include "systemd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>

#include "ksim/shm/unique_fd.hpp"
#include "logging.hpp"

namespace ksim::daemon::server {

NotifySend send_notification(std::string_view message) {
    const char* name = std::getenv("NOTIFY_SOCKET");
    if (name == nullptr) return NotifySend::NoSocket;
    // An absolute path or an abstract name written "@name" (sd_notify(3)); other forms
    // (vsock:, newer than Debian 12's systemd) are not ours to reach.
    const std::string_view path(name);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() < 2 || path.size() >= sizeof(addr.sun_path) || (path[0] != '/' && path[0] != '@')) {
        errno = EINVAL;
        return NotifySend::Failed;
    }
    std::memcpy(addr.sun_path, path.data(), path.size());
    if (path[0] == '@') addr.sun_path[0] = '\0';
    const auto length =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (path[0] == '@' ? 0 : 1));
    shm::UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd) return NotifySend::Failed;
    const auto sent = ::sendto(fd.get(), message.data(), message.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                               reinterpret_cast<const sockaddr*>(&addr), length);
    if (sent == static_cast<ssize_t>(message.size())) return NotifySend::Sent;
    const int error = errno;
    fd.reset();
    errno = error;  // for the caller's message, past close()
    return error == EAGAIN || error == EWOULDBLOCK ? NotifySend::QueueFull : NotifySend::Failed;
}

namespace {

std::string count(std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

// A notification that did not go out is dropped, never waited for: the next status line
// replaces it and the next ping follows within the period.
void notify(std::string_view message) {
    switch (send_notification(message)) {
        case NotifySend::Sent:
        case NotifySend::NoSocket:
            return;
        case NotifySend::QueueFull:
            log_limited("server", spdlog::level::warn, "systemd-notify-full",
                        "NOTIFY_SOCKET's queue is full (nobody reads it): dropped \"{}\"", message);
            return;
        case NotifySend::Failed:
            log_limited("server", spdlog::level::warn, "systemd-notify-failed",
                        "cannot notify NOTIFY_SOCKET={}: {}", std::getenv("NOTIFY_SOCKET"),
                        std::strerror(errno));
            return;
    }
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
    notify("READY=1\nSTATUS=" + last_status_);
    if (watchdog_.count() > 0)
        logger("server")->debug("systemd watchdog: pinging every {} ms", watchdog_.count() / 1000);
    schedule();
}

void ServiceNotifier::stopping() {
    if (stopped_) return;
    stopped_ = true;
    timer_.cancel();
    if (enabled_) notify("STOPPING=1");
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
    if (!message.empty()) notify(message);
    schedule();
}

}  // namespace ksim::daemon::server
