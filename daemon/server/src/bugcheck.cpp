// The bugcheck handler (bugcheck.hpp). Everything it prints is prepared before the crash: the
// DriverCall of the faulting thread points at strings built when the driver's objects were
// made, the report directory and socket path are copied into static buffers when armed, and
// glibc's backtrace() is called once at install so that its lazy loading of libgcc_s (malloc,
// dlopen) is done. In the handler: clock_gettime, open, write, unlink, prctl, gettid,
// backtrace and backtrace_symbols_fd (glibc documents the latter AS-safe; the former is unsafe
// only on its first call), _exit.
#include "ksim/daemon/server/bugcheck.hpp"

#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>

#include "ksim/ddk_host/driver_call.hpp"
#include "ksim/ddk_host/driver_host.hpp"
#include "signal_safe_text.hpp"

namespace ksim::daemon::server {
namespace {

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
constexpr int kMaxFrames = 64;

// Set once by arm_bugcheck_reports, read by the handler after an acquire load of `armed`.
char report_dir[PATH_MAX];
char socket_path[PATH_MAX];
std::atomic<bool> armed{false};
std::atomic<bool> reporting{false};  // the first crashing thread reports; the others wait for the exit

// The main thread's alternate stack, so that a stack overflow there is still reported.
alignas(16) char main_alt_stack[64 * 1024];

bool copy_path(char (&out)[PATH_MAX], const std::filesystem::path& path) {
    const std::string& s = path.native();
    if (s.size() >= PATH_MAX) return false;
    std::memcpy(out, s.c_str(), s.size() + 1);
    return true;
}

const char* signal_name(int sig) {
    switch (sig) {
        case SIGSEGV:
            return "SIGSEGV";
        case SIGBUS:
            return "SIGBUS";
        case SIGFPE:
            return "SIGFPE";
        case SIGILL:
            return "SIGILL";
        case SIGABRT:
            return "SIGABRT";
        default:
            return "signal";
    }
}

// si_code, for the codes a fault of these signals carries.
const char* code_name(int sig, int code) {
    if (code == SI_USER) return "SI_USER: sent by kill";
    if (code == SI_TKILL) return "SI_TKILL: raised (raise, abort, pthread_kill)";
    if (code == SI_QUEUE) return "SI_QUEUE: sent by sigqueue";
    switch (sig) {
        case SIGSEGV:
            if (code == SEGV_MAPERR) return "SEGV_MAPERR: address not mapped";
            if (code == SEGV_ACCERR) return "SEGV_ACCERR: access not permitted";
            break;
        case SIGBUS:
            if (code == BUS_ADRALN) return "BUS_ADRALN: misaligned address";
            if (code == BUS_ADRERR) return "BUS_ADRERR: no such physical address (e.g. past a file's end)";
            if (code == BUS_OBJERR) return "BUS_OBJERR: hardware error";
            break;
        case SIGFPE:
            if (code == FPE_INTDIV) return "FPE_INTDIV: integer divide by zero";
            if (code == FPE_INTOVF) return "FPE_INTOVF: integer overflow";
            if (code == FPE_FLTDIV) return "FPE_FLTDIV: floating-point divide by zero";
            break;
        case SIGILL:
            if (code == ILL_ILLOPC) return "ILL_ILLOPC: illegal opcode";
            if (code == ILL_ILLOPN) return "ILL_ILLOPN: illegal operand";
            if (code == ILL_PRVOPC) return "ILL_PRVOPC: privileged opcode";
            break;
        default:
            break;
    }
    return "code";
}

std::uint64_t instruction_pointer(const void* context) {
    const auto* uc = static_cast<const ucontext_t*>(context);
    if (uc == nullptr) return 0;
#if defined(__x86_64__)
    return static_cast<std::uint64_t>(uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
    return uc->uc_mcontext.pc;
#else
    return 0;
#endif
}

// UTC from the epoch without gmtime (not async-signal-safe): H. Hinnant's civil_from_days.
// `compact`: 20261203T114047Z (file names), else 2026-12-03 11:40:47 UTC.
void add_utc(SignalSafeText& t, std::int64_t epoch, bool compact) {
    const std::int64_t days = epoch >= 0 ? epoch / 86400 : (epoch - 86399) / 86400;
    const std::int64_t secs = epoch - days * 86400;
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
    const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    const auto u = [](std::int64_t v) { return static_cast<std::uint64_t>(v); };
    t.dec(u(year), 4).add(compact ? "" : "-").dec(u(month), 2).add(compact ? "" : "-").dec(u(day), 2);
    t.add(compact ? "T" : " ").dec(u(secs / 3600), 2).add(compact ? "" : ":").dec(u(secs / 60 % 60), 2);
    t.add(compact ? "" : ":").dec(u(secs % 60), 2).add(compact ? "Z" : " UTC");
}

// Opens <dir>/<prefix>-<pid>-<time>.txt for the report; -1 when not armed or on failure.
int open_report(SignalSafeText& path, const char* prefix, std::int64_t now) {
    if (!armed.load(std::memory_order_acquire)) return -1;
    path.add(report_dir).add("/").add(prefix).add("-").dec(static_cast<std::uint64_t>(::getpid())).add("-");
    add_utc(path, now, true);
    path.add(".txt");
    return ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
}

void write_both(SignalSafeText& t, int file) {
    t.write_to(STDERR_FILENO);
    t.write_to(file);
    t.clear();
}

void on_fatal_signal(int sig, siginfo_t* info, void* context) {
    if (reporting.exchange(true)) {
        for (;;) ::pause();  // another thread is reporting and will end the process
    }
    // A signal another process sent (kill -SEGV) is no crash of the code this thread runs.
    const bool sent_from_outside = info->si_code <= 0 && info->si_pid != ::getpid();
    const ddk_host::DriverCall* call = sent_from_outside ? nullptr : ddk_host::DriverCall::current();
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);

    SignalSafeText path;
    const int file = open_report(path, call != nullptr ? "bugcheck" : "crash", ts.tv_sec);
    const int open_errno = errno;
    SignalSafeText t;
    if (call != nullptr) {
        t.add("\n*** ksimd BUGCHECK: driver code crashed: ");
        t.add(call->module() != nullptr ? call->module()->file_name.c_str() : "(unknown module)").add(": ");
        t.add(call->routine());
        if (*call->object() != '\0') t.add(" of ").add(call->object());
        t.add("\n");
    } else {
        t.add("\n*** ksimd crashed: not in driver code (a ksimd bug, not a driver's bugcheck)\n");
    }
    t.add("signal:      ").add(signal_name(sig)).add(" (").dec(static_cast<std::uint64_t>(sig)).add(", ");
    t.add(code_name(sig, info->si_code)).add(")");
    if (!sent_from_outside && info->si_code > 0)
        t.add(" at address ").hex(reinterpret_cast<std::uintptr_t>(info->si_addr));
    t.add("\n");
    if (call != nullptr) {
        if (call->module() != nullptr) t.add("module:      ").add(call->module()->path).add("\n");
        t.add("routine:     ").add(call->routine()).add("\n");
        if (*call->object() != '\0') t.add("object:      ").add(call->object()).add("\n");
    }
    if (const std::uint64_t ip = instruction_pointer(context); ip != 0)
        t.add("instruction: ").hex(ip).add("\n");
    char thread_name[17] = {};
    ::prctl(PR_GET_NAME, thread_name, 0, 0, 0);
    t.add("thread:      ").dec(static_cast<std::uint64_t>(::gettid())).add(" '").add(thread_name).add("'\n");
    t.add("process:     ksimd pid ").dec(static_cast<std::uint64_t>(::getpid())).add("\n");
    t.add("time:        ");
    add_utc(t, ts.tv_sec, false);
    t.add("\n");
    if (file >= 0) t.add("report:      ").add(path.c_str()).add("\n");
    t.add("backtrace (addr2line -e <module> <offset> names a frame of a module without symbols):\n");
    write_both(t, file);
    void* frames[kMaxFrames];
    const int n = ::backtrace(frames, kMaxFrames);
    ::backtrace_symbols_fd(frames, n, STDERR_FILENO);
    if (file >= 0) ::backtrace_symbols_fd(frames, n, file);

    if (call != nullptr)
        t.add("ksimd exits with status ")
            .dec(kBugcheckExitCode)
            .add(": every driver and client of it goes down with it\n");
    else
        t.add("ksimd dies of the signal\n");
    if (armed.load(std::memory_order_acquire) && file < 0)
        t.add("no report file: cannot create ")
            .add(path.c_str())
            .add(" (errno ")
            .dec(static_cast<std::uint64_t>(open_errno))
            .add(")\n");
    write_both(t, file);
    if (file >= 0) ::close(file);

    if (call != nullptr) {
        if (armed.load(std::memory_order_acquire)) ::unlink(socket_path);  // as an orderly shutdown does
        ::_exit(kBugcheckExitCode);
    }
    // Not the driver's: die of the signal as without this handler. The signal is blocked while
    // the handler runs, so it is delivered (with the default action) when the handler returns.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigemptyset(&dfl.sa_mask);
    ::sigaction(sig, &dfl, nullptr);
    ::raise(sig);
}

}  // namespace

void install_bugcheck_handler() {
    void* warm[1];
    (void)::backtrace(warm, 1);  // loads libgcc_s now, not in the handler

    stack_t current{};
    if (::sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE) != 0) {
        stack_t alt{};
        alt.ss_sp = main_alt_stack;
        alt.ss_size = sizeof(main_alt_stack);
        (void)::sigaltstack(&alt, nullptr);
    }

    struct sigaction action {};
    action.sa_sigaction = on_fatal_signal;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    ::sigemptyset(&action.sa_mask);
    for (int sig : kSignals) ::sigaddset(&action.sa_mask, sig);  // one crash report at a time per thread
    for (int sig : kSignals) ::sigaction(sig, &action, nullptr);
}

void arm_bugcheck_reports(const std::filesystem::path& runtime_dir, const std::filesystem::path& socket) {
    if (!copy_path(report_dir, std::filesystem::absolute(runtime_dir)) ||
        !copy_path(socket_path, std::filesystem::absolute(socket)))
        return;
    armed.store(true, std::memory_order_release);
}

}  // namespace ksim::daemon::server
