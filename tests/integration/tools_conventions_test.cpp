// The conventions every ksim program shares, checked on the binaries: $KSIM_SOCKET between
// --socket and the default path, `--version` from the one project version, exit code 2 for a
// usage error, ksimctl's JSON error shape, and one wording (with its "did you mean") for an
// unknown pin offline, in ksimd and in ksimctl.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "ksim/cli/version.hpp"
#include "ksim/test_support/files.hpp"
#include "ksim/wire/socket_path.hpp"
#include "stack.hpp"

namespace ksim::itest {
namespace {

struct Binary {
    std::string name;  // what --version prints first
    std::string path;
};

std::vector<Binary> every_binary() {
    return {{"ksimd", ksimd_path()},
            {"ksim-graphmgr", graphmgr_path()},
            {"ksimctl", ksimctl_path()},
            {"ksim-capture-viewer", KSIM_ITEST_VIEWER},
            {"ksim-user-source", KSIM_ITEST_USER_SOURCE}};
}

// Runs to completion with extra environment entries; stdout and stderr apart.
RunResult run_with_env(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                       const std::filesystem::path& dir, const std::string& label) {
    test_support::SpawnOptions options;
    options.out = dir / (label + ".out");
    options.err = dir / (label + ".err");
    options.truncate = true;
    options.env = env;
    auto child = test_support::ChildProcess::spawn(argv, options);
    auto status = child.wait(30s);
    RunResult r;
    if (status) r.exit_code = test_support::exit_code(*status);
    r.out = test_support::read_file(options.out);
    r.err = test_support::read_file(options.err);
    return r;
}

TEST(Conventions, Version_EveryBinaryPrintsItsNameAndTheProjectVersion) {
    auto dir = test_support::make_temp_dir("ksim-version");
    for (const auto& b : every_binary()) {
        const RunResult r = run({b.path, "--version"}, dir, b.name);
        EXPECT_EQ(r.exit_code, 0) << b.name << ": " << r.err;
        EXPECT_EQ(r.out, b.name + " " + std::string(cli::kVersion) + "\n") << b.name;
    }
    std::filesystem::remove_all(dir);
}

TEST(Conventions, UsageError_EveryBinaryExitsTwo) {
    auto dir = test_support::make_temp_dir("ksim-usage");
    for (const auto& b : every_binary()) {
        const RunResult r = run({b.path, "--no-such-option"}, dir, b.name);
        EXPECT_EQ(r.exit_code, 2) << b.name << ": " << r.err;
        EXPECT_NE(r.err.find("Run with --help"), std::string::npos) << b.name << ": " << r.err;
    }
    // Arguments CLI11 accepts but the program refuses are usage errors too.
    const std::vector<std::vector<std::string>> refused{
        {ksimctl_path(), "state", "camera.capture", "WALK"},
        {ksimctl_path(), "props", "nodot"},
        {ksimctl_path(), "verifier", "nodot"},
        {ksimctl_path(), "stats", "nodot"},
        {ksimctl_path(), "capture", "nodot", "--out", dir.string()},
        {KSIM_ITEST_VIEWER, "--pin", "nodot"},
        {KSIM_ITEST_USER_SOURCE, "--pin", "nodot"},
        {graphmgr_path(), "--rescan-ms", "5"}};
    for (const auto& argv : refused) {
        const RunResult r = run(argv, dir, "refused");
        EXPECT_EQ(r.exit_code, 2) << argv[0] << " " << argv[1] << ": " << r.err;
    }
    std::filesystem::remove_all(dir);
}

// ksimd (where it listens) and every client (where it connects) take the socket from
// $KSIM_SOCKET when no --socket is given; --socket wins over it; unset or empty, the default rule.
TEST(Conventions, KsimSocket_BetweenTheOptionAndTheDefault_ForEveryBinary) {
    auto dir = test_support::make_temp_dir("ksim-env");
    const std::string env_socket = (dir / "from-env.sock").string();
    const std::string config = (configs_dir() / "demo-capture-1080p.json").string();
    {
        Process daemon({ksimd_path(), "--config", config, "--log-level", "warn"}, dir, "ksimd-env",
                       {"KSIM_SOCKET=" + env_socket});
        ASSERT_TRUE(wait_until_connectable(env_socket, daemon, 20s)) << daemon.stderr_text();

        const RunResult env_only = run_with_env({ksimctl_path(), "status", "--json"},
                                                {"KSIM_SOCKET=" + env_socket}, dir, "env-only");
        ASSERT_EQ(env_only.exit_code, 0) << env_only.err;
        EXPECT_EQ(nlohmann::json::parse(env_only.out)["socket"], env_socket);

        const RunResult option_wins =
            run_with_env({ksimctl_path(), "status", "--json", "--socket", env_socket},
                         {"KSIM_SOCKET=" + (dir / "elsewhere.sock").string()}, dir, "option-wins");
        EXPECT_EQ(option_wins.exit_code, 0) << option_wins.err;

        const RunResult graphmgr =
            run_with_env({graphmgr_path(), "--once"}, {"KSIM_SOCKET=" + env_socket}, dir, "graphmgr-env");
        EXPECT_EQ(graphmgr.exit_code, 0) << graphmgr.err;
        daemon.signal(SIGTERM);
        EXPECT_EQ(daemon.wait(10s), 0) << daemon.stderr_text();
    }
    // A client names the socket it tried: the variable's when set, the default rule's when the
    // variable is empty.
    const std::string absent = (dir / "absent.sock").string();
    const std::string xdg = (dir / "xdg").string();
    const std::string by_default = wire::default_socket_path_for(::geteuid(), xdg.c_str());
    for (const auto& b : every_binary()) {
        if (b.name == "ksimd") continue;
        std::vector<std::string> argv{b.path};
        if (b.name == "ksimctl") argv.push_back("status");
        const RunResult from_env = run_with_env(argv, {"KSIM_SOCKET=" + absent}, dir, b.name + "-absent");
        EXPECT_EQ(from_env.exit_code, 1) << b.name << ": " << from_env.err;
        EXPECT_NE((from_env.out + from_env.err).find("cannot connect to ksimd at " + absent),
                  std::string::npos)
            << b.name << ": " << from_env.out << from_env.err;
        const RunResult empty =
            run_with_env(argv, {"KSIM_SOCKET=", "XDG_RUNTIME_DIR=" + xdg}, dir, b.name + "-default");
        EXPECT_NE((empty.out + empty.err).find("cannot connect to ksimd at " + by_default), std::string::npos)
            << b.name << ": " << empty.out << empty.err;
    }
    std::filesystem::remove_all(dir);
}

TEST(Conventions, JsonErrors_OneShapeOnStdout) {
    auto dir = test_support::make_temp_dir("ksim-json-errors");
    auto check_shape = [](const RunResult& r, const std::string& code, const nlohmann::json& rule) {
        SCOPED_TRACE(r.out + r.err);
        const auto j = nlohmann::json::parse(r.out);
        ASSERT_EQ(j.size(), 1u);
        const auto& e = j.at("error");
        EXPECT_EQ(e.size(), 3u);
        EXPECT_EQ(e.at("code"), code);
        EXPECT_FALSE(e.at("message").get<std::string>().empty());
        EXPECT_EQ(e.at("rule"), rule);
    };
    const std::string absent = (dir / "absent.sock").string();
    const RunResult unreachable =
        run({ksimctl_path(), "--json", "status", "--socket", absent}, dir, "unreachable");
    EXPECT_EQ(unreachable.exit_code, 1);
    check_shape(unreachable, "disconnected", nullptr);
    const RunResult usage = run({ksimctl_path(), "--json", "status", "--no-such-option"}, dir, "usage");
    EXPECT_EQ(usage.exit_code, 2);
    check_shape(usage, "invalid_argument", "cli.usage");
    const RunResult bad_state = run({ksimctl_path(), "state", "a.b", "WALK", "--json"}, dir, "bad-state");
    EXPECT_EQ(bad_state.exit_code, 2);
    check_shape(bad_state, "invalid_argument", "cli.usage");

    Stack stack(configs_dir() / "demo-capture-1080p.json");
    const RunResult unknown =
        run({ksimctl_path(), "--json", "props", "camera.captur", "--socket", stack.socket()}, dir, "unknown");
    EXPECT_EQ(unknown.exit_code, 1);
    check_shape(unknown, "not_found", "pin.unknown-pin");
    std::filesystem::remove_all(dir);
}

// The same misspelt pin, offline in a config and online in ksimd (a request naming it) and in
// ksimctl (its own check): one message, one "did you mean".
TEST(Conventions, UnknownPin_OnlineWordingEqualsOffline) {
    Stack stack(configs_dir() / "demo-capture-1080p.json");
    auto config = nlohmann::json::parse(test_support::read_file(stack.config()));
    config["connections"][0]["from"] = "camera.captur";
    const auto typo = stack.dir() / "typo.json";
    std::ofstream(typo) << config.dump(2);
    const RunResult offline =
        run({ksimctl_path(), "validate", "--json", typo.string()}, stack.dir(), "offline");
    ASSERT_EQ(offline.exit_code, 2) << offline.err;
    const auto diagnostic = nlohmann::json::parse(offline.out).at(0);
    EXPECT_EQ(diagnostic["rule"], "connection.unknown-pin");
    const std::string wording =
        diagnostic["message"].get<std::string>() + "; " + diagnostic["hint"].get<std::string>();
    EXPECT_EQ(wording, "filter \"camera\" has no pin \"captur\"; did you mean \"camera.capture\"?");

    // ksimd's own error (set_state names the pin) and ksimctl's check before get_property.
    for (const std::vector<std::string>& args : {std::vector<std::string>{"state", "camera.captur", "RUN"},
                                                 std::vector<std::string>{"props", "camera.captur"}}) {
        std::vector<std::string> argv{ksimctl_path(), "--json", "--socket", stack.socket()};
        argv.insert(argv.end(), args.begin(), args.end());
        const RunResult online = run(argv, stack.dir(), "online-" + args[0]);
        EXPECT_EQ(online.exit_code, 1) << online.err;
        const auto error = nlohmann::json::parse(online.out).at("error");
        EXPECT_EQ(error["code"], "not_found");
        const std::string message = error["message"];
        EXPECT_NE(message.find(wording), std::string::npos) << args[0] << ": " << message;
    }
}

}  // namespace
}  // namespace ksim::itest
