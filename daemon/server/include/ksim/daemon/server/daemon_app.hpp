// DaemonApp: ksimd as an object — the Kernel, the control socket server and the data-path
// rings on one io_context. main() parses the command line, loads the topology, creates this
// and runs it; tests create it in-process with a unique socket path and run it on a thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ksim/daemon/server/peer_credentials.hpp"
#include "ksim/proto/error.hpp"
#include "ksim/proto/topology.hpp"

namespace ksim::ddk_host {
class DriverHost;
}

namespace ksim::daemon::server {

// How many pins one session may create (create_pin); past it: too_large. Bounds what one client
// makes the daemon hold and how much of every list reply it takes.
inline constexpr std::size_t kMaxPinsPerClient = 256;
// The framing a create_pin may carry, which the daemon stores for the pin's lifetime and repeats
// in framing_changed and get_property: at most this many items per pin (KS pins declare a
// handful) and, over every pin one client creates, at most this many bytes of KS structure
// (AllocatorFramingEx::ks_size: 24 + 88 per item; 256 pins of 5 items each fit). Past either:
// too_large, naming the cap.
inline constexpr std::size_t kMaxFramingItemsPerPin = 32;
inline constexpr std::size_t kMaxFramingBytesPerClient = 128 * 1024;

// What one client makes the daemon hold now, and the most its session has held
// (DaemonApp::client_usage; docs/ksimd.md, "Resource limits").
struct ClientUsage {
    std::uint64_t client_id = 0;
    std::size_t queued_messages = 0;  // replies and events not yet written to it
    std::size_t queued_bytes = 0;
    std::size_t peak_queued_messages = 0;
    std::size_t peak_queued_bytes = 0;
    std::size_t buffered_request_bytes = 0;  // read from its socket, not handled yet
    std::size_t peak_buffered_request_bytes = 0;
    bool requests_paused = false;  // backpressure: its requests wait until it reads its replies
    std::size_t pins_created = 0;
    std::size_t framing_bytes = 0;  // framing its live created pins hold (max_framing_bytes_per_client)
};

struct DaemonOptions {
    proto::Topology topology;
    // The driver host `topology` was loaded through (its driver filters' pin instances); null
    // when the topology has no driver filter.
    std::shared_ptr<ddk_host::DriverHost> drivers;
    std::filesystem::path socket_path;  // empty = default_socket_path()
    std::filesystem::path runtime_dir;  // empty = the socket's directory; locked for our lifetime
    std::optional<gid_t> allow_group;   // besides our own uid and root, members of this group may connect
    // Tests only: rewrites what SO_PEERCRED said about each peer, to see a refusal without a
    // second user.
    std::function<void(PeerCredentials&)> credentials_hook;
    bool handle_signals = true;  // SIGTERM/SIGINT -> orderly shutdown
    bool notify_systemd = true;  // under systemd: READY=1 once listening, STATUS=, WATCHDOG=1
    bool raise_fd_limit = true;  // soft RLIMIT_NOFILE -> the hard limit (process-wide)
    // Bugcheck reports go to the runtime directory (arm_bugcheck_reports, process-wide): ksimd's
    // main sets it after install_bugcheck_handler; in-process tests leave it off.
    bool bugcheck_reports = false;
    // Per session: a quarter of it unread pauses the session's requests (backpressure); overflow
    // (with events) disconnects that client.
    std::size_t max_queued_messages = 1024;
    std::string shm_prefix = "ksim";
    std::uint32_t ring_capacity = 64;  // descriptors per stream ring
    // Source streams' drain threads busy-poll their submit rings (ksimd --busy-poll-drain).
    bool busy_poll_drain = false;
    // The streaming threads' time slice (ksimd --streaming-slice-us); unset: KernelOptions'
    // default (KernelOptions::streaming_slice says why).
    std::optional<std::chrono::microseconds> streaming_slice;
    std::size_t max_pins_per_client = kMaxPinsPerClient;
    std::size_t max_framing_bytes_per_client = kMaxFramingBytesPerClient;
};

class DaemonApp {
public:
    // Takes the runtime directory and the socket path (refusing if another ksimd is live on
    // either: Busy), instantiates the topology's filters and starts listening. Ready for
    // connections when this returns, even before run().
    static Result<std::unique_ptr<DaemonApp>> create(DaemonOptions options);
    ~DaemonApp();
    DaemonApp(const DaemonApp&) = delete;
    DaemonApp& operator=(const DaemonApp&) = delete;

    // Serves until a signal or request_stop(); then stops every pin, closes the sessions and
    // removes the socket.
    void run();
    // Thread-safe; run() returns soon after.
    void request_stop();

    [[nodiscard]] const std::filesystem::path& socket_path() const;
    // Every live session's usage, by client id. Thread-safe while run() serves on another
    // thread (the answer is made on the io_context); for tests and diagnostics.
    [[nodiscard]] std::vector<ClientUsage> client_usage() const;

    struct Impl;

private:
    explicit DaemonApp(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// The daemon's version string (the project version).
std::string daemon_version();

}  // namespace ksim::daemon::server
