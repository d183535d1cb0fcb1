// ksimctl's online commands as a user runs them: against no daemon (clear message, exit 1) and
// against a real ksimd (JSON list, capture writing PNG images).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "../common/deep_json.hpp"
#include "fake_daemon.hpp"
#include "ksim/client/client.hpp"
#include "ksim/proto/memory_types.hpp"
#include "ksimctl_run.hpp"
#include "ksimd_fixture.hpp"
#include "ksimd_process.hpp"

namespace ksim::client {
namespace {

using namespace std::chrono_literals;

using test::CommandRun;
using test::ksimctl;
using test_support::read_file;

TEST(Ksimctl_NoDaemon, EveryOnlineCommandExitsOneSayingItCannotConnect) {
    auto dir = test::make_temp_dir("ksimctl-absent");
    const std::string socket = (dir / "ksimd.sock").string();
    const std::vector<std::vector<std::string>> commands{{"status"}, {"list"},   {"props", "a.b"},
                                                         {"graph"},  {"ledger"}, {"state", "a.b", "RUN"}};
    for (const auto& cmd : commands) {
        auto args = cmd;
        args.insert(args.end(), {"--socket", socket});
        auto r = ksimctl(dir, args);
        EXPECT_EQ(r.exit_code, 1) << cmd[0] << ": " << r.output;
        EXPECT_NE(r.output.find("cannot connect to ksimd at " + socket), std::string::npos)
            << cmd[0] << ": " << r.output;
    }
    std::filesystem::remove_all(dir);
}

TEST(Ksimctl_Offline, HostileDepthConfig_ValidateAndNegotiateExitTwoNamingTheDepth) {
    auto dir = test::make_temp_dir("ksimctl-deep");
    const auto config = dir / "deep.json";
    std::string text =
        ksim::test::with_hostile_alignment(std::string(KSIM_CONFIGS_DIR) + "/demo-capture-1080p.json");
    ASSERT_FALSE(text.empty());
    std::ofstream(config) << text;
    for (const char* command : {"validate", "negotiate"}) {
        auto r = ksimctl(dir, {command, config.string()});
        EXPECT_EQ(r.exit_code, 2) << command << ": " << r.output;
        EXPECT_NE(r.output.find("deep.json:16:"), std::string::npos) << command << ": " << r.output;
        EXPECT_NE(r.output.find("/framing/simple/alignment/0/0"), std::string::npos)
            << command << ": " << r.output;
        EXPECT_NE(r.output.find("nesting deeper than 64 levels"), std::string::npos)
            << command << ": " << r.output;
    }
    std::filesystem::remove_all(dir);
}

class KsimctlDaemonTest : public ::testing::Test {
protected:
    void SetUp() override {
        daemon_ =
            std::make_unique<test::KsimdProcess>(std::string(KSIM_CONFIGS_DIR) + "/demo-capture-1080p.json");
        ASSERT_TRUE(daemon_->ready()) << daemon_->log();
    }
    void TearDown() override {
        if (!daemon_) return;
        // A generous deadline: the paging tests leave thousands of client pins that ksimd removes
        // before it handles SIGTERM, which takes seconds under the sanitizers.
        auto status = daemon_->stop(std::chrono::seconds(60));
        ASSERT_TRUE(status) << "ksimd did not exit within 60 s of SIGTERM\n" << daemon_->log();
        EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << daemon_->log();
    }
    CommandRun run(std::vector<std::string> args) {
        args.insert(args.end(), {"--socket", daemon_->socket_path()});
        return ksimctl(daemon_->dir(), std::move(args));
    }
    std::unique_ptr<test::KsimdProcess> daemon_;
};

TEST_F(KsimctlDaemonTest, ListJson_NamesEveryPinWithItsState) {
    auto r = run({"list", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto filters = nlohmann::json::parse(r.output);
    std::set<std::string> pins;
    for (const auto& f : filters)
        for (const auto& p : f["pins"]) {
            pins.insert(f["id"].get<std::string>() + "." + p["id"].get<std::string>());
            EXPECT_EQ(p["state"], "STOP");
        }
    EXPECT_EQ(pins, (std::set<std::string>{"camera.capture", "viewer.input"}));
}

// 20 clients host 256 long-named pins each, on a filter each: the whole list (~1.4 MiB) no
// longer fits one message, so ksimd answers it in pages; libksim and ksimctl follow them.
TEST_F(KsimctlDaemonTest, ListOverManyPages_ReturnsEveryFilterOnce) {
    constexpr int kClients = 20;
    std::vector<Client> hosts;
    for (int k = 0; k < kClients; ++k) {
        ConnectOptions o;
        o.socket_path = daemon_->socket_path();
        o.name = "host" + std::to_string(k);
        auto c = Client::connect(o);
        ASSERT_TRUE(c) << c.error().message;
        for (int i = 0; i < 256; ++i) {
            wire::CreatePinRequest request{"big" + std::to_string(k),
                                           std::string(120, 'p') + std::to_string(i), proto::PinDirection::In,
                                           std::nullopt};
            auto created = c->create_pin(request);
            ASSERT_TRUE(created) << created.error().message;
        }
        hosts.push_back(std::move(*c));
    }
    std::set<std::string> expected{"camera", "viewer"};
    for (int k = 0; k < kClients; ++k) expected.insert("big" + std::to_string(k));

    // One page is not everything (the byte cap ends it) ...
    auto page =
        hosts.front().call<wire::ListReply>(wire::ListRequest{std::nullopt, std::nullopt, std::nullopt});
    ASSERT_TRUE(page) << page.error().message;
    ASSERT_TRUE(page->more);
    EXPECT_LT(page->filters.size(), expected.size());

    // ... libksim's list is.
    auto whole = hosts.front().list_reply();
    ASSERT_TRUE(whole) << whole.error().message;
    EXPECT_EQ(whole->topology, "demo-capture-1080p");
    EXPECT_FALSE(whole->next_offset.has_value());
    std::multiset<std::string> listed;
    for (const auto& f : whole->filters) {
        listed.insert(f.id);
        if (f.id.starts_with("big")) {
            EXPECT_EQ(f.pins.size(), 256u) << f.id;
        }
    }
    EXPECT_EQ(listed, (std::multiset<std::string>(expected.begin(), expected.end())));

    auto r = run({"list", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.output.substr(0, 300);
    std::multiset<std::string> printed;
    for (const auto& f : nlohmann::json::parse(r.output)) printed.insert(f["id"].get<std::string>());
    EXPECT_EQ(printed, (std::multiset<std::string>(expected.begin(), expected.end())));
}

// 18 clients connect 128 pairs of their own pins each, every id over 120 characters: the
// connections (~1.2 MB) no longer fit one message, so ksimd answers them in pages; libksim and
// `ksimctl graph --json` follow them.
TEST_F(KsimctlDaemonTest, GraphJsonOverManyPages_PrintsEveryConnectionOnce) {
    constexpr int kClients = 18;
    constexpr int kPairs = 128;
    const std::string pad(120, 'x');
    std::vector<Client> hosts;
    std::multiset<std::string> expected{"camera.capture -> viewer.input"};
    for (int k = 0; k < kClients; ++k) {
        ConnectOptions o;
        o.socket_path = daemon_->socket_path();
        o.name = "host" + std::to_string(k);
        auto c = Client::connect(o);
        ASSERT_TRUE(c) << c.error().message;
        for (int i = 0; i < kPairs; ++i) {
            const std::string pin = pad + "p" + std::to_string(i);
            auto from =
                c->create_pin({pad + "src" + std::to_string(k), pin, proto::PinDirection::Out, std::nullopt});
            ASSERT_TRUE(from) << from.error().message;
            auto to =
                c->create_pin({pad + "snk" + std::to_string(k), pin, proto::PinDirection::In, std::nullopt});
            ASSERT_TRUE(to) << to.error().message;
            auto connected = c->connect_pins(*from, *to);
            ASSERT_TRUE(connected) << connected.error().message;
            expected.insert(from->to_string() + " -> " + to->to_string());
        }
        hosts.push_back(std::move(*c));
    }

    auto page = hosts.front().call<wire::ConnectionsReply>(wire::ConnectionsRequest{});
    ASSERT_TRUE(page) << page.error().message;
    ASSERT_TRUE(page->more) << "one page holds every connection: the test no longer needs pages";

    auto whole = hosts.front().connections();
    ASSERT_TRUE(whole) << whole.error().message;
    std::multiset<std::string> listed;
    for (const auto& c : *whole) listed.insert(c.from.to_string() + " -> " + c.to.to_string());
    EXPECT_EQ(listed, expected);

    auto r = run({"graph", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.output.substr(0, 300);
    const auto graph = nlohmann::json::parse(r.output);
    ASSERT_TRUE(graph.contains("connections")) << r.output.substr(0, 300);
    std::multiset<std::string> printed;
    for (const auto& c : graph["connections"])
        printed.insert(c["from"].get<std::string>() + " -> " + c["to"].get<std::string>());
    EXPECT_EQ(printed, expected);
}

TEST_F(KsimctlDaemonTest, State_StopsAPinAnotherClientStarted_AsAnOperator) {
    ConnectOptions o;
    o.socket_path = daemon_->socket_path();
    o.role = wire::Role::GraphManager;
    o.name = "gm";
    auto gm = Client::connect(o);
    ASSERT_TRUE(gm) << gm.error().message;
    wire::CommitRequest c;
    c.connections = {{kCamera, kViewer}};
    c.decision = {wire::AllocatorKind::User, kCamera, proto::memory_type::kUser, kDemoFrameSize, 2, 0};
    ASSERT_TRUE(gm->commit(c)) << daemon_->log();
    o.role = wire::Role::Client;
    o.name = "viewer";
    auto viewer = Client::connect(o);
    ASSERT_TRUE(viewer) << viewer.error().message;
    ASSERT_TRUE(viewer->set_state(kCamera, proto::PinState::Acquire));
    o.name = "stranger";
    auto stranger = Client::connect(o);
    ASSERT_TRUE(stranger) << stranger.error().message;
    auto refused = stranger->set_state(kCamera, proto::PinState::Stop);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::PermissionDenied);
    EXPECT_NE(refused.error().message.find("(viewer)"), std::string::npos) << refused.error().message;

    auto r = run({"state", "camera.capture", "STOP"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    auto state = viewer->connection_state(kCamera);
    ASSERT_TRUE(state);
    EXPECT_EQ(proto::to_string(state->state), "STOP");
}

TEST_F(KsimctlDaemonTest, Props_UnknownPinExitsOne) {
    auto r = run({"props", "camera.nope"});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("camera.nope"), std::string::npos) << r.output;
}

TEST_F(KsimctlDaemonTest, Capture_WritesPngImagesOfTheDemoCamera) {
    {
        ConnectOptions o;
        o.socket_path = daemon_->socket_path();
        o.role = wire::Role::GraphManager;
        auto gm = Client::connect(o);
        ASSERT_TRUE(gm) << gm.error().message;
        wire::CommitRequest commit;
        commit.connections = {{{"camera", "capture"}, {"viewer", "input"}}};
        commit.decision = {
            wire::AllocatorKind::User, {"viewer", "input"}, proto::memory_type::kUser, 3110400, 2, 0};
        ASSERT_TRUE(gm->commit(commit));
    }
    const auto out = daemon_->dir() / "frames";
    auto r = run({"capture", "viewer.input", "--count", "2", "--out", out.string()});
    ASSERT_EQ(r.exit_code, 0) << r.output << "\n" << daemon_->log();
    for (const char* name : {"frame-0000.png", "frame-0001.png"}) {
        const std::string png = read_file(out / name);
        // The PNG signature, then IHDR with the demo's 1920x1080 (decoded in full by
        // CaptureSession.* in tests/integration).
        ASSERT_GT(png.size(), 24u) << name;
        EXPECT_EQ(png.substr(0, 8), "\x89PNG\r\n\x1a\n");
        EXPECT_EQ(png.substr(12, 4), "IHDR");
        EXPECT_EQ(png.substr(16, 8), std::string("\0\0\x07\x80\0\0\x04\x38", 8));
        EXPECT_NE(r.output.find(name), std::string::npos) << "capture prints the paths it wrote";
    }
    // The camera draws moving content: two frames are not the same picture.
    EXPECT_NE(read_file(out / "frame-0000.png"), read_file(out / "frame-0001.png"));
}

}  // namespace
}  // namespace ksim::client
