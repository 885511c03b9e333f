// BlockingOffload: what storage-posix needs from the process's event loop (runtime/'s Reactor):
// a thread on which to run a disk call that may block for long (fdatasync, a large pwrite), while
// the calling fiber is parked and every other fiber keeps running. That is what lets the log
// group-commit: appends continue while one fsync is in flight. storage-posix may not depend on
// runtime/, so the interface lives here and the Reactor implements it.
#pragma once

#include <type_traits>

namespace eddy {

class BlockingOffload {
public:
    virtual ~BlockingOffload() = default;

    // Runs fn(arg) on another thread and suspends the calling fiber, not cancellably (the call
    // cannot be recalled once started), until it has returned. Outside a fiber it runs fn inline.
    // fn must not touch fibers or the executor.
    virtual void run_blocking_raw(void (*fn)(void*), void* arg) = 0;

    // run_blocking_raw for a callable that lives on the caller's stack: no allocation.
    template <typename F>
    void run_blocking(F&& f) {
        using Fn = std::remove_reference_t<F>;
        run_blocking_raw([](void* p) { (*static_cast<Fn*>(p))(); },
                         const_cast<void*>(static_cast<const void*>(&f)));
    }
};

}  // namespace eddy
