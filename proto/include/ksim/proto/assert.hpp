// KSIM_ASSERT(condition, message): a broken invariant is a bug in ksim, not an error to report.
//
// It prints the expression, file:line and the message to stderr and aborts, in every build type
// (unlike <cassert>, NDEBUG does not remove it). Why abort and not return Errc::Internal: an
// error result asks the caller to handle something it cannot handle, hides the bug behind a
// client-visible failure, and lets the process run on with state that is already wrong. An abort
// leaves a core dump and a stack at the place that broke.
//
// Use it only for what no input can cause: a peer process, a config or a client request that is
// wrong gets a specific error (Errc) instead, and the daemon never aborts on bad input. Keep the
// condition cheap; it is evaluated on every build.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace ksim::proto::detail {

[[noreturn, gnu::cold]] inline void assert_failed(const char* expression, const char* file, int line,
                                                  const char* message) {
    std::fprintf(stderr, "%s:%d: ksim invariant broken: %s (%s)\n", file, line, message, expression);
    std::fflush(stderr);
    std::abort();
}

}  // namespace ksim::proto::detail

#define KSIM_ASSERT(condition, message)                                                      \
    do {                                                                                     \
        if (!(condition)) [[unlikely]]                                                       \
            ::ksim::proto::detail::assert_failed(#condition, __FILE__, __LINE__, (message)); \
    } while (false)
