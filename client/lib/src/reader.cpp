// The reader thread of a Connection: turns socket bytes into replies (matched by id) and events.
#include <sys/socket.h>

#include <array>

#include "connection_state.hpp"
#include "ksim/wire/codec.hpp"
#include "unix_socket.hpp"

namespace ksim::client {
namespace {

Error error_from_reply(const nlohmann::json& message) {
    Error e{Errc::Internal, "error reply without details"};
    if (auto it = message.find("error"); it != message.end() && it->is_object()) {
        Errc code = Errc::Internal;
        if (auto c = it->find("code");
            c != it->end() && c->is_string() && parse_errc(c->get<std::string>(), code))
            e.code = code;
        if (auto m = it->find("message"); m != it->end() && m->is_string()) e.message = m->get<std::string>();
    }
    return e;
}

}  // namespace

std::size_t announced_fd_count(const nlohmann::json& reply) {
    auto it = reply.find("fd_count");
    if (it != reply.end() && it->is_number_unsigned()) return it->get<std::size_t>();
    return 0;
}

void Connection::State::read_loop() {
    wire::FrameDecoder decoder;
    std::array<char, 64 * 1024> buffer;
    std::vector<shm::UniqueFd> fds;
    for (;;) {
        fds.clear();
        auto n = detail::receive_some(socket.get(), buffer, fds);
        if (!fds.empty()) {
            std::lock_guard lock(mutex);
            for (auto& fd : fds) unclaimed_fds.push_back(std::move(fd));
        }
        if (!n) return end_session(n.error());
        if (*n == 0) return end_session(detail::daemon_closed_connection());
        decoder.feed(std::string_view(buffer.data(), *n));
        for (;;) {
            auto message = decoder.next();
            if (!message) return end_session(message.error());
            if (!message->has_value()) break;
            dispatch(std::move(**message));
        }
    }
}

void Connection::State::dispatch(nlohmann::json message) {
    std::unique_lock lock(mutex);
    if (message.contains("ok")) {
        // A reply: claim the descriptors it announced even when nobody waits any more, so that
        // the next reply's descriptors stay aligned with it.
        std::size_t want = announced_fd_count(message);
        std::vector<shm::UniqueFd> claimed;
        while (claimed.size() < want && !unclaimed_fds.empty()) {
            claimed.push_back(std::move(unclaimed_fds.front()));
            unclaimed_fds.pop_front();
        }
        auto id_it = message.find("id");
        if (id_it == message.end() || !id_it->is_number_unsigned()) return;  // nothing to match
        if (id_it->get<std::uint64_t>() == 0 && message.value("ok", true) != true) {
            daemon_said = error_from_reply(message);  // requests have ids from 1: this ends the session
            return;
        }
        auto slot = pending.find(id_it->get<std::uint64_t>());
        if (slot == pending.end()) return;  // timed out: drop it (descriptors close here)
        if (message.value("ok", false) != true) {
            slot->second = std::unexpected(error_from_reply(message));
        } else if (claimed.size() < want) {
            slot->second =
                fail(Errc::ProtocolError, "reply announced " + std::to_string(want) + " descriptors but " +
                                              std::to_string(claimed.size()) + " arrived");
        } else {
            message.erase("id");
            message.erase("ok");
            message.erase("type");
            slot->second = Reply{std::move(message), std::move(claimed)};
        }
        lock.unlock();
        changed.notify_all();
        return;
    }
    auto type_it = message.find("type");
    if (type_it == message.end() || !type_it->is_string()) return;  // not ours to understand
    auto type = wire::parse_message_type(type_it->get<std::string>());
    if (!type || wire::info(*type).kind != wire::MessageKind::Event) return;
    message.erase("type");
    Event event{*type, std::move(message)};
    if (handler) {
        auto h = handler;  // run it unlocked: it may take time or call next_event()
        lock.unlock();
        h(event);
        return;
    }
    events.push_back(std::move(event));
    lock.unlock();
    changed.notify_all();
}

void Connection::State::end_session(Error why) {
    {
        std::lock_guard lock(mutex);
        if (open) {
            reason = daemon_said ? *daemon_said : std::move(why);  // close() set its own reason already
            ended_at = std::chrono::steady_clock::now();
        }
        open = false;  // before any wait returns: whoever sees the loss finds connected() false
    }
    // Then the streams' waits (they read `reason`), then pending requests and events: whoever
    // sees the loss through a pending request finds every stream of the connection ended too.
    end_hooks->end();
    {
        std::lock_guard lock(mutex);
        for (auto& [id, slot] : pending)
            if (!slot) slot = std::unexpected(reason);
    }
    changed.notify_all();
}

}  // namespace ksim::client
