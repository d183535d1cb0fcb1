// Where ksimd listens, and taking over the socket path safely: a live daemon is never
// displaced, a stale socket left by a killed one is replaced.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>

#include "ksim/proto/error.hpp"

namespace ksim::daemon::server {

// wire::default_listen_socket_path() (ksim/wire/socket_path.hpp): the rule clients connect by,
// from the daemon's side.
std::filesystem::path default_socket_path();

// Makes `path` available for bind(): creates the parent directory (0700) if missing and refuses
// one that others may write (PermissionDenied naming it and its mode) unless it is sticky and
// owned by root or us. With `allow_group`, a directory of ours in mode 0700 becomes 0750 with
// that group, and any other must already let the group through (else PermissionDenied). If a
// socket is already there, probe-connects it: a daemon answering → Busy ("another ksimd is
// listening on ..."); refused → stale, unlinked. Anything else at the path (a regular file) →
// AlreadyExists.
Result<void> claim_socket_path(const std::filesystem::path& path,
                               std::optional<gid_t> allow_group = std::nullopt);

}  // namespace ksim::daemon::server
