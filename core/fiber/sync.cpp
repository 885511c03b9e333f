#include "core/fiber/sync.h"

namespace eddy {

WaitQueue::~WaitQueue() {
    // A queue can die with waiters only while a crashed node's objects are torn down; the waiters
    // are unwinding too. Tell them they are no longer linked.
    for (auto& w : waiters_) {
        *w.linked = false;
    }
}

WakeReason WaitQueue::wait(Instant deadline, bool cancellable) {
    Fiber* me = executor_->current();
    ASSERT(me != nullptr, "wait() outside a fiber");
    bool linked = true;
    auto it = waiters_.insert(waiters_.end(), Waiter{me, &linked});
    // Unlinks on every way out of this frame, including a crash's forced unwind.
    struct Unlink {
        std::list<Waiter>& list;
        std::list<Waiter>::iterator it;
        bool& linked;
        ~Unlink() {
            if (linked) {
                list.erase(it);
            }
        }
    } unlink{waiters_, it, linked};
    WakeReason r = executor_->park(deadline, cancellable);
    if (!linked && r != WakeReason::notified) {
        // Notified and timed out in the same instant: the notification won (we were unlinked).
        r = WakeReason::notified;
    }
    return r;
}

bool WaitQueue::notify_one() {
    if (waiters_.empty()) {
        return false;
    }
    Waiter w = waiters_.front();
    waiters_.pop_front();
    *w.linked = false;
    executor_->unpark(*w.fiber, WakeReason::notified);
    return true;
}

size_t WaitQueue::notify_all() {
    size_t n = 0;
    while (notify_one()) {
        ++n;
    }
    return n;
}

Result<void, WaitError> Event::wait(Instant deadline) {
    while (!set_) {
        const WakeReason r = queue_.wait(deadline);
        if (r != WakeReason::notified) {
            return wait_error(r);
        }
    }
    return {};
}

void Mutex::lock() {
    if (!locked_) {
        locked_ = true;
        return;
    }
    // Woken only by unlock()'s hand-off, which leaves locked_ set for us.
    const WakeReason r = queue_.wait(Instant::max(), false);
    ASSERT(r == WakeReason::notified);
}

bool Mutex::try_lock() {
    if (locked_) {
        return false;
    }
    locked_ = true;
    return true;
}

void Mutex::unlock() {
    ASSERT(locked_, "unlock of an unlocked mutex");
    if (!queue_.notify_one()) {
        locked_ = false;
    }
}

}  // namespace eddy
