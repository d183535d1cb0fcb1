// The simulated bugcheck: ksimd's handler for SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT.
// Raised while a thread runs driver code (ddk_host::DriverCall), the crash is the driver's, as a
// bugcheck is on Windows: a report naming the module, the routine in progress, the signal and
// faulting address, the thread and a backtrace goes to stderr and to
// <runtime dir>/bugcheck-<pid>-<UTC time>.txt; the socket is removed and ksimd exits with
// kBugcheckExitCode. Raised anywhere else, the same report says "not in driver code" and the
// process dies of the signal as it would without the handler (core dump and all).
// The handler only uses async-signal-safe calls (write, open, unlink, clock_gettime, ...); every
// string it prints was prepared before the crash. docs/minidriver.md, "Bugcheck".
#pragma once

#include <filesystem>

namespace ksim::daemon::server {

// ksimd's exit status after a bugcheck (EX_SOFTWARE of sysexits.h: an internal software error).
inline constexpr int kBugcheckExitCode = 70;

// Installs the handlers for the whole process; call once, from main, before any driver module
// is loaded (DriverEntry is driver code too). Until arm_bugcheck_reports, a report goes to
// stderr only.
void install_bugcheck_handler();

// From now on reports are also written to `runtime_dir` and a bugcheck removes `socket_path`
// (what an orderly shutdown removes). DaemonApp calls it once it holds the runtime directory.
void arm_bugcheck_reports(const std::filesystem::path& runtime_dir, const std::filesystem::path& socket_path);

}  // namespace ksim::daemon::server
