#include "ksim/shm/unique_fd.hpp"

#include <unistd.h>

namespace ksim::shm {

void UniqueFd::reset(int fd) noexcept {
    // close() errors are not actionable here: the descriptor is gone either way (Linux).
    if (fd_ >= 0 && fd_ != fd) ::close(fd_);
    fd_ = fd;
}

}  // namespace ksim::shm
