// ClientSession: the record of a client's set-up and the recovery that redoes it after a loss.
#include "client_session.hpp"

#include <algorithm>
#include <thread>

#include "connection_state.hpp"
#include "ksim/client/client.hpp"
#include "stream_core.hpp"

namespace ksim::client::detail {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool at_least(proto::PinState state, proto::PinState level) {
    return static_cast<int>(state) >= static_cast<int>(level);
}

std::unexpected<Error> in_step(const std::string& step, Error e) {
    e.message = step + ": " + e.message;
    return std::unexpected(std::move(e));
}

// What a gap cost, as far as this client can tell (see Gap::frames_possibly_lost).
std::uint64_t frames_possibly_lost(const std::vector<std::shared_ptr<StreamCore>>& lost_cores,
                                   milliseconds gap) {
    std::uint64_t lost = 0;
    for (const auto& core : lost_cores) {
        lost += core->frames_in_flight();
        const std::int64_t period = core->writable ? 0 : core->last_duration.load();  // 100 ns units
        if (period > 0) lost += static_cast<std::uint64_t>(gap.count() * 10'000 / period);
    }
    return lost;
}

}  // namespace

ClientSession::ClientSession(std::shared_ptr<Connection> connection, ConnectOptions options)
    : options_(std::move(options)), current_(std::move(connection)) {}

std::shared_ptr<Connection> ClientSession::connection() const {
    std::lock_guard lock(mutex_);
    return current_;
}

void ClientSession::record_created_pin(const wire::CreatePinRequest& request) {
    if (!reconnects()) return;
    std::lock_guard lock(mutex_);
    setup_.created.push_back(request);
}

void ClientSession::record_connected(const proto::PinRef& from, const proto::PinRef& to) {
    if (!reconnects()) return;
    std::lock_guard lock(mutex_);
    setup_.connected.emplace_back(from, to);
}

void ClientSession::record_state(const proto::PinRef& pin, proto::PinState state) {
    if (!reconnects()) return;
    std::lock_guard lock(mutex_);
    std::erase_if(setup_.states, [&](const auto& entry) { return entry.first == pin; });
    if (state != proto::PinState::Stop) setup_.states.emplace_back(pin, state);
}

std::shared_ptr<StreamSlot> ClientSession::add_stream(const proto::PinRef& pin,
                                                      std::shared_ptr<StreamCore> core) {
    auto slot = std::make_shared<StreamSlot>();
    slot->pin = pin;
    slot->options = core->options;
    slot->core = std::move(core);
    std::lock_guard lock(mutex_);
    std::erase_if(setup_.streams, [](const auto& weak) { return weak.expired(); });
    setup_.streams.push_back(slot);
    return slot;
}

ClientSession::SetUp ClientSession::snapshot() const {
    std::lock_guard lock(mutex_);
    return setup_;
}

Result<void> ClientSession::recover(const Connection* lost) {
    Gap gap;
    {
        std::lock_guard recovering(recover_mutex_);
        {
            std::lock_guard lock(mutex_);
            if (given_up_) return std::unexpected(*given_up_);
            if (current_.get() != lost) return {};  // another caller resumed the session already
        }
        // The gap runs from when the reader saw the end (frames stopped then); the attempts are
        // bounded from now (a call may notice the loss only later).
        auto lost_at = Clock::now();
        auto& lost_state = ConnectionAccess::state(*current_);
        bool still_open = false;
        {
            std::lock_guard lock(lost_state.mutex);
            if (lost_state.closed_by_client) return std::unexpected(lost_state.reason);
            still_open = lost_state.open;
            gap.cause =
                still_open ? Error{Errc::Disconnected, "the connection to ksimd failed"} : lost_state.reason;
            if (!still_open) lost_at = lost_state.ended_at;
        }
        // A send that failed before the reader saw the end: end it here, so that a daemon that is
        // still there lets go of what this client hosted before the set-up is redone.
        if (still_open) current_->close();
        if (options_.reconnect->on_lost) options_.reconnect->on_lost(gap.cause);
        const auto deadline = Clock::now() + options_.reconnect->give_up_after;
        const SetUp setup = snapshot();
        std::vector<std::shared_ptr<StreamCore>> lost_cores;
        for (const auto& weak : setup.streams)
            if (auto slot = weak.lock()) {
                std::lock_guard lock(slot->mutex);
                lost_cores.push_back(slot->core);
            }

        auto delay = options_.reconnect->initial_delay;
        Error last{Errc::Disconnected, "no attempt was made"};
        for (;;) {
            // Backoff between attempts (the daemon needs time to come back), not synchronisation.
            std::this_thread::sleep_for(std::min<Clock::duration>(delay, deadline - Clock::now()));
            ++gap.attempts;
            auto resumed = attempt(setup, deadline);
            if (resumed) {
                for (auto& [slot, core] : resumed->streams) {
                    std::lock_guard lock(slot->mutex);
                    slot->core = std::move(core);
                }
                std::lock_guard lock(mutex_);
                retired_.push_back(std::exchange(current_, std::move(resumed->connection)));
                break;
            }
            last = resumed.error();
            if (Clock::now() >= deadline) {
                const auto waited = std::chrono::duration_cast<milliseconds>(
                    Clock::now() - (deadline - options_.reconnect->give_up_after));
                Error e{Errc::Disconnected,
                        gap.cause.message + "; gave up reconnecting after " + std::to_string(waited.count()) +
                            " ms (" + std::to_string(gap.attempts) + " attempt(s)): " + last.message};
                std::lock_guard lock(mutex_);
                given_up_ = e;
                return std::unexpected(std::move(e));
            }
            delay = std::min(delay * 2, options_.reconnect->max_delay);
        }
        gap.duration = std::chrono::duration_cast<milliseconds>(Clock::now() - lost_at);
        gap.frames_possibly_lost = frames_possibly_lost(lost_cores, gap.duration);
    }
    // Outside the lock, so that the callback may use the client (and wait for nothing).
    if (options_.reconnect->on_gap) options_.reconnect->on_gap(gap);
    return {};
}

Result<ClientSession::Resumed> ClientSession::attempt(const SetUp& setup, Clock::time_point deadline) const {
    auto left = [&] {
        return std::max(milliseconds(1), std::chrono::ceil<milliseconds>(deadline - Clock::now()));
    };
    ConnectOptions options = options_;
    options.reconnect.reset();
    options.timeout = std::min(options.timeout, left());
    auto connected = Connection::connect(options);
    if (!connected) return std::unexpected(connected.error());
    Resumed resumed{std::shared_ptr<Connection>(std::move(*connected)), {}};
    Client fresh(resumed.connection);  // no reconnect of its own: a failure ends this attempt

    // The new daemon knows nothing of us: the pins we hosted and connected come first...
    for (const auto& request : setup.created)
        if (auto pin = fresh.create_pin(request); !pin)
            return in_step("re-create " + request.filter + "." + request.id, pin.error());
    for (const auto& [from, to] : setup.connected)
        if (auto c = fresh.connect_pins(from, to); !c)
            return in_step("re-connect " + from.to_string() + " -> " + to.to_string(), c.error());
    // ...then ACQUIRE, once the graph manager committed again (the allocators exist from here
    // on, so the streams can be opened), the streams, and last PAUSE / RUN in the order the
    // application set them (the peer before our pin, so that our first frame finds it running).
    for (const auto& [pin, state] : setup.states) {
        if (!at_least(state, proto::PinState::Acquire)) continue;
        auto acquired = fresh.set_state(pin, proto::PinState::Acquire);
        if (!acquired && acquired.error().code == Errc::NotCommitted) {
            if (auto c = fresh.wait_until_committed(pin, left()); !c)
                return in_step("waiting for the graph manager to commit " + pin.to_string(), c.error());
            acquired = fresh.set_state(pin, proto::PinState::Acquire);
        }
        if (!acquired) return in_step("acquire " + pin.to_string(), acquired.error());
    }
    for (const auto& weak : setup.streams) {
        auto slot = weak.lock();
        if (!slot) continue;  // closed meanwhile
        auto core = open_stream_core(resumed.connection, slot->pin, left(), slot->options);
        if (!core) return in_step("re-open the stream of " + slot->pin.to_string(), core.error());
        resumed.streams.emplace_back(std::move(slot), std::move(*core));
    }
    for (const auto& [pin, state] : setup.states) {
        if (!at_least(state, proto::PinState::Pause)) continue;
        if (auto s = fresh.set_state(pin, state); !s)
            return in_step(std::string(proto::to_string(state)) + " " + pin.to_string(), s.error());
    }
    return resumed;
}

}  // namespace ksim::client::detail
