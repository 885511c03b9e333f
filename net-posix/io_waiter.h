// IoWaiter and FdWatch: the seam between net-posix and the process's event loop (runtime/'s
// Reactor). net-posix may not depend on runtime/, so it states here the little it needs: reports
// of socket readiness, a way to park a fiber until one arrives, and a thread on which to run a
// call that blocks (getaddrinfo).
//
// Protocol (edge-triggered): a fiber first tries the non-blocking syscall; only when it fails
// with EAGAIN does it wait() on the fd's watch for that direction. The reactor calls on_events()
// from its poll, on the fiber thread but never inside a fiber. A readiness edge that comes after
// the failed syscall is queued by the kernel until the next epoll_wait, and epoll_wait only runs
// while every fiber is suspended, so no edge is lost between the EAGAIN and the park. Edges that
// nobody waits for are dropped: the next attempt finds the data anyway.
//
// Invariants: at most one fiber waits per direction (a byte stream cannot be shared by two
// readers or two writers anyway); a waiter is unlinked whichever way it leaves wait() (notified,
// timeout, cancellation, or a forced unwind of its stack); a watch is destroyed with no waiter.
#pragma once

#include <array>
#include <cstdint>
#include <type_traits>

#include "core/base/time.h"
#include "core/fiber/executor.h"

namespace eddy {

class FdWatch {
public:
    enum class Direction : uint8_t { in = 0, out = 1 };

    explicit FdWatch(FiberExecutor& executor) : executor_(executor) {}
    ~FdWatch();
    FdWatch(const FdWatch&) = delete;
    FdWatch& operator=(const FdWatch&) = delete;

    // Suspends the current fiber until the fd may be ready in direction `d` (the caller retries
    // its syscall), wake_all(), the deadline (timeout) or cancellation (cancelled).
    WakeReason wait(Direction d, Instant deadline = Instant::max());
    // Reactor side: the epoll event bits reported for the fd. Does not suspend.
    void on_events(uint32_t epoll_events);
    // Wakes both directions' waiters (used by close()). Does not suspend.
    void wake_all();
    bool waiting(Direction d) const { return waiters_[index(d)] != nullptr; }

    // A readiness hint for the in direction, which saves the EAGAIN syscall of the "try, then
    // park" protocol: the owner calls mark_in_drained() when it has seen the fd drained (EAGAIN,
    // or a stream socket's short read), and in_maybe_ready() stays false until the next readiness
    // report. Sound because any data that arrives after the drain raises a new edge.
    bool in_maybe_ready() const { return in_maybe_ready_; }
    void mark_in_drained() { in_maybe_ready_ = false; }
    FiberExecutor& executor() const { return executor_; }

private:
    static size_t index(Direction d) { return static_cast<size_t>(d); }
    void wake(Direction d);

    FiberExecutor& executor_;
    std::array<Fiber*, 2> waiters_{};
    bool in_maybe_ready_ = true;
};

class IoWaiter {
public:
    virtual ~IoWaiter() = default;

    // The executor whose fibers wait on this waiter's watches.
    virtual FiberExecutor& executor() = 0;
    // Starts edge-triggered reports of fd's readiness (readable, writable, hang-up, error) to
    // watch.on_events(). `watch` must stay alive until unwatch(fd). Returns 0 or an errno. Does
    // not suspend.
    virtual int watch(int fd, FdWatch& watch) = 0;
    // Stops the reports. Call it before closing fd. Does not suspend.
    virtual void unwatch(int fd) = 0;
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
