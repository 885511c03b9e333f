// FdWatch: one parked fiber per direction, woken by the reactor's epoll reports. See io_waiter.h.
#include "net-posix/io_waiter.h"

#include <sys/epoll.h>

#include "core/base/assert.h"

namespace eddy {

FdWatch::~FdWatch() {
    ASSERT(waiters_[0] == nullptr && waiters_[1] == nullptr,
           "an fd watch destroyed while a fiber waits on it");
}

WakeReason FdWatch::wait(Direction d, Instant deadline) {
    Fiber* me = executor_.current();
    ASSERT(me != nullptr, "FdWatch::wait() outside a fiber");
    Fiber*& slot = waiters_[index(d)];
    ASSERT(slot == nullptr, "two fibers wait on the same fd in the same direction");
    slot = me;
    // Unlinks on every way out, including a forced unwind of this fiber's stack.
    struct Unlink {
        Fiber*& slot;
        Fiber* me;
        ~Unlink() {
            if (slot == me) {
                slot = nullptr;
            }
        }
    } unlink{slot, me};
    return executor_.park(deadline, true);
}

void FdWatch::wake(Direction d) {
    Fiber*& slot = waiters_[index(d)];
    if (slot == nullptr) {
        return;
    }
    Fiber* f = slot;
    slot = nullptr;
    executor_.unpark(*f, WakeReason::notified);
}

void FdWatch::on_events(uint32_t epoll_events) {
    // Errors and hang-ups wake both sides: their next syscall reports what happened.
    constexpr uint32_t both = EPOLLERR | EPOLLHUP;
    if ((epoll_events & (EPOLLIN | EPOLLRDHUP | EPOLLPRI | both)) != 0) {
        in_maybe_ready_ = true;
        wake(Direction::in);
    }
    if ((epoll_events & (EPOLLOUT | both)) != 0) {
        wake(Direction::out);
    }
}

void FdWatch::wake_all() {
    in_maybe_ready_ = true;
    wake(Direction::in);
    wake(Direction::out);
}

}  // namespace eddy
