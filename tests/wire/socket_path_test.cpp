// The one default-socket rule (ksim/wire/socket_path.hpp) that ksimd binds by and clients
// connect by.
#include "ksim/wire/socket_path.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace {

// Sets XDG_RUNTIME_DIR for one test and restores it.
class XdgRuntimeDir {
public:
    explicit XdgRuntimeDir(const char* value) {
        if (const char* old = std::getenv("XDG_RUNTIME_DIR")) old_ = old;
        if (value)
            ::setenv("XDG_RUNTIME_DIR", value, 1);
        else
            ::unsetenv("XDG_RUNTIME_DIR");
    }
    ~XdgRuntimeDir() {
        if (old_)
            ::setenv("XDG_RUNTIME_DIR", old_->c_str(), 1);
        else
            ::unsetenv("XDG_RUNTIME_DIR");
    }

private:
    std::optional<std::string> old_;
};

}  // namespace

TEST(SocketPath, Default_FollowsTheUserAndXdgRuntimeDir) {
    XdgRuntimeDir xdg("/tmp/ksim-xdg-test");
    if (::geteuid() == 0)
        EXPECT_EQ(ksim::wire::default_socket_path(), "/run/ksim/ksimd.sock");
    else
        EXPECT_EQ(ksim::wire::default_socket_path(), "/tmp/ksim-xdg-test/ksim/ksimd.sock");
}

TEST(SocketPath, NonRootWithoutXdgRuntimeDir_FallsBackToRunUser) {
    if (::geteuid() == 0) GTEST_SKIP() << "root always uses /run/ksim";
    XdgRuntimeDir xdg(nullptr);
    EXPECT_EQ(ksim::wire::default_socket_path(),
              "/run/user/" + std::to_string(::geteuid()) + "/ksim/ksimd.sock");
}
