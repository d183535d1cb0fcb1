#include "fake_daemon.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <stdexcept>

#include "ksim/shm/fd_passing.hpp"
#include "ksim/wire/message_table.hpp"

namespace ksim::client::test {

nlohmann::json FakePeer::read() {
    for (;;) {
        auto next = decoder_.next();
        if (!next) throw std::runtime_error("fake daemon: bad input: " + next.error().message);
        if (next->has_value()) return std::move(**next);
        std::array<char, 4096> buf;
        ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
        if (n <= 0) return nullptr;
        decoder_.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    }
}

void FakePeer::send(const nlohmann::json& message, std::span<const int> fds) {
    auto frame = wire::encode_frame(message);
    if (!frame) throw std::runtime_error(frame.error().message);
    std::string_view rest = *frame;
    if (!fds.empty()) {
        // The descriptors ride on the first byte, as ksimd sends them with its reply.
        auto sent = shm::send_fds(fd_, std::as_bytes(std::span(rest.data(), 1)), fds);
        if (!sent) throw std::runtime_error(sent.error().message);
        rest.remove_prefix(1);
    }
    while (!rest.empty()) {
        ssize_t n = ::send(fd_, rest.data(), rest.size(), MSG_NOSIGNAL);
        if (n <= 0) return;
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
}

nlohmann::json FakePeer::accept_hello(std::uint64_t client_id) {
    auto hello = read();
    send({{"type", "hello"},
          {"id", hello.value("id", 0)},
          {"ok", true},
          {"client_id", client_id},
          {"protocol_version", wire::kProtocolVersion},
          {"daemon_version", "fake-1"}});
    return hello;
}

void FakePeer::close() {
    ::shutdown(fd_, SHUT_RDWR);
}

FakeDaemon::FakeDaemon(Script script) : dir_(make_temp_dir("ksim-client-fake")) {
    path_ = (dir_ / "ksimd.sock").string();
    listener_ = shm::UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listener_.get(), 4) != 0)
        throw std::runtime_error("fake daemon: cannot listen on " + path_);
    thread_ = std::thread([this, script = std::move(script)] {
        shm::UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!client) return;
        FakePeer peer(client.get());
        try {
            script(peer);
        } catch (const std::exception&) {
            // The test's assertions on the client side report what went wrong.
        }
    });
}

FakeDaemon::~FakeDaemon() {
    ::shutdown(listener_.get(), SHUT_RDWR);  // unblocks accept() if no client came
    thread_.join();
    std::filesystem::remove_all(dir_);
}

}  // namespace ksim::client::test
