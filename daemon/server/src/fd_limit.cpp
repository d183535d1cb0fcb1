#include "fd_limit.hpp"

#include <cerrno>
#include <cstring>

namespace ksim::daemon::server {

FdLimit raise_fd_limit() {
    FdLimit out;
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        out.error = std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno);
        return out;
    }
    out.before = out.soft = limit.rlim_cur;
    out.hard = limit.rlim_max;
    if (limit.rlim_cur == limit.rlim_max) return out;
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        out.error = std::string("setrlimit(RLIMIT_NOFILE): ") + std::strerror(errno);
        return out;
    }
    out.soft = limit.rlim_cur;
    return out;
}

}  // namespace ksim::daemon::server
