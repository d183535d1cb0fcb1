// In-process ksimd: a DaemonApp on a unique socket in a fresh temporary directory, its
// io_context on a thread. Tear-down stops it and checks that the socket is gone.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <thread>

#include "ksim/daemon/server/daemon_app.hpp"
#include "ksim/test_support/files.hpp"
#include "test_client.hpp"

namespace ksim::test {

using test_support::TempDir;  // a fresh 0700 directory under /tmp, removed with its contents

proto::Topology load_config(const std::string& name);  // from configs/

class DaemonFixture : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;
    // Options the tests may change before start() (SetUp starts with defaults unless told not to).
    virtual bool start_in_setup() const { return true; }
    void start(daemon::server::DaemonOptions options);
    daemon::server::DaemonOptions default_options() const;

    TestClient connect();
    TestClient connect_with_hello(wire::Role role = wire::Role::Client);

    TempDir dir_;
    std::filesystem::path socket_;
    std::unique_ptr<daemon::server::DaemonApp> daemon_;
    std::thread runner_;
};

// Error code name of a reply ("" for ok replies).
std::string error_code(const nlohmann::json& reply);

}  // namespace ksim::test
