#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace ksim::itest {
namespace {

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

Process::Process(std::vector<std::string> argv, const std::filesystem::path& log_dir,
                 const std::string& label)
    : out_(log_dir / (label + ".out")), err_(log_dir / (label + ".err")) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd_ < 0) {
        kill_and_reap();
        throw std::runtime_error("pidfd_open: " + std::string(std::strerror(errno)));
    }
}

Process::~Process() {
    kill_and_reap();
    if (pidfd_ >= 0) ::close(pidfd_);
}

bool Process::running() const {
    if (exit_code_) return false;
    pollfd p{pidfd_, POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
    if (exit_code_) return exit_code_;
    pollfd p{pidfd_, POLLIN, 0};
    int rc;
    do {
        rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (rc < 0 && errno == EINTR);
    if (rc <= 0) return std::nullopt;
    int status = 0;
    if (::waitpid(pid_, &status, 0) != pid_) return std::nullopt;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_code_;
}

void Process::signal(int sig) const {
    if (!exit_code_ && pid_ > 0) ::kill(pid_, sig);
}

void Process::kill_and_reap() {
    if (exit_code_ || pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string Process::stdout_text() const {
    return slurp(out_);
}
std::string Process::stderr_text() const {
    return slurp(err_);
}

RunResult run(std::vector<std::string> argv, const std::filesystem::path& log_dir, const std::string& label,
              std::chrono::milliseconds timeout) {
    Process p(std::move(argv), log_dir, label);
    auto code = p.wait(timeout);
    if (!code) p.kill_and_reap();
    return RunResult{code.value_or(-1), p.stdout_text(), p.stderr_text()};
}

std::vector<std::string> ksim_dev_shm_entries() {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/dev/shm", ec)) {
        auto name = e.path().filename().string();
        if (name.find("ksim") != std::string::npos) names.push_back(name);
    }
    return names;
}

bool has_live_children() {
    siginfo_t info{};
    // WNOWAIT: look without reaping; ECHILD means no children at all.
    const int rc = ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT);
    if (rc < 0) return false;  // ECHILD
    return info.si_pid == 0;   // children exist and none has exited: live ones
}

}  // namespace ksim::itest
