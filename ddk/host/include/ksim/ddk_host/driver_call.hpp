// DriverCall: marks, per thread, the driver routine in progress, so that a crash inside driver
// code can be reported as the simulated bugcheck naming the module and the routine
// (docs/minidriver.md, "Bugcheck"). Every call ksim makes into a minidriver (DriverEntry, the
// device, filter, pin and allocator dispatch routines, timer and timeout callbacks) runs inside
// one: a scoped object on the caller's stack, linked from a thread_local pointer. Calls nest (a
// timer callback's KsPinAttemptProcessing runs Process): the innermost is current.
// Cost: one thread_local load and store each way, no allocation; what it points at (module file
// name and path, the object's description) is built when the object is made, so that a signal
// handler only reads it.
// The first DriverCall on a thread also gives the thread an alternate signal stack (unless it has
// one), kept until the thread exits: a driver routine that overflows its thread's stack still
// reaches the bugcheck handler, which runs on that stack (SA_ONSTACK), on whichever thread ksimd
// ran it (the socket's, a streaming thread, a ring's drain thread).
#pragma once

#include <utility>

#include "ksim/ddk_host/objects.hpp"

namespace ksim::ddk_host {

class DriverCall {
public:
    // `routine` is a string literal in the KS vocabulary ("KSPIN_DISPATCH.Process").
    DriverCall(const ObjectBase& object, const char* routine) noexcept
        : DriverCall(object.module, routine, object.description.c_str()) {}
    // A call with no object yet (DriverEntry).
    DriverCall(const DriverModule& module, const char* routine) noexcept : DriverCall(&module, routine, "") {}
    ~DriverCall() { current_ = outer_; }
    DriverCall(const DriverCall&) = delete;
    DriverCall& operator=(const DriverCall&) = delete;

    // The innermost call on this thread; null outside driver code. Async-signal-safe.
    static const DriverCall* current() noexcept { return current_; }

    // Null for an object made without its module (unit tests that build objects by hand).
    [[nodiscard]] const DriverModule* module() const noexcept { return module_; }
    [[nodiscard]] const char* routine() const noexcept { return routine_; }
    // "filter 'camera' pin 'capture'", "filter 'camera'", "device"; "" for DriverEntry.
    [[nodiscard]] const char* object() const noexcept { return object_; }

private:
    DriverCall(const DriverModule* module, const char* routine, const char* object) noexcept
        : module_(module), routine_(routine), object_(object), outer_(current_) {
        if (!alt_stack_ready_) [[unlikely]]
            give_thread_alt_signal_stack();
        current_ = this;
    }

    // Installs this thread's alternate signal stack (driver_call.cpp); sets alt_stack_ready_.
    static void give_thread_alt_signal_stack() noexcept;

    // initial-exec: a signal handler must not reach TLS through __tls_get_addr, which may
    // allocate on a thread's first access.
    [[gnu::tls_model("initial-exec")]] static constinit inline thread_local const DriverCall* current_ =
        nullptr;
    [[gnu::tls_model("initial-exec")]] static constinit inline thread_local bool alt_stack_ready_ = false;

    const DriverModule* module_;
    const char* routine_;
    const char* object_;
    const DriverCall* outer_;
};

// `routine_fn(args...)` inside a DriverCall: the one-expression form for a call whose result is used.
template <typename R, typename... Params, typename... Args>
R call_driver(const ObjectBase& object, const char* routine, R (*routine_fn)(Params...), Args&&... args) {
    const DriverCall call(object, routine);
    return routine_fn(std::forward<Args>(args)...);
}

}  // namespace ksim::ddk_host
