// The alternate signal stack a DriverCall gives its thread (driver_call.hpp). Made with mmap, not
// new: it is page-aligned, and nothing on the heap sits next to it for an overflow to reach.
#include "ksim/ddk_host/driver_call.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>

namespace ksim::ddk_host {
namespace {

// Enough for the bugcheck handler: a report composed in a fixed buffer and glibc's backtrace.
constexpr std::size_t kMinAltStack = 64 * 1024;

class ThreadAltSignalStack {
public:
    ThreadAltSignalStack() noexcept {
        stack_t current{};
        // A thread with a stack already (the main thread's, or one a sanitizer runtime gave)
        // keeps it: only the thread's owner may take it down.
        if (::sigaltstack(nullptr, &current) != 0 || (current.ss_flags & SS_DISABLE) == 0) return;
        const long minimum = ::sysconf(_SC_SIGSTKSZ);
        size_ = std::max(kMinAltStack, minimum > 0 ? static_cast<std::size_t>(minimum) : 0);
        void* memory =
            ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (memory == MAP_FAILED) return;  // no stack: a crash is still reported, an overflow is not
        stack_t alt{};
        alt.ss_sp = memory;
        alt.ss_size = size_;
        if (::sigaltstack(&alt, nullptr) != 0) {
            ::munmap(memory, size_);
            return;
        }
        memory_ = memory;
    }

    // At thread exit: the stack is switched off before its memory goes, so no signal runs on it.
    ~ThreadAltSignalStack() {
        if (memory_ == nullptr) return;
        stack_t off{};
        off.ss_flags = SS_DISABLE;
        if (::sigaltstack(&off, nullptr) == 0) ::munmap(memory_, size_);
    }

    ThreadAltSignalStack(const ThreadAltSignalStack&) = delete;
    ThreadAltSignalStack& operator=(const ThreadAltSignalStack&) = delete;

private:
    void* memory_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace

void DriverCall::give_thread_alt_signal_stack() noexcept {
    static thread_local ThreadAltSignalStack stack;  // made on the thread's first call, freed at its exit
    alt_stack_ready_ = true;
}

}  // namespace ksim::ddk_host
