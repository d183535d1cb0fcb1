// What ksimd tells systemd (Type=notify, the sd_notify(3) protocol): READY=1 once it serves,
// STATUS= whenever the status line changes, WATCHDOG=1 at half the interval the unit's
// WatchdogSec= sets (WATCHDOG_USEC, sd_watchdog_enabled), STOPPING=1 at shutdown. The pings and
// the status run on the io_context, so a wedged io loop stops them and systemd restarts ksimd.
// Nothing runs when ksimd was not started by systemd (NOTIFY_SOCKET unset). io_context thread only.
// The datagrams are sent without blocking (send_notification), not with libsystemd's sd_notify,
// which waits when the receiver's queue is full (net.unix.max_dgram_qlen, 10 on Debian): a
// reader that stops reading would otherwise wedge the io loop, and with it every client.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ksim/daemon/kernel.hpp"

namespace ksim::daemon::server {

// How often the status line is refreshed without a watchdog (with one: at every ping).
inline constexpr std::chrono::milliseconds kStatusPeriod{1000};

// "2 pipes committed, 1 pin running, 3 clients": pipes with a committed allocator decision
// (one per providing pin), pins in RUN, sessions open.
std::string service_status(const std::vector<FilterSnapshot>& filters,
                           const std::vector<ConnectionSnapshot>& connections, std::size_t clients);

enum class NotifySend {
    Sent,
    NoSocket,   // NOTIFY_SOCKET unset
    QueueFull,  // the receiver is not reading: the datagram is dropped
    Failed,     // an unusable NOTIFY_SOCKET or another send error (errno says which)
};

// One sd_notify(3) datagram to $NOTIFY_SOCKET (a path, or "@name" for an abstract socket),
// never blocking.
NotifySend send_notification(std::string_view message);

class ServiceNotifier {
public:
    // `status` is asked for the current status line on the io thread.
    ServiceNotifier(boost::asio::io_context& io, std::function<std::string()> status);

    // READY=1 with the first STATUS=; starts the status and watchdog timer.
    void ready();
    // STOPPING=1; stops the timer. Idempotent.
    void stopping();

    // The ping interval (half of WATCHDOG_USEC), zero without a watchdog.
    [[nodiscard]] std::chrono::microseconds watchdog_interval() const { return watchdog_; }

private:
    void schedule();
    void tick();

    boost::asio::steady_timer timer_;
    std::function<std::string()> status_;
    std::string last_status_;
    std::chrono::microseconds watchdog_{0};
    bool enabled_ = false;  // NOTIFY_SOCKET set
    bool stopped_ = false;
};

}  // namespace ksim::daemon::server
