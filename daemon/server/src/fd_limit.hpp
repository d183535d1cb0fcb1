// The descriptor limit: ksimd raises its soft RLIMIT_NOFILE to the hard limit at start, because
// every client costs it a socket and an open stream several more (rings, wake-ups).
#pragma once

#include <sys/resource.h>

#include <string>

namespace ksim::daemon::server {

struct FdLimit {
    rlim_t before = 0;  // the soft limit found
    rlim_t soft = 0;    // the soft limit now
    rlim_t hard = 0;
    std::string error;  // why raising failed (empty when it did not)
};

// Raises the soft limit to the hard one (no-op when they are equal) and says what it found.
FdLimit raise_fd_limit();

}  // namespace ksim::daemon::server
