// Runs the real ksimctl binary as a user does, for the multi-process client tests: its output
// (stdout and stderr together, through a file in the test's directory) and its exit code.
#pragma once

#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "ksim/test_support/child_process.hpp"
#include "ksim/test_support/files.hpp"

namespace ksim::client::test {

struct CommandRun {
    int exit_code = -1;  // -1: it did not exit within a minute, or died of a signal
    std::string output;  // stdout and stderr
};

inline CommandRun ksimctl(const std::filesystem::path& dir, std::vector<std::string> args) {
    args.insert(args.begin(), KSIM_KSIMCTL_PATH);
    const auto log = dir / "ksimctl.out";
    std::filesystem::remove(log);
    auto child = test_support::ChildProcess::spawn(args, log);
    auto status = child.wait(std::chrono::seconds(60));
    CommandRun r;
    r.output = test_support::read_file(log);
    if (status && WIFEXITED(*status)) r.exit_code = WEXITSTATUS(*status);
    return r;
}

}  // namespace ksim::client::test
