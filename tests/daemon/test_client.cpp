#include "test_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

namespace ksim::test {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

Result<TestClient> TestClient::connect(const std::filesystem::path& socket,
                                       std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        shm::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, socket.c_str(), sizeof(addr.sun_path) - 1);
        if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0)
            return TestClient(std::move(fd));
        int err = errno;
        if (Clock::now() >= deadline)
            return fail(Errc::Timeout, "cannot connect to " + socket.string() + ": " + std::strerror(err));
        // Readiness polling: the daemon may not be listening yet.
        std::this_thread::sleep_for(10ms);
    }
}

Result<void> TestClient::send_raw(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::send(socket_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(errno == EPIPE || errno == ECONNRESET ? Errc::Disconnected : Errc::Io,
                        std::strerror(errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

Result<void> TestClient::read_some(std::chrono::milliseconds timeout) {
    pollfd p{socket_.get(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (r == 0) return fail(Errc::Timeout, "no data from ksimd");
    if (r < 0) return fail(Errc::Io, std::strerror(errno));
    std::array<char, 65536> buf{};
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * 32)> control{};
    iovec iov{buf.data(), buf.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    ssize_t n = ::recvmsg(socket_.get(), &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) {
        if (errno == ECONNRESET) return fail(Errc::Disconnected, "connection reset");
        return fail(Errc::Io, std::strerror(errno));
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            pending_fds_.emplace_back(fd);
        }
    }
    if (n == 0) return fail(Errc::Disconnected, "ksimd closed the connection");
    decoder_.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    return {};
}

Result<json> TestClient::next_message(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        auto m = decoder_.next();
        if (!m) return std::unexpected(m.error());
        if (*m) return std::move(**m);
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return fail(Errc::Timeout, "no message from ksimd");
        if (auto r = read_some(left); !r) return std::unexpected(r.error());
    }
}

Result<json> TestClient::request(json message, std::chrono::milliseconds timeout) {
    std::uint64_t id = next_id_++;
    message["id"] = id;
    auto frame = wire::encode_frame(message);
    if (!frame) return std::unexpected(frame.error());
    if (auto r = send_raw(*frame); !r) return std::unexpected(r.error());
    auto deadline = Clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        auto m = next_message(left.count() > 0 ? left : 0ms);
        if (!m) return std::unexpected(m.error());
        if (m->contains("ok") && m->value("id", std::uint64_t{0}) == id) {
            fds = std::move(pending_fds_);
            pending_fds_.clear();
            return std::move(*m);
        }
        if (m->contains("event")) events_.push_back(std::move(*m));
    }
}

Result<json> TestClient::hello(wire::Role role, std::string name) {
    return request(json{{"type", "hello"},
                        {"protocol_version", wire::kProtocolVersion},
                        {"role", wire::to_string(role)},
                        {"client_name", std::move(name)}});
}

Result<json> TestClient::next_event(std::chrono::milliseconds timeout) {
    if (!events_.empty()) {
        json e = std::move(events_.front());
        events_.pop_front();
        return e;
    }
    auto deadline = Clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        auto m = next_message(left.count() > 0 ? left : 0ms);
        if (!m) return std::unexpected(m.error());
        if (m->contains("event")) return std::move(*m);
    }
}

bool TestClient::wait_closed(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return false;
        auto r = read_some(left);
        if (!r) return r.error().code == Errc::Disconnected;
        // Discard what arrives; a failed decoder is fine here.
        while (true) {
            auto m = decoder_.next();
            if (!m || !*m) break;
        }
    }
}

}  // namespace ksim::test
