// The bench's private RouDi (private_roudi.hpp): it starts only inside a private namespace,
// creates iceoryx's fixed names there, and stop() leaves neither a process nor a name behind,
// in the namespace or on the host.
#include "private_roudi.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace ksim::bench {
namespace {

using namespace std::chrono_literals;

// Exit codes of the session child, each naming the step that failed.
enum SessionExit { kOk = 0, kNamespace = 10, kStart, kNamesMissing, kNotGraceful, kNamesLeft, kPipe };

[[noreturn]] void session(int pid_fd) {
    if (!enter_private_ipc_namespace().empty()) ::_exit(kNamespace);
    int code = kOk;
    {
        PrivateRoudi roudi(KSIM_BENCH_IOX_ROUDI, {4096, 1u << 20}, 4);
        if (!roudi.start(10s)) ::_exit(kStart);
        const pid_t pid = roudi.pid();
        if (::write(pid_fd, &pid, sizeof pid) != sizeof pid) ::_exit(kPipe);
        for (const char* name : {"/dev/shm/iceoryx_mgmt", "/tmp/roudi"})
            if (!std::filesystem::exists(name)) code = kNamesMissing;
        if (!roudi.stop()) code = code ? code : kNotGraceful;
        for (const auto& path : iceoryx_resource_paths())
            if (std::filesystem::exists(path)) code = code ? code : kNamesLeft;
    }
    ::_exit(code);
}

TEST(PrivateRoudi, RefusesToStartOutsideAPrivateNamespace) {
    PrivateRoudi roudi(KSIM_BENCH_IOX_ROUDI, {4096}, 4);
    EXPECT_FALSE(roudi.start(1s));
    EXPECT_NE(roudi.error().find("enter_private_ipc_namespace"), std::string::npos) << roudi.error();
    EXPECT_EQ(roudi.pid(), -1);
}

TEST(PrivateRoudi, StartsAndStopsInAForkedChildLeavingNothing) {
    const bool host_had_names =
        std::filesystem::exists("/dev/shm/iceoryx_mgmt") || std::filesystem::exists("/tmp/roudi");
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(fds[0]);
        session(fds[1]);
    }
    ::close(fds[1]);
    pid_t roudi = -1;
    const bool got_pid = ::read(fds[0], &roudi, sizeof roudi) == sizeof roudi;
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), kOk) << "session step failed: exit " << WEXITSTATUS(status);
    ASSERT_TRUE(got_pid);
    EXPECT_GT(roudi, 0);
    // RouDi was the session's child and was reaped by stop(): no such process is left.
    EXPECT_EQ(::kill(roudi, 0), -1);
    EXPECT_EQ(errno, ESRCH);
    if (!host_had_names) {  // the names lived in the namespace's own tmpfs only
        EXPECT_FALSE(std::filesystem::exists("/dev/shm/iceoryx_mgmt"));
        EXPECT_FALSE(std::filesystem::exists("/tmp/roudi"));
    }
}

}  // namespace
}  // namespace ksim::bench
