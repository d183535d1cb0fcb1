// An unread NOTIFY_SOCKET for the tests of ksimd's systemd notifications: a datagram socket
// whose queue is full, as when the receiver stops reading.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>

#include "ksim/shm/unique_fd.hpp"

namespace ksim::test {

// An unread NOTIFY_SOCKET: a bound datagram socket whose queue the test fills to the brim
// (net.unix.max_dgram_qlen datagrams), so the next datagram anybody sends would have to wait.
class UnreadNotifySocket {
public:
    explicit UnreadNotifySocket(const std::filesystem::path& path) : path_(path) {
        const auto addr = address();
        receiver_ = shm::UniqueFd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        if (::bind(receiver_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) return;
        shm::UniqueFd sender(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        while (::sendto(sender.get(), "X", 1, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&addr),
                        sizeof(addr)) == 1)
            ++queued_;
        full_ = errno == EAGAIN;
    }
    // Bound, with at least one datagram queued and no room for another.
    [[nodiscard]] bool full() const { return full_ && queued_ > 0; }
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

    // Runs `work` on a thread and waits for it at most `limit`. If it is still stuck then (the
    // failure), the queue is drained until it ends, so the test can report it and go on.
    bool finishes_within(std::chrono::seconds limit, std::function<void()> work) {
        auto done = std::async(std::launch::async, std::move(work));
        if (done.wait_for(limit) == std::future_status::ready) return true;
        std::array<char, 4096> buf{};
        while (done.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready)
            (void)::recv(receiver_.get(), buf.data(), buf.size(), MSG_DONTWAIT);
        return false;
    }

private:
    sockaddr_un address() const {
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
        return addr;
    }
    std::filesystem::path path_;
    shm::UniqueFd receiver_;
    int queued_ = 0;
    bool full_ = false;
};

}  // namespace ksim::test
