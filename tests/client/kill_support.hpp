// Clients killed with SIGKILL at a chosen step of their life, against the real ksimd of a
// KsimdFixture (two-cameras.json): the doomed client runs in a forked child and reports each step
// reached on a pipe; a bystander streams camera2 -> viewer2 in a thread of the test and counts
// gaps in the picture numbers. Shared by the kill tests and the soak test.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ksim/client/client.hpp"
#include "ksim/client/stream.hpp"
#include "ksim/proto/memory_types.hpp"
#include "ksimd_fixture.hpp"

namespace ksim::client::test {

using namespace std::chrono_literals;

inline const std::string kTwoCameras = std::string(KSIM_TEST_CONFIGS_DIR) + "/two-cameras.json";
inline const proto::PinRef kCamera2{"camera2", "capture"};
inline const proto::PinRef kViewer2{"viewer2", "input"};
inline const proto::PinRef kCamera3{"camera3", "capture"};
inline const proto::PinRef kCreated{"doomed", "in0"};
inline constexpr std::uint32_t kSmallFrame = 64 * 48 * 3 / 2;

// The step of its life at which a client is killed.
enum class KillStep { AfterHello, AfterAcquire, AfterOpenStream, InRunHoldingFrames, WithACreatedPin };
inline const char* to_string(KillStep s) {
    switch (s) {
        case KillStep::AfterHello:
            return "AfterHello";
        case KillStep::AfterAcquire:
            return "AfterAcquire";
        case KillStep::AfterOpenStream:
            return "AfterOpenStream";
        case KillStep::InRunHoldingFrames:
            return "InRunHoldingFrames";
        case KillStep::WithACreatedPin:
            return "WithACreatedPin";
    }
    return "?";
}

inline wire::CommitRequest user_pool(const proto::PinRef& from, const proto::PinRef& to) {
    wire::CommitRequest c;
    c.connections = {{from, to}};
    c.decision = {wire::AllocatorKind::User, from, proto::memory_type::kUser, kSmallFrame, 4, 0};
    return c;
}

// The doomed client's body (in the child): reaches `step`, writes one byte to `ready`, waits to
// be killed. Exit codes name the step that failed (the parent reports them).
[[noreturn]] inline void doomed_client(const std::string& socket, KillStep step, int ready) {
    ConnectOptions o;
    o.socket_path = socket;
    o.name = "doomed";
    auto c = Client::connect(o);
    if (!c) ::_exit(10);
    std::unique_ptr<Stream> stream;
    std::vector<FrameView> held;
    proto::PinRef camera = kCamera, viewer = kViewer;
    if (step == KillStep::WithACreatedPin) {
        camera = kCamera3;
        viewer = kCreated;
        if (!c->create_pin(
                wire::CreatePinRequest{kCreated.filter, kCreated.pin, proto::PinDirection::In, {}}))
            ::_exit(11);
        if (!c->connect_pins(kCamera3, kCreated)) ::_exit(12);
        if (!c->wait_until_committed(kCreated, 20s)) ::_exit(13);  // the parent commits as graph manager
    }
    if (step != KillStep::AfterHello) {
        if (!c->set_state(viewer, proto::PinState::Acquire) ||
            !c->set_state(camera, proto::PinState::Acquire))
            ::_exit(14);
    }
    if (step == KillStep::AfterOpenStream || step == KillStep::InRunHoldingFrames ||
        step == KillStep::WithACreatedPin) {
        auto s = c->open_stream(viewer);
        if (!s) ::_exit(15);
        stream = std::move(*s);
    }
    if (step == KillStep::InRunHoldingFrames || step == KillStep::WithACreatedPin) {
        if (!c->set_state(viewer, proto::PinState::Run) || !c->set_state(camera, proto::PinState::Run))
            ::_exit(16);
        for (int i = 0; i < 2; ++i) {
            auto f = stream->next_frame(20s);
            if (!f) ::_exit(17);
            held.push_back(std::move(*f));  // never released: the daemon must reclaim them
        }
    }
    const char byte = 1;
    if (::write(ready, &byte, 1) != 1) ::_exit(18);
    for (;;) ::pause();
}

// Forks a doomed client, waits until it reached `step` (or the child failed), SIGKILLs it and
// reaps it. Returns "" or what went wrong.
inline std::string kill_client_at(const std::string& socket, KillStep step, Client* graph_manager) {
    int ready[2];
    if (::pipe(ready) != 0) return "pipe failed";
    const pid_t child = ::fork();
    if (child < 0) return "fork failed";
    if (child == 0) {
        ::close(ready[0]);
        doomed_client(socket, step, ready[1]);
    }
    ::close(ready[1]);
    std::string error;
    if (step == KillStep::WithACreatedPin && graph_manager) {
        // Commit once the child's connection exists (it waits for the commit).
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        for (;;) {
            auto r = graph_manager->commit(user_pool(kCamera3, kCreated));
            if (r) break;
            if (std::chrono::steady_clock::now() > deadline) {
                error = "commit of camera3 -> doomed.in0 never succeeded: " + r.error().message;
                break;
            }
            pollfd wait_child{ready[0], POLLIN, 0};
            (void)::poll(&wait_child, 1, 5);  // the child's connect is a round trip away; or it died
            if (wait_child.revents & POLLHUP) break;
        }
    }
    pollfd pfd{ready[0], POLLIN, 0};
    char byte = 0;
    if (error.empty() && (::poll(&pfd, 1, 30000) != 1 || ::read(ready[0], &byte, 1) != 1))
        error = std::string("the doomed client did not reach ") + to_string(step);
    ::close(ready[0]);
    ::kill(child, SIGKILL);
    int status = 0;
    (void)::waitpid(child, &status, 0);
    if (!error.empty() && WIFEXITED(status))
        error += " (child exit " + std::to_string(WEXITSTATUS(status)) + ")";
    return error;
}

// Streams camera2 -> viewer2 on its own thread and counts picture-number gaps.
class Bystander {
public:
    explicit Bystander(Client& client) : client_(client) {}
    ~Bystander() { stop(); }
    // Starts both pins and the reader; false (with a test failure) if that failed.
    bool start() {
        for (const auto& p : {kViewer2, kCamera2})
            if (!client_.set_state(p, proto::PinState::Acquire)) return false;
        auto s = client_.open_stream(kViewer2);
        EXPECT_TRUE(s) << (s ? "" : s.error().message);
        if (!s) return false;
        stream_ = std::move(*s);
        for (const auto& p : {kViewer2, kCamera2})
            if (!client_.set_state(p, proto::PinState::Run)) return false;
        reader_ = std::thread([this] { read(); });
        return true;
    }
    void stop() {
        running_ = false;
        if (reader_.joinable()) reader_.join();
    }
    // Waits until `more` further frames arrived (the stream still flows).
    bool flows(std::uint64_t more) {
        const auto target = frames_.load() + more;
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while (frames_.load() < target && std::chrono::steady_clock::now() < deadline && !failed_.load())
            std::this_thread::yield();
        return frames_.load() >= target;
    }
    [[nodiscard]] std::uint64_t frames() const { return frames_.load(); }
    [[nodiscard]] std::uint64_t gaps() const { return gaps_.load(); }
    [[nodiscard]] bool failed() const { return failed_.load(); }

private:
    void read() {
        std::int64_t last = -1;
        while (running_.load()) {
            auto f = stream_->next_frame(10s);
            if (!f) {
                failed_ = true;
                return;
            }
            const std::int64_t n = f->header().picture_number;
            if (last >= 0 && n != last + 1) gaps_.fetch_add(1);
            last = n;
            frames_.fetch_add(1);
        }
    }
    Client& client_;
    std::unique_ptr<Stream> stream_;
    std::thread reader_;
    std::atomic<bool> running_{true};
    std::atomic<bool> failed_{false};
    std::atomic<std::uint64_t> frames_{0};
    std::atomic<std::uint64_t> gaps_{0};
};

// The setup both kill tests share: two-cameras.json started, both user pools committed by a
// graph-manager client, and the bystander streaming. Members are dropped before ksimd stops.
class KillFixture : public KsimdFixture {
protected:
    void start_with_bystander() {
        start(kTwoCameras);
        gm_.emplace(connect(wire::Role::GraphManager, "gm"));
        for (const auto& [from, to] : {std::pair{kCamera, kViewer}, std::pair{kCamera2, kViewer2}})
            ASSERT_TRUE(gm_->commit(user_pool(from, to))) << daemon_->log();
        watcher_.emplace(connect(wire::Role::Client, "bystander"));
        bystander_.emplace(*watcher_);
        ASSERT_TRUE(bystander_->start()) << daemon_->log();
        ASSERT_TRUE(bystander_->flows(5));
    }
    void TearDown() override {
        bystander_.reset();  // before the client it streams through
        watcher_.reset();
        gm_.reset();
        KsimdFixture::TearDown();
    }
    std::optional<Client> gm_;
    std::optional<Client> watcher_;
    std::optional<Bystander> bystander_;
};

// Frames out of their pools except the bystander's (pool names start with its camera), waited
// for until none are left (or the deadline).
inline std::size_t leaked_frames(Client& c, const std::string& bystander_pipe_prefix = "camera2") {
    std::size_t n = 0;
    for (auto deadline = std::chrono::steady_clock::now() + 10s;
         std::chrono::steady_clock::now() < deadline;) {
        auto entries = c.ledger();
        if (!entries) return 9999;
        n = 0;
        for (const auto& e : *entries)
            if (e.pool.rfind(bystander_pipe_prefix, 0) != 0) ++n;
        if (n == 0) break;
        std::this_thread::yield();
    }
    return n;
}

// The state of `pin` once it is STOP (or whatever it is at the deadline).
inline std::optional<proto::PinState> state_reaching_stop(Client& c, const proto::PinRef& pin) {
    std::optional<proto::PinState> state;
    for (auto deadline = std::chrono::steady_clock::now() + 10s;
         std::chrono::steady_clock::now() < deadline;) {
        auto s = c.connection_state(pin);
        if (!s) return std::nullopt;
        state = s->state;
        if (*state == proto::PinState::Stop) break;
        std::this_thread::yield();
    }
    return state;
}

}  // namespace ksim::client::test
