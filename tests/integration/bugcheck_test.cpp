// The simulated bugcheck end to end: a real ksimd hosts a filter of the crashing test driver; the
// driver's Process crashes ksimd, which reports the module, the routine, the signal and the
// thread on stderr and in a report file in its runtime directory, removes its socket and exits
// with kBugcheckExitCode; a connected client sees Disconnected; a new ksimd on the same socket and
// runtime directory comes up and keeps the report. A crash at load (pin Create) is reported on
// stderr only, before the runtime directory is taken; a SIGSEGV another process sends is no
// bugcheck.
#include "ksim/daemon/server/bugcheck.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include "ksim/test_support/files.hpp"
#include "stack.hpp"

namespace ksim::itest {
namespace {

using daemon::server::kBugcheckExitCode;

std::filesystem::path write_config(const std::filesystem::path& path, const std::string& filter) {
    std::ofstream(path) << R"({"ksim_topology": 1, "name": "bugcheck", "filters": [
      {"id": "bad", "driver": {"module": ")" KSIM_CRASHING_DRIVER R"(", "filter": ")"
                        << filter << R"("},
       "video": {"format": "NV12", "width": 64, "height": 48, "fps": [30, 1]}},
      {"id": "checker", "kind": "kernel_sink", "pins": [{"id": "input", "direction": "in", "hosting": "kernel",
       "framing": {"simple": {"memory_type": "DONT_CARE", "flags": ["PREFERENCES_ONLY"], "frames": 2,
       "alignment": "FILE_QUAD_ALIGNMENT", "min_frame_size": 0, "max_frame_size": 4294967295}}}]}],
      "connections": [{"from": "bad.capture", "to": "checker.input"}]})";
    return path;
}

std::filesystem::path config_path(const std::string& filter) {
    return std::filesystem::temp_directory_path() /
           ("ksim-bugcheck-" + filter + "-" + std::to_string(::getpid()) + ".json");
}

// The report files ksimd `pid` wrote into `dir` (<kind>-<pid>-<time>.txt; kind: bugcheck, crash).
std::vector<std::filesystem::path> reports_of(const std::filesystem::path& dir, const std::string& kind,
                                              pid_t pid) {
    std::vector<std::filesystem::path> out;
    const std::regex name(kind + "-" + std::to_string(pid) + R"(-\d{8}T\d{6}Z\.txt)");
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
        if (std::regex_match(e.path().filename().string(), name)) out.push_back(e.path());
    return out;
}

struct Crash {
    std::string filter;
    std::string signal;   // as the report names it
    std::string details;  // another line the report has for this crash
};

void PrintTo(const Crash& c, std::ostream* os) {
    *os << c.filter;
}

class BugcheckInProcess : public ::testing::TestWithParam<Crash> {};

TEST_P(BugcheckInProcess, IsReportedWithModuleAndRoutine_AndTheServiceRestartsCleanly) {
    const Crash& crash = GetParam();
    const auto shm_before = ksim_dev_shm_entries();
    const std::filesystem::path config = write_config(config_path(crash.filter), crash.filter);
    {
        Stack stack(config);
        auto app = stack.connect(wire::Role::Client, "observer");
        ASSERT_TRUE(app);
        ASSERT_TRUE(app->connection().subscribe());
        auto mgr = stack.start_graphmgr("manager");
        ASSERT_TRUE(wait_all_committed(*app, 1, 20s)) << mgr->stderr_text();
        const proto::PinRef bad{"bad", "capture"}, checker{"checker", "input"};
        set_state(*app, checker, proto::PinState::Run);
        set_state(*app, bad, proto::PinState::Pause);  // frames wait at the leading edge
        // PAUSE -> RUN runs Process, which crashes ksimd while it serves this request.
        const auto last = app->set_state(bad, proto::PinState::Run);
        EXPECT_FALSE(last) << "ksimd answered a set_state whose Process crashed it";
        const pid_t pid = stack.daemon().pid();
        ASSERT_EQ(stack.daemon().wait(20s), kBugcheckExitCode) << stack.daemon().stderr_text();

        // The client: the connection is lost, clearly.
        const auto after = app->connections();
        ASSERT_FALSE(after);
        EXPECT_EQ(after.error().code, Errc::Disconnected) << after.error().message;

        // The log (stderr): the bugcheck, the module, the routine, the signal, the report's name.
        const std::string log = stack.daemon().stderr_text();
        const std::string routine = "KSPIN_DISPATCH.Process of filter 'bad' pin 'capture'";
        EXPECT_NE(log.find("ksimd BUGCHECK: driver code crashed: libksim_crashing_driver.so: " + routine),
                  std::string::npos)
            << log;
        EXPECT_NE(log.find("signal:      " + crash.signal), std::string::npos) << log;
        EXPECT_NE(log.find(crash.details), std::string::npos) << log;
        EXPECT_NE(log.find("module:      " KSIM_CRASHING_DRIVER), std::string::npos) << log;
        EXPECT_NE(log.find("thread:      "), std::string::npos) << log;

        // The report file: one, named in the log, saying the same and a backtrace.
        const auto reports = reports_of(stack.dir() / "run", "bugcheck", pid);
        ASSERT_EQ(reports.size(), 1u) << log;
        EXPECT_NE(log.find("report:      " + reports[0].string()), std::string::npos) << log;
        const std::string report = test_support::read_file(reports[0]);
        EXPECT_NE(report.find(routine), std::string::npos) << report;
        EXPECT_NE(report.find("signal:      " + crash.signal), std::string::npos) << report;
        EXPECT_NE(report.find(crash.details), std::string::npos) << report;
        EXPECT_NE(report.find("libksim_crashing_driver.so("), std::string::npos)
            << "the backtrace has no frame of the driver:\n"
            << report;
        EXPECT_NE(report.find("exits with status " + std::to_string(kBugcheckExitCode)), std::string::npos)
            << report;

        // What it owned is gone: the socket, and nothing of it in /dev/shm.
        EXPECT_FALSE(std::filesystem::exists(stack.socket()));
        EXPECT_EQ(ksim_dev_shm_entries(), shm_before);

        // The service restarts on the same socket and runtime directory and serves; the report stays.
        mgr.reset();
        stack.restart_daemon();
        auto again = stack.connect(wire::Role::Client, "after-restart");
        ASSERT_TRUE(again) << again.error().message;
        const auto pins = again->connections();
        ASSERT_TRUE(pins) << pins.error().message;
        EXPECT_EQ(pins->size(), 1u);
        EXPECT_TRUE(std::filesystem::exists(reports[0]));
        EXPECT_EQ(stack.stop_daemon(), 0) << stack.daemon().stderr_text();
    }
    std::filesystem::remove(config);
    EXPECT_EQ(ksim_dev_shm_entries(), shm_before);
    EXPECT_FALSE(has_live_children());
}

INSTANTIATE_TEST_SUITE_P(
    Crashes, BugcheckInProcess,
    ::testing::Values(
        Crash{"SegfaultInProcess", "SIGSEGV (11, SEGV_MAPERR: address not mapped) at address 0x10",
              "routine:     KSPIN_DISPATCH.Process"},
        Crash{"AbortInProcess", "SIGABRT (6, SI_TKILL", "object:      filter 'bad' pin 'capture'"}),
    [](const auto& info) { return info.param.filter; });

TEST(Bugcheck, SignalFromAnotherProcess_IsNoBugcheck_ReportedAsNotInDriverCode_AndKsimdDiesOfIt) {
    const std::filesystem::path config = write_config(config_path("kill"), "SegfaultInProcess");
    {
        Stack stack(config);
        const pid_t pid = stack.daemon().pid();
        stack.daemon().signal(SIGSEGV);
        ASSERT_EQ(stack.daemon().wait(20s), 128 + SIGSEGV) << stack.daemon().stderr_text();
        const std::string log = stack.daemon().stderr_text();
        EXPECT_NE(log.find("ksimd crashed: not in driver code"), std::string::npos) << log;
        EXPECT_NE(log.find("SIGSEGV (11, SI_USER: sent by kill)"), std::string::npos) << log;
        EXPECT_EQ(log.find("BUGCHECK"), std::string::npos) << log;
        EXPECT_TRUE(reports_of(stack.dir() / "run", "bugcheck", pid).empty());
        const auto reports = reports_of(stack.dir() / "run", "crash", pid);
        ASSERT_EQ(reports.size(), 1u) << log;
        EXPECT_NE(test_support::read_file(reports[0]).find("not in driver code"), std::string::npos);
        // The socket stays (only a bugcheck removes it); the next ksimd replaces it as stale.
        stack.restart_daemon();
        EXPECT_EQ(stack.stop_daemon(), 0) << stack.daemon().stderr_text();
    }
    std::filesystem::remove(config);
}

// A driver routine that overflows the stack of a thread ksimd made (the pin's streaming thread,
// running the driver's timer callback) is reported like any other crash: the thread's alternate
// signal stack (given by its first DriverCall) holds the handler.
TEST(Bugcheck, StackOverflowOnAStreamingThread_IsReported) {
    const auto shm_before = ksim_dev_shm_entries();
    const std::filesystem::path config = write_config(config_path("overflow"), "StackOverflowInTimer");
    {
        Stack stack(config);
        auto app = stack.connect(wire::Role::Client, "observer");
        ASSERT_TRUE(app);
        auto mgr = stack.start_graphmgr("manager");
        ASSERT_TRUE(wait_all_committed(*app, 1, 20s)) << mgr->stderr_text();
        set_state(*app, {"checker", "input"}, proto::PinState::Run);
        // Entering RUN runs Process, which starts the timer; its first tick overflows the stack.
        (void)app->set_state({"bad", "capture"}, proto::PinState::Run);
        const pid_t pid = stack.daemon().pid();
        ASSERT_EQ(stack.daemon().wait(20s), kBugcheckExitCode) << stack.daemon().stderr_text();

        const std::string log = stack.daemon().stderr_text();
        EXPECT_NE(log.find("ksimd BUGCHECK: driver code crashed: libksim_crashing_driver.so: "
                           "KSIM_TIMER callback of filter 'bad' pin 'capture'"),
                  std::string::npos)
            << log;
        EXPECT_NE(log.find("signal:      SIGSEGV"), std::string::npos) << log;
        EXPECT_NE(log.find("'ksim-capture'"), std::string::npos) << "not the streaming thread:\n" << log;
        const auto reports = reports_of(stack.dir() / "run", "bugcheck", pid);
        ASSERT_EQ(reports.size(), 1u) << log;
        EXPECT_NE(test_support::read_file(reports[0]).find("libksim_crashing_driver.so("), std::string::npos);
        EXPECT_FALSE(std::filesystem::exists(stack.socket()));
        EXPECT_EQ(ksim_dev_shm_entries(), shm_before);
        mgr.reset();
    }
    std::filesystem::remove(config);
    EXPECT_EQ(ksim_dev_shm_entries(), shm_before);
    EXPECT_FALSE(has_live_children());
}

TEST(Bugcheck, CrashWhileLoadingTheConfig_IsReportedOnStderr_BeforeTheRuntimeDirectoryIsTaken) {
    const std::filesystem::path config = write_config(config_path("SegfaultInCreate"), "SegfaultInCreate");
    const std::filesystem::path dir = test_support::make_temp_dir("ksim-bugcheck-load");
    const RunResult r = run({ksimd_path(), "--config", config.string(), "--socket",
                             (dir / "ksimd.sock").string(), "--runtime-dir", (dir / "run").string()},
                            dir, "ksimd");
    EXPECT_EQ(r.exit_code, kBugcheckExitCode) << r.err;
    EXPECT_NE(r.err.find("ksimd BUGCHECK: driver code crashed: libksim_crashing_driver.so: "
                         "KSPIN_DISPATCH.Create of filter 'bad' pin 'capture'"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("SIGSEGV"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("report:"), std::string::npos) << "no runtime directory yet, so no report file:\n"
                                                        << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "run"));
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    std::filesystem::remove(config);
}

}  // namespace
}  // namespace ksim::itest
