// What the end of a connection's session means for everything that waits on it: the one error a
// call or a wait returns once ksimd closed the socket, and the hooks through which the reader
// thread wakes every wait of the connection's streams at once (their rings' cancel_waits).
// Private to libksim.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "ksim/proto/error.hpp"

namespace ksim::client::detail {

// The error of every request and every wait of a connection whose daemon closed the socket.
inline Error daemon_closed_connection() {
    return Error{Errc::Disconnected, "ksimd closed the connection"};
}

// Callbacks to run once when a session ends. Thread-safe. A callback runs under the hooks' lock
// (so that a remove() returning means it is not running and never will): it must not block and
// must not add or remove hooks.
class SessionEndHooks {
public:
    using Token = std::uint64_t;

    // Runs `on_end` when the session ends, or at once (on this thread) when it already has.
    Token add(std::function<void()> on_end) {
        std::lock_guard lock(mutex_);
        if (ended_) {
            on_end();
            return 0;
        }
        const Token token = next_++;
        hooks_.emplace(token, std::move(on_end));
        return token;
    }
    void remove(Token token) {
        std::lock_guard lock(mutex_);
        hooks_.erase(token);
    }
    // The session ended: runs every hook once. Later calls do nothing.
    void end() {
        std::lock_guard lock(mutex_);
        if (ended_) return;
        ended_ = true;
        for (auto& [token, hook] : hooks_) hook();
        hooks_.clear();
    }

    // A hook that is removed when this handle goes (declare it last in its owner, so that the
    // hook is gone before what it touches).
    class Subscription {
    public:
        Subscription() = default;
        Subscription(std::shared_ptr<SessionEndHooks> hooks, std::function<void()> on_end)
            : hooks_(std::move(hooks)), token_(hooks_->add(std::move(on_end))) {}
        Subscription(Subscription&& other) noexcept
            : hooks_(std::move(other.hooks_)), token_(std::exchange(other.token_, 0)) {}
        Subscription& operator=(Subscription&& other) noexcept {
            if (this != &other) {
                reset();
                hooks_ = std::move(other.hooks_);
                token_ = std::exchange(other.token_, 0);
            }
            return *this;
        }
        ~Subscription() { reset(); }

    private:
        void reset() {
            if (hooks_ && token_ != 0) hooks_->remove(token_);
            hooks_.reset();
            token_ = 0;
        }

        std::shared_ptr<SessionEndHooks> hooks_;
        Token token_ = 0;
    };

private:
    std::mutex mutex_;
    bool ended_ = false;
    Token next_ = 1;
    std::map<Token, std::function<void()>> hooks_;
};

}  // namespace ksim::client::detail
