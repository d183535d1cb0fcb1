#include "ksim/shm/run_registry.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "test_support.hpp"

namespace ksim::shm {
namespace {

namespace fs = std::filesystem;

class ShmRunDirectory : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir = fs::temp_directory_path() / ("ksim-shm-run-" + std::to_string(::getpid()) + "-" + info->name());
        fs::remove_all(dir);
    }
    void TearDown() override { fs::remove_all(dir); }
    fs::path dir;
};

TEST_F(ShmRunDirectory, Acquire_CreatesAPrivateDirectoryWithALockHoldingOurPid) {
    auto run = RunDirectory::acquire(dir);
    ASSERT_TRUE(run) << run.error().message;
    struct stat st {};
    ASSERT_EQ(::stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    std::ifstream lock(dir / "ksimd.lock");
    pid_t pid = 0;
    lock >> pid;
    EXPECT_EQ(pid, ::getpid());
    EXPECT_TRUE(run->leftovers_removed().empty());
}

TEST_F(ShmRunDirectory, SecondAcquire_WhileHeldIsBusyAndNamesTheHolder) {
    auto first = RunDirectory::acquire(dir);
    ASSERT_TRUE(first);
    auto second = RunDirectory::acquire(dir);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, Errc::Busy);
    EXPECT_NE(second.error().message.find(std::to_string(::getpid())), std::string::npos)
        << second.error().message;
}

TEST_F(ShmRunDirectory, Acquire_AfterTheHolderIsReleasedSucceeds) {
    { ASSERT_TRUE(RunDirectory::acquire(dir)); }
    EXPECT_TRUE(RunDirectory::acquire(dir));
}

TEST_F(ShmRunDirectory, CleanExit_RemovesRegisteredEntries) {
    {
        auto run = RunDirectory::acquire(dir);
        ASSERT_TRUE(run);
        ASSERT_TRUE(run->register_file("ksimd.sock"));
        std::ofstream(dir / "ksimd.sock") << "x";
    }
    EXPECT_FALSE(fs::exists(dir / "ksimd.sock"));
}

TEST_F(ShmRunDirectory, KilledHoldersLeftovers_AreRemovedAtTheNextAcquire) {
    const std::string shm_name = "/ksim-test-leftover-" + std::to_string(::getpid());
    test::Child daemon([&] {
        auto run = RunDirectory::acquire(dir);
        if (!run) return 1;
        if (!run->register_file("ksimd.sock") || !run->register_shm(shm_name)) return 2;
        std::ofstream(dir / "ksimd.sock") << "x";
        const int fd = ::shm_open(shm_name.c_str(), O_CREAT | O_RDWR, 0600);
        if (fd < 0) return 3;
        ::kill(::getpid(), SIGKILL);  // dies without running any destructor
        return 4;
    });
    ASSERT_TRUE(daemon.started());
    const int status = daemon.wait();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
    ASSERT_TRUE(fs::exists(dir / "ksimd.sock"));
    ASSERT_TRUE(test::dev_shm_entries().contains(shm_name.substr(1)));

    auto run = RunDirectory::acquire(dir);  // the kernel dropped the dead holder's flock
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_EQ(run->leftovers_removed(), (std::vector<std::string>{"file:ksimd.sock", "shm:" + shm_name}));
    EXPECT_FALSE(fs::exists(dir / "ksimd.sock"));
    EXPECT_FALSE(test::dev_shm_entries().contains(shm_name.substr(1)));
    EXPECT_TRUE(daemon.gone());
}

TEST_F(ShmRunDirectory, Register_RejectsNamesOutsideTheDirectory) {
    auto run = RunDirectory::acquire(dir);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->register_file("../etc/passwd").error().code, Errc::InvalidArgument);
    EXPECT_EQ(run->register_file("").error().code, Errc::InvalidArgument);
    EXPECT_EQ(run->register_file("ksimd.lock").error().code, Errc::InvalidArgument);
    EXPECT_EQ(run->register_shm("no-slash").error().code, Errc::InvalidArgument);
    EXPECT_EQ(run->register_shm("/a/b").error().code, Errc::InvalidArgument);
}

TEST_F(ShmRunDirectory, Acquire_RefusesAWorldWritableDirectory) {
    fs::create_directories(dir);
    ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
    auto run = RunDirectory::acquire(dir);
    ASSERT_FALSE(run);
    EXPECT_EQ(run.error().code, Errc::PermissionDenied);
}

TEST_F(ShmRunDirectory, Acquire_RefusesAPathThatIsAFile) {
    std::ofstream(dir) << "x";
    auto run = RunDirectory::acquire(dir);
    ASSERT_FALSE(run);
    EXPECT_EQ(run.error().code, Errc::InvalidArgument);
}

}  // namespace
}  // namespace ksim::shm
