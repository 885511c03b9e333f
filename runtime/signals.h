// SignalWatch: process signals (SIGTERM, SIGINT, …) as something a fiber can wait on, for
// graceful shutdown. The signals are blocked in the calling thread and read from a signalfd that
// the reactor watches like a socket, so a signal never interrupts a fiber half-way: it is just
// one more readiness event.
//
// Invariants and caveats:
// - Construct it on the reactor thread, outside any fiber, before any thread other than the
//   reactor's pool is started: a thread that does not block the signals would take them with
//   their default action (the pool's threads block every signal), and under the sanitizer build's
//   ucontext fibers each context switch restores the signal mask the context was made with.
//   SignalWatch::wait() itself may be called from any fiber.
// - The destructor restores the previous signal mask; a watched signal still pending then is
//   delivered with its old disposition (for SIGTERM: the process ends).
// - One fiber waits at a time.
#pragma once

#include <signal.h>

#include <initializer_list>

#include "core/fiber/sync.h"
#include "runtime/reactor.h"

namespace eddy {

class SignalWatch {
public:
    // Blocks `signals` in this thread and opens a signalfd for them. Failure is fatal (start-up).
    SignalWatch(Reactor& reactor, std::initializer_list<int> signals);
    ~SignalWatch();
    SignalWatch(const SignalWatch&) = delete;
    SignalWatch& operator=(const SignalWatch&) = delete;

    // Suspends until one of the signals arrives and returns its number; timeout or cancelled
    // otherwise.
    Result<int, WaitError> wait(Instant deadline = Instant::max());

private:
    Reactor& reactor_;
    sigset_t old_mask_;
    int fd_ = -1;
    FdWatch watch_;
};

}  // namespace eddy
