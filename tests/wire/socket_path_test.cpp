// The one default-socket rule (ksim/wire/socket_path.hpp) that ksimd binds by and clients
// connect by. The rule is checked for each kind of user through default_socket_path_for, so
// every case runs whoever runs the tests; default_socket_path applies it to this process.
#include "ksim/wire/socket_path.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

TEST(SocketPath, Root_AlwaysUsesRunKsim) {
    EXPECT_EQ(ksim::wire::default_socket_path_for(0, "/tmp/xdg"), "/run/ksim/ksimd.sock");
    EXPECT_EQ(ksim::wire::default_socket_path_for(0, nullptr), "/run/ksim/ksimd.sock");
}

TEST(SocketPath, User_FollowsXdgRuntimeDir) {
    EXPECT_EQ(ksim::wire::default_socket_path_for(1000, "/tmp/ksim-xdg-test"),
              "/tmp/ksim-xdg-test/ksim/ksimd.sock");
}

TEST(SocketPath, UserWithoutXdgRuntimeDir_FallsBackToRunUser) {
    EXPECT_EQ(ksim::wire::default_socket_path_for(1000, nullptr), "/run/user/1000/ksim/ksimd.sock");
    EXPECT_EQ(ksim::wire::default_socket_path_for(1000, ""), "/run/user/1000/ksim/ksimd.sock");
}

TEST(SocketPath, Default_IsTheRuleForThisProcess) {
    EXPECT_EQ(ksim::wire::default_socket_path(),
              ksim::wire::default_socket_path_for(::geteuid(), std::getenv("XDG_RUNTIME_DIR")));
}
