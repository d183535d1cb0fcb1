#include "process.hpp"

#include "ksim/test_support/files.hpp"

namespace ksim::itest {

Process::Process(std::vector<std::string> argv, const std::filesystem::path& log_dir,
                 const std::string& label, std::vector<std::string> env)
    : out_(log_dir / (label + ".out")), err_(log_dir / (label + ".err")) {
    test_support::SpawnOptions options;
    options.out = out_;
    options.err = err_;
    options.truncate = true;
    options.env = std::move(env);
    child_ = test_support::ChildProcess::spawn(argv, options);
}

bool Process::running() const {
    return !exit_code_ && !child_.exited();
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
    if (exit_code_) return exit_code_;
    if (auto status = child_.wait(timeout)) exit_code_ = test_support::exit_code(*status);
    return exit_code_;
}

void Process::signal(int sig) const {
    if (!exit_code_) child_.signal(sig);
}

void Process::kill_and_reap() {
    if (exit_code_) return;
    if (auto status = child_.kill_and_reap()) exit_code_ = test_support::exit_code(*status);
}

std::string Process::stdout_text() const {
    return test_support::read_file(out_);
}
std::string Process::stderr_text() const {
    return test_support::read_file(err_);
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
    for (const auto& name : test_support::dev_shm_entries())
        if (name.find("ksim") != std::string::npos) names.push_back(name);
    return names;
}

}  // namespace ksim::itest
