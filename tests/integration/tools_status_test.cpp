// ksimctl status, monitor, dump and stats against a live stack: what status says with and
// without a graph manager and for a connection negotiation cannot satisfy, a monitor printing a
// state change (synchronised on its output), a dump with every section, stats --reset, and the
// hand-off latency kept apart from how long a client holds a frame.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "ksim/client/stream.hpp"
#include "ksim/negotiation/record_json.hpp"
#include "stack.hpp"

namespace ksim::itest {
namespace {

const proto::PinRef kCamera{"camera", "capture"};
const proto::PinRef kViewer{"viewer", "input"};

RunResult ksimctl(Stack& stack, std::vector<std::string> args, const std::string& label = "ksimctl") {
    args.insert(args.begin(), {ksimctl_path(), "--socket", stack.socket()});
    return run(args, stack.dir(), label);
}

nlohmann::json ksimctl_json(Stack& stack, std::vector<std::string> args) {
    args.push_back("--json");
    const RunResult r = ksimctl(stack, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
}

// Waits until `ready(stdout or stderr so far)` holds, looking again whenever the process may have
// written (a short poll on its pidfd, which also ends the wait if it exits). False on timeout.
bool wait_for_output(Process& p, bool (*ready)(const std::string& out, const std::string& err),
                     std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!ready(p.stdout_text(), p.stderr_text())) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        pollfd fd{p.pidfd(), POLLIN, 0};
        if (::poll(&fd, 1, 10) > 0) return ready(p.stdout_text(), p.stderr_text());
    }
    return true;
}

TEST(KsimctlStatus, WithoutGraphManager_SaysSoAndListsTheUncommittedConnection) {
    Stack stack(configs_dir() / "demo-capture-1080p.json");
    const auto status = ksimctl_json(stack, {"status"});
    EXPECT_TRUE(status["graph_manager"].is_null()) << status.dump(2);
    EXPECT_EQ(status["connections"], 1);
    EXPECT_EQ(status["committed_connections"], 0);
    EXPECT_EQ(status["uncommitted_total"], 1);
    ASSERT_EQ(status["uncommitted"].size(), 1u) << status.dump(2);
    EXPECT_EQ(status["uncommitted"][0]["from"], "camera.capture");
    EXPECT_EQ(status["uncommitted"][0]["to"], "viewer.input");
    EXPECT_FALSE(status["uncommitted"][0].contains("rule"));
    const RunResult text = ksimctl(stack, {"status"});
    EXPECT_NE(text.out.find("graph manager: not connected"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("camera.capture -> viewer.input: no reason known"), std::string::npos)
        << text.out;
}

TEST(KsimctlStatus, WithGraphManager_NamesItAndNothingIsUncommitted) {
    Stack stack(configs_dir() / "demo-capture-1080p.json");
    auto manager = stack.start_graphmgr("graphmgr");
    auto observer = stack.connect();
    ASSERT_TRUE(observer) << observer.error().message;
    ASSERT_TRUE(wait_all_committed(*observer, 1, 20s)) << manager->stderr_text();
    const auto status = ksimctl_json(stack, {"status"});
    ASSERT_TRUE(status["graph_manager"].is_object()) << status.dump(2);
    EXPECT_EQ(status["graph_manager"]["name"], "ksim-graphmgr");
    EXPECT_EQ(status["committed_connections"], 1);
    EXPECT_EQ(status["uncommitted_total"], 0);
    EXPECT_TRUE(status["uncommitted"].empty());
    const RunResult text = ksimctl(stack, {"status"});
    EXPECT_NE(text.out.find("graph manager: connected (client "), std::string::npos) << text.out;
}

// A pipe the engine cannot satisfy: status names the engine's failing rule, the same one the
// graph manager's record carries.
TEST(KsimctlStatus, UnsatisfiedConnection_NamesTheFailingRule) {
    Stack stack(configs_dir() / "framing-mismatch.json");
    const RunResult once = stack.run_graphmgr_once("graphmgr", {"--json"});
    ASSERT_EQ(once.exit_code, 3) << once.err;
    const auto records = nlohmann::json::parse(once.out);
    std::string rule;
    for (const auto& pipe : records["pipes"])
        if (pipe.contains("failure") && pipe["failure"].is_object()) rule = pipe["failure"]["rule"];
    ASSERT_FALSE(rule.empty()) << records.dump(2);

    const auto status = ksimctl_json(stack, {"status"});
    ASSERT_EQ(status["uncommitted"].size(), 1u) << status.dump(2);
    const auto& u = status["uncommitted"][0];
    EXPECT_EQ(u["from"], "encoder.output");
    EXPECT_EQ(u["rule"], rule);
    EXPECT_EQ(u["source"], "graph-manager");
    EXPECT_FALSE(u["reason"].get<std::string>().empty());
    const RunResult text = ksimctl(stack, {"status"});
    EXPECT_NE(text.out.find("encoder.output -> recorder.input: " + rule + ": "), std::string::npos)
        << text.out;
}

bool monitor_ready(const std::string&, const std::string& err) {
    return err.find("monitoring ksimd at") != std::string::npos;
}
bool saw_acquire_json(const std::string& out, const std::string&) {
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        const auto e = nlohmann::json::parse(line);  // one object per line, or the test fails here
        if (e["type"] == "state_changed" && e["pin"] == "camera.capture" && e["state"] == "ACQUIRE")
            return true;
    }
    return false;
}
bool saw_acquire_text(const std::string& out, const std::string&) {
    return out.find("state_changed        camera.capture ACQUIRE (STOP -> ACQUIRE)") != std::string::npos;
}

TEST(KsimctlMonitor, StateChange_PrintedAsJsonLinesAndAsText_UntilInterrupted) {
    Stack stack(configs_dir() / "demo-capture-1080p.json");
    ASSERT_EQ(stack.run_graphmgr_once("graphmgr").exit_code, 0);
    Process json_monitor({ksimctl_path(), "--socket", stack.socket(), "monitor", "--json"}, stack.dir(),
                         "mon-json");
    Process text_monitor({ksimctl_path(), "--socket", stack.socket(), "monitor"}, stack.dir(), "mon-text");
    ASSERT_TRUE(wait_for_output(json_monitor, monitor_ready, 20s)) << json_monitor.stderr_text();
    ASSERT_TRUE(wait_for_output(text_monitor, monitor_ready, 20s)) << text_monitor.stderr_text();

    ASSERT_EQ(ksimctl(stack, {"state", "camera.capture", "ACQUIRE"}).exit_code, 0);
    EXPECT_TRUE(wait_for_output(json_monitor, saw_acquire_json, 20s)) << json_monitor.stdout_text();
    EXPECT_TRUE(wait_for_output(text_monitor, saw_acquire_text, 20s)) << text_monitor.stdout_text();
    for (Process* m : {&json_monitor, &text_monitor}) {
        m->signal(SIGINT);
        EXPECT_EQ(m->wait(10s), 0) << m->stderr_text();
    }
    ASSERT_EQ(ksimctl(stack, {"state", "camera.capture", "STOP"}).exit_code, 0);
}

TEST(KsimctlDump, OneDocumentWithEverySection) {
    Stack stack(configs_dir() / "demo-capture-1080p.json");
    ASSERT_EQ(stack.run_graphmgr_once("graphmgr").exit_code, 0);
    const RunResult r = ksimctl(stack, {"dump"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto dump = nlohmann::json::parse(r.out);
    for (const char* section : {"socket", "status", "filters", "connections", "negotiation", "ledger"})
        EXPECT_TRUE(dump.contains(section)) << section;
    EXPECT_EQ(dump["status"]["committed_connections"], 1);
    std::size_t pins = 0;
    for (const auto& f : dump["filters"])
        for (const auto& p : f["pins"]) {
            ++pins;
            const auto& props = p.at("properties");
            EXPECT_TRUE(props.at("STATISTICS").contains("completed")) << p.dump(2);
            EXPECT_TRUE(props.contains("CONNECTION_STATE")) << p.dump(2);
        }
    EXPECT_EQ(pins, 2u);
    ASSERT_EQ(dump["connections"].size(), 1u);
    EXPECT_TRUE(dump["connections"][0].contains("decision"));
    // The graph record is a negotiation record the engine's own reader accepts.
    EXPECT_TRUE(negotiation::from_json(nlohmann::ordered_json::parse(dump["negotiation"].dump())));
    EXPECT_TRUE(dump["ledger"].is_array());
}

// A user sink streaming from the camera: committed, ACQUIRE, stream open, both pins running.
struct Viewer {
    client::Client client;
    std::unique_ptr<client::Stream> stream;
};
std::optional<Viewer> start_viewer(Stack& stack) {
    auto c = stack.connect(wire::Role::Client, "viewer");
    if (!c) return std::nullopt;
    Viewer v{std::move(*c), nullptr};
    if (!v.client.wait_until_committed(kViewer, 20s)) return std::nullopt;
    if (!v.client.set_state(kViewer, proto::PinState::Acquire)) return std::nullopt;
    auto stream = v.client.open_stream(kViewer);
    if (!stream) return std::nullopt;
    v.stream = std::move(*stream);
    if (!v.client.set_state(kCamera, proto::PinState::Run)) return std::nullopt;
    if (!v.client.set_state(kViewer, proto::PinState::Run)) return std::nullopt;
    return v;
}

nlohmann::json stats_row(const nlohmann::json& rows, const std::string& pin) {
    for (const auto& r : rows)
        if (r["pin"] == pin) return r;
    ADD_FAILURE() << "no row for " << pin << " in " << rows.dump(2);
    return {};
}

TEST(KsimctlStats, Reset_ZeroesOnePinThenEveryPin) {
    Stack stack(configs_dir() / "demo-capture-1080p.json");
    ASSERT_EQ(stack.run_graphmgr_once("graphmgr").exit_code, 0);
    auto viewer = start_viewer(stack);
    ASSERT_TRUE(viewer);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(viewer->stream->next_frame(10s));
    for (const auto& p : {kViewer, kCamera}) ASSERT_TRUE(viewer->client.set_state(p, proto::PinState::Stop));

    auto before = ksimctl_json(stack, {"stats", "--interval", "0"});
    EXPECT_GE(stats_row(before, "viewer.input")["completed"], 3);
    EXPECT_GT(stats_row(before, "viewer.input")["latency_max_us"], 0.0);
    const auto camera_completed = stats_row(before, "camera.capture")["completed"].get<std::uint64_t>();
    EXPECT_GE(camera_completed, 3u);

    EXPECT_EQ(ksimctl_json(stack, {"stats", "--reset", "viewer.input"})["reset_pins"], 1);
    auto one = ksimctl_json(stack, {"stats", "--interval", "0"});
    for (const char* counter : {"completed", "dropped"})
        EXPECT_EQ(stats_row(one, "viewer.input")[counter], 0);
    for (const char* sample : {"latency_avg_us", "latency_max_us", "hold_avg_us", "hold_max_us"})
        EXPECT_EQ(stats_row(one, "viewer.input")[sample], 0.0) << sample;
    EXPECT_EQ(stats_row(one, "camera.capture")["completed"], camera_completed);

    EXPECT_EQ(ksimctl_json(stack, {"stats", "--reset"})["reset_pins"], 2);
    auto all = ksimctl_json(stack, {"stats", "--interval", "0"});
    EXPECT_EQ(stats_row(all, "camera.capture")["completed"], 0);

    const RunResult unknown = ksimctl(stack, {"stats", "--reset", "viewer.inptu"});
    EXPECT_EQ(unknown.exit_code, 1);
    EXPECT_NE(unknown.err.find("did you mean \"viewer.input\"?"), std::string::npos) << unknown.err;
}

// The client holds one frame for a known time while it keeps taking (and at once releasing) the
// others: the hold column shows at least that time, the latency column (published -> taken)
// does not, because no frame waited that long to be taken.
TEST(KsimctlStats, HeldFrame_CountsAsHoldTimeNotAsHandOffLatency) {
    constexpr auto kHold = std::chrono::milliseconds(500);
    Stack stack(configs_dir() / "demo-capture-1080p.json");
    ASSERT_EQ(stack.run_graphmgr_once("graphmgr").exit_code, 0);
    auto viewer = start_viewer(stack);
    ASSERT_TRUE(viewer);
    auto held = viewer->stream->next_frame(10s);
    ASSERT_TRUE(held) << held.error().message;
    const auto taken = std::chrono::steady_clock::now();
    unsigned others = 0;
    while (std::chrono::steady_clock::now() - taken < kHold) {
        auto f = viewer->stream->next_frame(10s);  // released at the end of the iteration
        ASSERT_TRUE(f) << f.error().message;
        ++others;
    }
    ASSERT_TRUE(held->release());
    ASSERT_GT(others, 0u);
    for (const auto& p : {kViewer, kCamera}) ASSERT_TRUE(viewer->client.set_state(p, proto::PinState::Stop));

    const auto row = stats_row(ksimctl_json(stack, {"stats", "--interval", "0"}), "viewer.input");
    const double hold_us = std::chrono::duration<double, std::micro>(kHold).count();
    EXPECT_GE(row["hold_max_us"].get<double>(), hold_us) << row.dump(2);
    EXPECT_LT(row["latency_max_us"].get<double>(), hold_us) << row.dump(2);
    EXPECT_GT(row["latency_max_us"].get<double>(), 0.0) << row.dump(2);
    const RunResult table = ksimctl(stack, {"stats", "--interval", "0"});
    EXPECT_NE(table.out.find("HOLD MAX us"), std::string::npos) << table.out;
}

TEST(KsimctlStats, WatchWithoutATerminal_AppendsEachRefreshWithItsHeader) {
    Stack stack(configs_dir() / "demo-capture-1080p.json");
    const RunResult r = ksimctl(stack, {"stats", "-w", "--interval", "0", "--iterations", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find("\x1b["), std::string::npos) << "no escape sequences on a file";
    std::size_t headers = 0;
    for (std::size_t at = r.out.find("ksimctl stats: ksimd at " + stack.socket()); at != std::string::npos;
         at = r.out.find("ksimctl stats: ksimd at", at + 1))
        ++headers;
    EXPECT_EQ(headers, 2u) << r.out;
}

}  // namespace
}  // namespace ksim::itest
