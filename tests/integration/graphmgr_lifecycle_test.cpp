// The graph manager as a process: one at a time, SIGTERM exits 0, restarts resume from the
// daemon's committed state, a kill at any moment leaves no half-committed pipe, and connections
// a client creates later are negotiated by the running manager.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>

#include "stack.hpp"

namespace ksim::itest {
namespace {

std::filesystem::path config(const char* name) {
    return configs_dir() / name;
}

std::size_t count_commits(const std::string& log) {
    std::size_t n = 0;
    for (std::size_t at = log.find("commit: pipe"); at != std::string::npos;
         at = log.find("commit: pipe", at + 1))
        ++n;
    return n;
}

// Every pipe is all-or-nothing: connections sharing a provider pin have identical decisions, and
// a connection is undecided only when no other connection of its pipe is decided.
void expect_no_half_committed_pipe(client::Client& observer) {
    auto conns = observer.connections();
    ASSERT_TRUE(conns) << conns.error().message;
    std::map<std::string, std::vector<const wire::ConnectionInfo*>> by_provider;
    for (const auto& c : *conns)
        if (c.decision) by_provider[c.decision->provider.to_string()].push_back(&c);
    for (const auto& [provider, group] : by_provider)
        for (const auto* c : group) {
            EXPECT_EQ(c->decision->frame_size, group.front()->decision->frame_size) << provider;
            EXPECT_EQ(c->decision->frames, group.front()->decision->frames) << provider;
        }
    // The in-place chain of inplace-transform-pipe is one pipe of two connections.
    std::size_t decided = 0;
    for (const auto& c : *conns) decided += c.decision ? 1 : 0;
    EXPECT_TRUE(decided == 0 || decided == conns->size()) << decided << " of " << conns->size() << " decided";
}

TEST(GraphManagerLifecycle, GraphManager_SecondInstance_IsRefusedAndFirstExitsZeroOnSigterm) {
    const auto shm_before = ksim_dev_shm_entries();
    {
        Stack stack(config("demo-capture-1080p.json"));
        auto observer = stack.connect();
        ASSERT_TRUE(observer);
        ASSERT_TRUE(observer->connection().subscribe());
        auto first = stack.start_graphmgr("first");
        ASSERT_TRUE(wait_all_committed(*observer, 1, 20s)) << first->stderr_text();

        const RunResult second = stack.run_graphmgr_once("second");
        EXPECT_EQ(second.exit_code, 4) << second.err;
        EXPECT_NE(second.err.find("another graph manager is already connected"), std::string::npos)
            << second.err;
        EXPECT_TRUE(first->running());

        first->signal(SIGTERM);
        EXPECT_EQ(first->wait(10s), 0) << first->stderr_text();
        // Once the first one is gone, a new manager is admitted and finds nothing to do.
        const RunResult third = stack.run_graphmgr_once("third");
        EXPECT_EQ(third.exit_code, 0) << third.err;
        EXPECT_NE(third.err.find("already-committed"), std::string::npos) << third.err;
        EXPECT_EQ(stack.stop_daemon(), 0);
    }
    EXPECT_FALSE(has_live_children());
    EXPECT_EQ(ksim_dev_shm_entries(), shm_before);
}

TEST(GraphManagerLifecycle, GraphManager_KilledAtAnyMoment_LeavesNoHalfCommittedPipeAndResumes) {
    const auto shm_before = ksim_dev_shm_entries();
    {
        Stack stack(config("inplace-transform-pipe.json"));
        auto observer = stack.connect();
        ASSERT_TRUE(observer);
        ASSERT_TRUE(observer->connection().subscribe());
        // Kill managers at different moments of their pass: right away, after the first event
        // they cause, and so on. Whatever was reached, every pipe is whole or absent.
        for (int round = 0; round < 6; ++round) {
            auto mgr = stack.start_graphmgr("killed" + std::to_string(round));
            for (int seen = 0; seen < round; ++seen)
                if (!observer->connection().next_event(2s)) break;
            mgr->kill_and_reap();
            expect_no_half_committed_pipe(*observer);
        }
        const RunResult resumed = stack.run_graphmgr_once("resumed");
        EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
        auto conns = observer->connections();
        ASSERT_TRUE(conns);
        for (const auto& c : *conns) EXPECT_TRUE(c.decision.has_value()) << c.from.to_string();
        // A restart on a fully committed graph commits nothing again.
        const RunResult again = stack.run_graphmgr_once("again");
        EXPECT_EQ(again.exit_code, 0) << again.err;
        EXPECT_EQ(count_commits(again.err), 0u) << again.err;
        EXPECT_NE(again.err.find("already-committed"), std::string::npos) << again.err;
        EXPECT_EQ(stack.stop_daemon(), 0);
    }
    EXPECT_FALSE(has_live_children());
    EXPECT_EQ(ksim_dev_shm_entries(), shm_before);
}

TEST(GraphManagerLifecycle, GraphManager_ConnectionCreatedLaterByClient_IsNegotiatedAsUserMode) {
    const auto shm_before = ksim_dev_shm_entries();
    {
        Stack stack(config("kernel-chain-vendor-dma.json"));
        auto observer = stack.connect();
        ASSERT_TRUE(observer);
        ASSERT_TRUE(observer->connection().subscribe());
        auto mgr = stack.start_graphmgr("manager");
        ASSERT_TRUE(wait_all_committed(*observer, 1, 20s)) << mgr->stderr_text();

        // A client hosts a sink pin and connects it to... there is no free kernel output pin in
        // this config, so it builds its own user source -> user sink pair on its own filters.
        auto app = stack.connect(wire::Role::Client, "late-client");
        ASSERT_TRUE(app);
        wire::CreatePinRequest src{"late_src", "out", proto::PinDirection::Out, std::nullopt};
        wire::CreatePinRequest dst{"late_sink", "in", proto::PinDirection::In, std::nullopt};
        auto from = app->create_pin(src);
        ASSERT_TRUE(from) << from.error().message;
        auto to = app->create_pin(dst);
        ASSERT_TRUE(to) << to.error().message;
        ASSERT_TRUE(app->connect_pins(*from, *to));
        ASSERT_TRUE(wait_all_committed(*observer, 2, 20s)) << mgr->stderr_text();

        auto conns = observer->connections();
        ASSERT_TRUE(conns);
        for (const auto& c : *conns) {
            ASSERT_TRUE(c.decision);
            if (c.from == *from) {
                EXPECT_NE(c.decision->kind, wire::AllocatorKind::Vendor);
            }
            if (c.from.filter == "camera") {
                EXPECT_EQ(c.decision->kind, wire::AllocatorKind::Vendor);
            }
        }
        mgr->signal(SIGTERM);
        EXPECT_EQ(mgr->wait(10s), 0) << mgr->stderr_text();
        EXPECT_EQ(stack.stop_daemon(), 0);
    }
    EXPECT_FALSE(has_live_children());
    EXPECT_EQ(ksim_dev_shm_entries(), shm_before);
}

// No timer: with the safety net off, the manager learns of a client's new connection only from
// ksimd's connection_changed event, and commits it. The pins exist before the manager starts, so
// the connect is the only change after its first pass (no framing_changed can trigger the pass).
TEST(GraphManagerLifecycle, GraphManager_ConnectionMadeByClient_IsCommittedOnItsEventWithoutRescanning) {
    const auto shm_before = ksim_dev_shm_entries();
    {
        Stack stack(config("demo-capture-1080p.json"));
        auto observer = stack.connect();
        ASSERT_TRUE(observer);
        ASSERT_TRUE(observer->connection().subscribe());
        auto app = stack.connect(wire::Role::Client, "late-client");
        ASSERT_TRUE(app);
        auto from = app->create_pin(
            wire::CreatePinRequest{"late_src", "out", proto::PinDirection::Out, std::nullopt});
        ASSERT_TRUE(from) << from.error().message;
        auto to =
            app->create_pin(wire::CreatePinRequest{"late_sink", "in", proto::PinDirection::In, std::nullopt});
        ASSERT_TRUE(to) << to.error().message;

        auto mgr = stack.start_graphmgr("manager", {"--rescan-ms", "0"});
        ASSERT_TRUE(wait_all_committed(*observer, 1, 20s)) << mgr->stderr_text();
        ASSERT_TRUE(app->connect_pins(*from, *to));
        ASSERT_TRUE(app->wait_until_committed(*to, 20s)) << mgr->stderr_text();

        mgr->signal(SIGTERM);
        EXPECT_EQ(mgr->wait(10s), 0) << mgr->stderr_text();
        const std::string log = mgr->stderr_text();
        EXPECT_NE(log.find("connection_changed"), std::string::npos) << log;
        EXPECT_EQ(stack.stop_daemon(), 0);
    }
    EXPECT_FALSE(has_live_children());
    EXPECT_EQ(ksim_dev_shm_entries(), shm_before);
}

TEST(GraphManagerLifecycle, GraphManager_DriverCatalogFlag_IsAcceptedButIgnoredWithAWarning) {
    const auto shm_before = ksim_dev_shm_entries();
    {
        Stack stack(config("kernel-chain-vendor-dma.json"));
        const RunResult r =
            stack.run_graphmgr_once("deprecated", {"--driver-catalog", "/nonexistent/catalog.json"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_NE(r.err.find("--driver-catalog is deprecated and ignored"), std::string::npos) << r.err;
        // The vendor allocator was still a candidate and chosen: its caps came from ksimd.
        auto observer = stack.connect();
        ASSERT_TRUE(observer);
        auto conns = observer->connections();
        ASSERT_TRUE(conns);
        ASSERT_EQ(conns->size(), 1u);
        ASSERT_TRUE(conns->front().decision);
        EXPECT_EQ(conns->front().decision->kind, wire::AllocatorKind::Vendor);
        EXPECT_EQ(stack.stop_daemon(), 0);
    }
    EXPECT_FALSE(has_live_children());
    EXPECT_EQ(ksim_dev_shm_entries(), shm_before);
}

}  // namespace
}  // namespace ksim::itest

namespace ksim::itest {
namespace {

// ksimd crashes (SIGKILL) and comes back on the same socket with nothing committed: the running
// manager notices, reconnects with back-off and commits again, and logs the gap.
TEST(GraphManagerLifecycle, GraphManager_KsimdKilledAndRestarted_ReconnectsAndRecommits) {
    Stack stack(config("demo-capture-1080p.json"));
    auto gm = stack.start_graphmgr("gm-reconnect");
    {
        auto observer = stack.connect(wire::Role::Client, "observer-before");
        ASSERT_TRUE(observer) << observer.error().message;
        ASSERT_TRUE(wait_all_committed(*observer, 1, 20s)) << gm->stderr_text();
    }
    stack.crash_and_restart_daemon();
    auto fresh = stack.connect(wire::Role::Client, "observer-after");
    ASSERT_TRUE(fresh) << fresh.error().message;
    ASSERT_TRUE(fresh->connection().subscribe());
    // Only the manager commits: a decision on the new daemon is its re-commit.
    ASSERT_TRUE(wait_all_committed(*fresh, 1, 30s)) << gm->stderr_text();
    EXPECT_TRUE(gm->running());
    const std::string log = gm->stderr_text();
    EXPECT_NE(log.find("lost ksimd at " + stack.socket()), std::string::npos) << log;
    EXPECT_NE(log.find("reconnected to ksimd at " + stack.socket() + " after "), std::string::npos) << log;
    gm->signal(SIGTERM);
    EXPECT_EQ(gm->wait(10s), 0) << gm->stderr_text();
    EXPECT_TRUE(ksim_dev_shm_entries().empty());
}

}  // namespace
}  // namespace ksim::itest
