#include "session.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "logging.hpp"
#include "request_handler.hpp"
#include "session_set.hpp"

namespace ksim::daemon::server {

namespace asio = boost::asio;

namespace {
// The close reason of a client that hung up (EOF): the routine end of a session.
constexpr std::string_view kHungUp = "disconnected";
}  // namespace

Session::Session(asio::local::stream_protocol::socket socket, SessionContext context, SessionSet& sessions,
                 RequestHandler& handler, SessionLimits limits)
    : socket_(std::move(socket)),
      context_(std::move(context)),
      sessions_(sessions),
      handler_(handler),
      limits_(limits) {}

void Session::start() {
    boost::system::error_code ec;
    socket_.non_blocking(true, ec);  // writes go through sendmsg(MSG_DONTWAIT) anyway
    // The hello line (role, name, peer) is the one a short-lived client leaves at info.
    logger("session")->debug("{}: connected ({})", context_.name(), context_.peer.to_string());
    read_more();
}

void Session::read_more() {
    if (stopped_) return;
    socket_.async_read_some(
        asio::buffer(read_buffer_),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
            if (ec) {
                if (ec != asio::error::operation_aborted)
                    self->stop(ec == asio::error::eof ? std::string(kHungUp) : ec.message());
                return;
            }
            self->on_bytes(n);
        });
}

void Session::on_bytes(std::size_t n) {
    decoder_.feed(std::string_view(read_buffer_.data(), n));
    peaks_.peak_buffered_request_bytes =
        std::max(peaks_.peak_buffered_request_bytes, decoder_.buffered_bytes());
    handle_buffered();
}

ClientUsage Session::usage() const {
    ClientUsage u = peaks_;
    u.client_id = context_.client_id;
    u.pins_created = context_.pins_created;
    u.framing_bytes = context_.framing_bytes;
    u.queued_messages = queue_.size();
    u.queued_bytes = queued_bytes_;
    u.buffered_request_bytes = decoder_.buffered_bytes();
    u.requests_paused = requests_paused_;
    return u;
}

void Session::note_peaks() {
    peaks_.peak_queued_messages = std::max(peaks_.peak_queued_messages, queue_.size());
    peaks_.peak_queued_bytes = std::max(peaks_.peak_queued_bytes, queued_bytes_);
}

void Session::handle_buffered() {
    // The turn's replies are written together at its end (one sendmsg for all of them).
    in_turn_ = true;
    handle_turn();
    in_turn_ = false;
    write_pending();
}

void Session::handle_turn() {
    for (std::size_t handled = 0;; ++handled) {
        if (stopped_ || close_after_flush_) return;
        if (limits_.backlogged(queue_.size(), queued_bytes_)) {
            // The client is not reading its replies: leave its requests where they are (in the
            // decoder, then in the socket, which stalls its writes) until it reads them.
            requests_paused_ = true;
            log_limited("session", spdlog::level::debug, "backpressure " + std::to_string(context_.client_id),
                        "{}: {} messages ({} bytes) unread; its requests wait until it reads them",
                        context_.name(), queue_.size(), queued_bytes_);
            return;
        }
        if (handled == kMessagesPerTurn) {
            // One read can hold hundreds of small requests: let the other sessions have their
            // turn before the rest (posted behind whatever is ready now).
            asio::post(socket_.get_executor(), [self = shared_from_this()] { self->handle_buffered(); });
            return;
        }
        auto message = decoder_.next();
        if (!message) {
            // The stream cannot be resynchronised: say why, then hang up.
            logger("protocol")
                ->warn("{}: {}", context_.name(), loggable(message.error().message, kLoggableMessageBytes));
            send(wire::make_error_reply(0, message.error()));
            close_after_flush_ = true;
            if (queue_.empty()) stop("protocol error");
            return;
        }
        if (!*message) break;
        auto response = handler_.handle(context_, **message);
        send(response.message, std::move(response.fds));
        for (const auto& b : response.events) sessions_.broadcast(b.type, b.event);
    }
    read_more();
}

namespace {
// The key under which a queued event may be replaced by a newer one, or "" when every event of
// the type matters. framing_changed carries a pin's whole current framing (or its absence once the
// pin is gone), so only the newest one per pin says anything. state_changed is kept: a subscriber
// may follow the sequence of transitions (STOP, ACQUIRE, PAUSE, RUN) and each holds a detail;
// they are also bounded by the requests that cause them, one per set_state.
std::string coalescing_key(wire::MessageType type, const nlohmann::json& event) {
    if (type == wire::MessageType::FramingChanged && event.contains("pin") && event["pin"].is_string())
        return "framing_changed " + event["pin"].get<std::string>();
    return {};
}
}  // namespace

std::optional<std::string> Session::encode(const nlohmann::json& message, std::vector<shm::UniqueFd>& fds) {
    auto frame = wire::encode_frame(message);
    if (frame) return std::move(*frame);
    // Only an oversize message fails here. A reply is replaced by a small too_large error
    // (the client asked for more than one message holds); an event is dropped.
    const std::string type = wire::type_name_of(message);
    log_limited("protocol", spdlog::level::warn, "too large " + std::to_string(context_.client_id),
                "{}: cannot send '{}': {}", context_.name(), type, frame.error().message);
    if (message.contains("event")) return std::nullopt;
    auto id =
        message.contains("id") && message["id"].is_number_unsigned() ? message["id"].get<std::uint64_t>() : 0;
    auto error = wire::make_error_reply(
        id,
        Error{Errc::TooLarge, "the reply to '" + type + "' would be too large: " + frame.error().message});
    if (message.contains("type")) error["type"] = message["type"];
    fds.clear();
    auto small = wire::encode_frame(error);
    if (!small) return std::nullopt;
    return std::move(*small);
}

bool Session::fits(std::size_t extra_messages, std::size_t extra_bytes) {
    if (queue_.size() + extra_messages <= limits_.max_queued_messages &&
        queued_bytes_ + extra_bytes <= limits_.max_queued_bytes)
        return true;
    log_limited("session", spdlog::level::warn, "slow reader",
                "{}: outgoing queue full ({} messages, {} bytes); disconnecting the slow client",
                context_.name(), queue_.size(), queued_bytes_);
    stop("outgoing queue overflow");
    return false;
}

void Session::send(const nlohmann::json& message, std::vector<shm::UniqueFd> fds) {
    if (stopped_) return;
    auto frame = encode(message, fds);
    if (!frame) return;
    enqueue(std::move(*frame), std::move(fds), {});
}

void Session::send_event(wire::MessageType type, const nlohmann::json& event) {
    if (stopped_) return;
    std::vector<shm::UniqueFd> no_fds;
    auto frame = encode(event, no_fds);
    if (!frame) return;
    auto key = coalescing_key(type, event);
    if (!key.empty()) {
        auto it = coalescable_.find(key);
        if (it != coalescable_.end() && it->second->sent == 0) {
            Outgoing& queued = *it->second;
            if (frame->size() > queued.bytes.size() && !fits(0, frame->size() - queued.bytes.size())) return;
            queued_bytes_ = queued_bytes_ - queued.bytes.size() + frame->size();
            queued.bytes = std::move(*frame);
            note_peaks();
            return;  // already waiting behind a write in progress: write_pending will get to it
        }
    }
    enqueue(std::move(*frame), {}, std::move(key));
}

void Session::enqueue(std::string frame, std::vector<shm::UniqueFd> fds, std::string coalescing_key) {
    if (!fits(1, frame.size())) return;
    queued_bytes_ += frame.size();
    queue_.push_back(Outgoing{std::move(frame), 0, std::move(fds), std::move(coalescing_key)});
    note_peaks();
    if (!queue_.back().coalescing_key.empty()) coalescable_[queue_.back().coalescing_key] = &queue_.back();
    write_pending();
}

Session::SendResult Session::send_some() {
    // Gathers what is queued into one sendmsg: a turn's replies cost one system call, not one
    // each. A message with descriptors starts a sendmsg of its own (they travel with its first byte).
    constexpr std::size_t kMaxGathered = 64;
    std::array<iovec, kMaxGathered> iov{};
    std::size_t count = 0;
    for (auto& out : queue_) {
        if (count == kMaxGathered || (count > 0 && !out.fds.empty())) break;
        iov[count++] = iovec{out.bytes.data() + out.sent, out.bytes.size() - out.sent};
    }
    Outgoing& first = queue_.front();
    msghdr msg{};
    msg.msg_iov = iov.data();
    msg.msg_iovlen = count;
    std::vector<char> control;
    if (first.sent == 0 && !first.fds.empty()) {
        control.resize(CMSG_SPACE(sizeof(int) * first.fds.size()));
        msg.msg_control = control.data();
        msg.msg_controllen = control.size();
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * first.fds.size());
        auto* data = reinterpret_cast<int*>(CMSG_DATA(c));
        for (std::size_t i = 0; i < first.fds.size(); ++i) data[i] = first.fds[i].get();
    }
    ssize_t n;
    do {
        n = ::sendmsg(socket_.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return SendResult::WouldBlock;
        stop(std::string("send failed: ") + std::strerror(errno));
        return SendResult::Failed;
    }
    if (n > 0 && !first.fds.empty()) first.fds.clear();  // the kernel holds its own references now
    auto left = static_cast<std::size_t>(n);
    while (left > 0) {
        Outgoing& out = queue_.front();
        const std::size_t take = std::min(left, out.bytes.size() - out.sent);
        out.sent += take;
        left -= take;
        if (out.sent < out.bytes.size()) break;
        pop_written();
    }
    return SendResult::Progress;
}

void Session::pop_written() {
    Outgoing& out = queue_.front();
    queued_bytes_ -= out.bytes.size();
    if (!out.coalescing_key.empty()) {
        auto it = coalescable_.find(out.coalescing_key);
        if (it != coalescable_.end() && it->second == &out) coalescable_.erase(it);
    }
    queue_.pop_front();
}

void Session::write_pending() {
    while (!stopped_ && !waiting_writable_ && !in_turn_ && !queue_.empty()) {
        const auto result = send_some();
        if (result == SendResult::Failed) return;
        if (result == SendResult::WouldBlock) {
            wait_writable();
            break;
        }
    }
    if (!stopped_ && queue_.empty() && close_after_flush_) {
        stop("protocol error");
        return;
    }
    resume_if_drained();
}

void Session::resume_if_drained() {
    if (stopped_ || in_turn_ || !requests_paused_ || !limits_.drained(queue_.size(), queued_bytes_)) return;
    requests_paused_ = false;
    // Posted, not called: this may run inside enqueue() on behalf of another session's request.
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->handle_buffered(); });
}

void Session::wait_writable() {
    waiting_writable_ = true;
    socket_.async_wait(asio::local::stream_protocol::socket::wait_write,
                       [self = shared_from_this()](const boost::system::error_code& ec) {
                           self->waiting_writable_ = false;
                           if (ec) {
                               if (ec != asio::error::operation_aborted) self->stop(ec.message());
                               return;
                           }
                           self->write_pending();
                       });
}

void Session::stop(const std::string& reason) {
    if (stopped_) return;
    stopped_ = true;
    boost::system::error_code ec;
    socket_.shutdown(asio::local::stream_protocol::socket::shutdown_both, ec);
    socket_.close(ec);
    coalescable_.clear();
    queue_.clear();
    queued_bytes_ = 0;
    // A client that simply hung up is routine; any other end (protocol error, overflow, a fault,
    // shutdown) is worth a line.
    logger("session")->log(reason == kHungUp ? spdlog::level::debug : spdlog::level::info, "{}: closed: {}",
                           context_.name(), reason);
    auto self = shared_from_this();  // the set may hold the last reference
    sessions_.remove(context_.client_id);
    for (const auto& b : handler_.session_closed(context_, reason)) sessions_.broadcast(b.type, b.event);
}

}  // namespace ksim::daemon::server
