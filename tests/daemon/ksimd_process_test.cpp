// The real ksimd binary in its own process: startup and SIGTERM, a second instance, stale
// sockets, /dev/shm hygiene and peer credentials. Each test uses its own directory and socket,
// waits with timeouts (readiness = a successful connect), and reaps every child it started.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "../common/deep_json.hpp"
#include "daemon_fixture.hpp"
#include "ksim/test_support/child_process.hpp"
#include "ksim/test_support/files.hpp"

namespace ksim::test {
namespace {

using nlohmann::json;

const std::string kConfig = std::string(KSIM_CONFIGS_DIR) + "/demo-capture-1080p.json";

using test_support::ChildProcess;
using test_support::dev_shm_entries;
using test_support::read_file;
using Child = ChildProcess;

// Starts ksimd with `args`; stdout and stderr go to `log`; `nofile` is the descriptor limit it
// starts with (as prlimit would set it before exec).
Child spawn_ksimd(const std::vector<std::string>& args, const std::filesystem::path& log,
                  std::optional<rlimit> nofile = std::nullopt) {
    std::vector<std::string> argv{KSIM_KSIMD_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    test_support::SpawnOptions options;
    options.out = log;
    options.nofile = nofile;
    return ChildProcess::spawn(argv, options);
}

class KsimdProcess : public ::testing::Test {
protected:
    std::vector<std::string> args(const std::filesystem::path& socket) const {
        return {"--config", kConfig, "--socket", socket.string(), "--log-level", "debug"};
    }
    TempDir dir_;
    std::filesystem::path socket_ = dir_.path() / "ksimd.sock";
    std::filesystem::path log_ = dir_.path() / "ksimd.log";
};

TEST_F(KsimdProcess, Sigterm_ExitsZeroAndRemovesTheSocket) {
    auto shm_before = dev_shm_entries();
    Child d = spawn_ksimd(args(socket_), log_);
    {
        auto c = TestClient::connect(socket_, 10s);
        ASSERT_TRUE(c.has_value()) << c.error().message << "\n" << read_file(log_);
        auto welcome = c->hello();
        ASSERT_TRUE(welcome.has_value());
        EXPECT_TRUE((*welcome)["ok"].get<bool>());
        ASSERT_EQ(::kill(d.pid(), SIGTERM), 0);
        EXPECT_TRUE(c->wait_closed(10s)) << "the session must be closed at shutdown";
    }
    auto status = d.wait(10s);
    ASSERT_TRUE(status.has_value()) << "ksimd did not exit after SIGTERM\n" << read_file(log_);
    ASSERT_TRUE(WIFEXITED(*status)) << "status " << *status;
    EXPECT_EQ(WEXITSTATUS(*status), 0) << read_file(log_);
    EXPECT_FALSE(std::filesystem::exists(socket_));
    EXPECT_EQ(dev_shm_entries(), shm_before) << "ksimd left something in /dev/shm";
    EXPECT_NE(read_file(log_).find("shutdown complete"), std::string::npos);
}

TEST_F(KsimdProcess, Sigint_IsAnOrderlyShutdownToo) {
    Child d = spawn_ksimd(args(socket_), log_);
    ASSERT_TRUE(TestClient::connect(socket_, 10s).has_value()) << read_file(log_);
    ASSERT_EQ(::kill(d.pid(), SIGINT), 0);
    auto status = d.wait(10s);
    ASSERT_TRUE(status && WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 0);
    EXPECT_FALSE(std::filesystem::exists(socket_));
}

TEST_F(KsimdProcess, SecondInstanceOnTheSameSocket_RefusesAndTheFirstKeepsServing) {
    Child first = spawn_ksimd(args(socket_), log_);
    ASSERT_TRUE(TestClient::connect(socket_, 10s).has_value()) << read_file(log_);

    // Same socket, same runtime directory: the directory lock refuses it.
    auto log2 = dir_.path() / "second.log";
    Child second = spawn_ksimd(args(socket_), log2);
    auto status = second.wait(10s);
    ASSERT_TRUE(status && WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 3) << read_file(log2);

    // Same socket, another runtime directory: the probe-connect finds a live daemon.
    auto other_dir = dir_.path() / "other";
    std::filesystem::create_directory(other_dir);
    ::chmod(other_dir.c_str(), 0700);
    auto third_args = args(socket_);
    third_args.insert(third_args.end(), {"--runtime-dir", other_dir.string()});
    auto log3 = dir_.path() / "third.log";
    Child third = spawn_ksimd(third_args, log3);
    status = third.wait(10s);
    ASSERT_TRUE(status && WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 3) << read_file(log3);
    EXPECT_NE(read_file(log3).find("already listening"), std::string::npos) << read_file(log3);

    auto c = TestClient::connect(socket_, 5s);
    ASSERT_TRUE(c.has_value());
    auto welcome = c->hello();
    ASSERT_TRUE(welcome.has_value());
    EXPECT_TRUE((*welcome)["ok"].get<bool>()) << "the first daemon must be unaffected";
    ::kill(first.pid(), SIGTERM);
    auto first_status = first.wait(10s);
    ASSERT_TRUE(first_status && WIFEXITED(*first_status));
    EXPECT_EQ(WEXITSTATUS(*first_status), 0);
}

TEST_F(KsimdProcess, StaleSocketOfAKilledDaemon_IsReplaced) {
    {
        // A socket file nobody listens on, as SIGKILL leaves it.
        shm::UniqueFd s(::socket(AF_UNIX, SOCK_STREAM, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, socket_.c_str(), sizeof(addr.sun_path) - 1);
        ASSERT_EQ(::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    }
    ASSERT_TRUE(std::filesystem::exists(socket_));
    Child d = spawn_ksimd(args(socket_), log_);
    auto c = TestClient::connect(socket_, 10s);
    ASSERT_TRUE(c.has_value()) << read_file(log_);
    EXPECT_TRUE((*c->hello())["ok"].get<bool>());
    ::kill(d.pid(), SIGTERM);
    auto status = d.wait(10s);
    ASSERT_TRUE(status && WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST_F(KsimdProcess, SigkilledDaemon_IsReplacedByTheNextStart) {
    Child d = spawn_ksimd(args(socket_), log_);
    ASSERT_TRUE(TestClient::connect(socket_, 10s).has_value()) << read_file(log_);
    ::kill(d.pid(), SIGKILL);
    ASSERT_TRUE(d.wait(10s).has_value());
    Child again = spawn_ksimd(args(socket_), log_);
    auto c = TestClient::connect(socket_, 10s);
    ASSERT_TRUE(c.has_value()) << read_file(log_);
    EXPECT_TRUE((*c->hello())["ok"].get<bool>());
    ::kill(again.pid(), SIGTERM);
    auto status = again.wait(10s);
    ASSERT_TRUE(status && WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST_F(KsimdProcess, InvalidConfig_ExitsWithTheDiagnostic) {
    auto bad = dir_.path() / "bad.json";
    std::ofstream(bad) << R"({"ksim_topology": 1, "name": "x", "filters": [{"id": "a.b"}]})";
    Child d = spawn_ksimd({"--config", bad.string(), "--socket", socket_.string()}, log_);
    auto status = d.wait(10s);
    ASSERT_TRUE(status && WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 2);
    EXPECT_NE(read_file(log_).find("/filters/0"), std::string::npos) << read_file(log_);
    EXPECT_FALSE(std::filesystem::exists(socket_));
}

TEST_F(KsimdProcess, HostileDepthConfig_ExitsTwoWithTheTooDeepDiagnostic) {
    auto deep = dir_.path() / "deep.json";
    std::string text = with_hostile_alignment(kConfig);
    ASSERT_FALSE(text.empty());
    std::ofstream(deep) << text;
    Child d = spawn_ksimd({"--config", deep.string(), "--socket", socket_.string()}, log_);
    auto status = d.wait(10s);
    ASSERT_TRUE(status && WIFEXITED(*status)) << "ksimd must exit, not crash: " << read_file(log_);
    EXPECT_EQ(WEXITSTATUS(*status), 2);
    EXPECT_NE(read_file(log_).find("/framing/simple/alignment/0/0"), std::string::npos) << read_file(log_);
    EXPECT_NE(read_file(log_).find("nesting deeper than 64 levels"), std::string::npos) << read_file(log_);
    EXPECT_FALSE(std::filesystem::exists(socket_));
}

TEST_F(KsimdProcess, HostileDepthMessageBeforeHello_IsRefusedAndTheDaemonServesOthers) {
    Child d = spawn_ksimd(args(socket_), log_);
    auto attacker = TestClient::connect(socket_, 10s);
    ASSERT_TRUE(attacker.has_value()) << read_file(log_);
    std::string body = R"({"type": "hello", "id": 1, "role": "client", "protocol_version": )" +
                       nested_arrays(kHostileDepth) + "}";
    std::string frame(4, '\0');
    for (int i = 0; i < 4; ++i) frame[i] = static_cast<char>((body.size() >> (8 * i)) & 0xFF);
    ASSERT_TRUE(attacker->send_raw(frame + body).has_value());
    auto reply = attacker->next_message(10s);
    ASSERT_TRUE(reply.has_value()) << reply.error().message << "\n" << read_file(log_);
    EXPECT_EQ(error_code(*reply), "protocol_error");
    EXPECT_NE((*reply)["error"]["message"].get<std::string>().find("nests deeper than 64 levels"),
              std::string::npos)
        << reply->dump();
    EXPECT_TRUE(attacker->wait_closed(10s));
    EXPECT_FALSE(d.exited());

    auto other = TestClient::connect(socket_, 10s);
    ASSERT_TRUE(other.has_value());
    auto welcome = other->hello();
    ASSERT_TRUE(welcome.has_value()) << welcome.error().message;
    EXPECT_TRUE((*welcome)["ok"].get<bool>()) << welcome->dump();
    ::kill(d.pid(), SIGTERM);
    auto status = d.wait(10s);
    ASSERT_TRUE(status && WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 0) << read_file(log_);
}

TEST_F(KsimdProcess, ConnectionFromAnotherUid_IsRefusedAndLogged) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a client as another uid (nobody)";
    Child d = spawn_ksimd(args(socket_), log_);
    ASSERT_TRUE(TestClient::connect(socket_, 10s).has_value()) << read_file(log_);
    // Open the file-system gates so that only SO_PEERCRED stands in the way.
    ::chmod(dir_.path().c_str(), 0755);
    ::chmod(socket_.c_str(), 0666);

    pid_t pid = ::fork();
    if (pid == 0) {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(10);
        auto c = TestClient::connect(socket_, 2s);
        if (!c) ::_exit(11);  // could not even connect: the test would prove nothing
        (void)c->send_raw(*wire::encode_frame(
            json{{"type", "hello"}, {"id", 1}, {"protocol_version", 1}, {"role", "client"}}));
        // The refusal: one error with id 0 saying why, then the connection closes.
        auto reply = c->next_message(5s);
        if (!reply) ::_exit(12);
        if ((*reply)["id"] != 0 || error_code(*reply) != "permission_denied") ::_exit(1);  // served: wrong
        auto after = c->next_message(5s);
        if (after) ::_exit(13);
        ::_exit(after.error().code == Errc::Disconnected ? 0 : 12);
    }
    Child client = ChildProcess::adopt(pid);
    auto status = client.wait(10s);
    ASSERT_TRUE(status && WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 0)
        << "1 = served, 10 = setuid failed, 11 = connect failed, 12 = timeout, "
           "13 = not closed after the refusal";
    ::kill(d.pid(), SIGTERM);
    auto dstatus = d.wait(10s);
    ASSERT_TRUE(dstatus && WIFEXITED(*dstatus));
    EXPECT_EQ(WEXITSTATUS(*dstatus), 0);
    std::string log = read_file(log_);
    EXPECT_NE(log.find("refused the connection from pid " + std::to_string(pid) + " uid 65534"),
              std::string::npos)
        << log;
}

TEST_F(KsimdProcess, OperatorRoleFromAnotherUid_IsRefusedButTheClientRoleIsServed) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a client as another uid (nobody)";
    auto a = args(socket_);
    a.insert(a.end(), {"--allow-group", "65534"});  // nobody's group may connect, as a client
    Child d = spawn_ksimd(a, log_);
    ASSERT_TRUE(TestClient::connect(socket_, 10s).has_value()) << read_file(log_);
    ::chmod(dir_.path().c_str(), 0755);
    ::chmod(socket_.c_str(), 0666);

    pid_t pid = ::fork();
    if (pid == 0) {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(10);
        auto c = TestClient::connect(socket_, 2s);
        if (!c) ::_exit(11);
        auto op = c->hello(wire::Role::Operator, "ksimctl");
        if (!op) ::_exit(12);
        if ((*op)["ok"].get<bool>() || error_code(*op) != "permission_denied") ::_exit(1);
        auto client = c->hello(wire::Role::Client, "ksimctl");
        if (!client || !(*client)["ok"].get<bool>()) ::_exit(2);
        ::_exit(0);
    }
    Child client = ChildProcess::adopt(pid);
    auto status = client.wait(10s);
    ASSERT_TRUE(status && WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 0) << "1 = operator granted, 2 = client refused, 10 = setuid failed, "
                                          "11 = connect failed, 12 = no reply\n"
                                       << read_file(log_);
    ::kill(d.pid(), SIGTERM);
    auto dstatus = d.wait(10s);
    ASSERT_TRUE(dstatus && WIFEXITED(*dstatus));
    EXPECT_EQ(WEXITSTATUS(*dstatus), 0);
}

std::size_t count_lines_with(const std::string& text, std::string_view needle) {
    std::size_t n = 0;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.find(needle) != std::string::npos) ++n;
    return n;
}

// Polls the log (readiness, not timing) until it holds `needle` or `timeout` passes.
bool wait_for_log(const std::filesystem::path& log, std::string_view needle,
                  std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (read_file(log).find(needle) != std::string::npos) return true;
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

TEST_F(KsimdProcess, SoftDescriptorLimit_IsRaisedToTheHardOneAndLogged) {
    rlimit mine{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &mine), 0);
    const rlim_t hard = std::min<rlim_t>(mine.rlim_max, 512);
    Child d = spawn_ksimd(args(socket_), log_, rlimit{64, hard});
    ASSERT_TRUE(TestClient::connect(socket_, 10s).has_value()) << read_file(log_);
    ::kill(d.pid(), SIGTERM);
    ASSERT_TRUE(d.wait(10s).has_value());
    EXPECT_NE(read_file(log_).find("descriptor limit raised from 64 to " + std::to_string(hard)),
              std::string::npos)
        << read_file(log_);
}

TEST_F(KsimdProcess, OutOfDescriptors_PausesAcceptingWithBoundedLogAndRecovers) {
    const auto started = std::chrono::steady_clock::now();
    constexpr rlim_t kLimit = 48;
    Child d = spawn_ksimd(args(socket_), log_, rlimit{kLimit, kLimit});
    auto first = TestClient::connect(socket_, 10s);
    ASSERT_TRUE(first.has_value()) << read_file(log_);
    ASSERT_TRUE(first->hello().has_value()) << read_file(log_);

    // More connections than ksimd has descriptors: the surplus waits in the listen backlog.
    std::vector<TestClient> flood;
    for (rlim_t i = 0; i < kLimit + 16; ++i) {
        auto c = TestClient::connect(socket_, 5s);
        ASSERT_TRUE(c.has_value()) << c.error().message;
        flood.push_back(std::move(*c));
    }
    // A second rate-limited line proves the exhaustion lasted over an interval (a spinning
    // acceptor would have written thousands by then).
    ASSERT_TRUE(wait_for_log(log_, "similar lines suppressed", 20s)) << read_file(log_).substr(0, 4000);
    // A session opened before keeps being served meanwhile.
    auto listed = first->request(json{{"type", "list"}}, 10s);
    ASSERT_TRUE(listed.has_value()) << listed.error().message;
    EXPECT_TRUE((*listed)["ok"].get<bool>());

    flood.clear();  // descriptors come back as ksimd sees the connections close
    auto later = TestClient::connect(socket_, 10s);
    ASSERT_TRUE(later.has_value());
    auto welcome = later->hello();
    ASSERT_TRUE(welcome.has_value()) << welcome.error().message << "\n" << read_file(log_).substr(0, 4000);
    EXPECT_TRUE((*welcome)["ok"].get<bool>());

    ::kill(d.pid(), SIGTERM);
    auto status = d.wait(10s);
    ASSERT_TRUE(status && WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 0);
    const auto elapsed_s =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
    const std::string log = read_file(log_);
    const std::size_t lines = count_lines_with(log, "accept failed");
    EXPECT_GE(lines, 2u);
    // One line per second of exhaustion at most, plus the first.
    EXPECT_LE(lines, static_cast<std::size_t>(elapsed_s) + 2) << log.substr(0, 4000);
}

}  // namespace
}  // namespace ksim::test
