// Reactor: the production event loop of one process. It is the FiberExecutor's Driver (real
// CLOCK_MONOTONIC time; poll() waits in epoll_wait until the next timer, an fd's readiness or a
// completion from another thread), the fd registry net-posix parks fibers on (IoWaiter), and the
// owner of a small I/O thread pool that runs blocking calls (fdatasync, large pwrites, DNS) while
// only the calling fiber waits (BlockingOffload, and IoWaiter::run_blocking_raw).
//
// Threading model: one reactor thread runs the executor, every fiber, every timer and every
// on_events() callback; nothing in services/ ever sees another thread. Pool threads only run the
// blocking call they were handed and then queue its completion; the reactor thread learns about
// it through an eventfd in the same epoll set and unparks the fiber. post() lets any thread queue
// a function for the reactor thread the same way.
//
// Invariants:
// - Fds are registered once, edge-triggered (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET): no epoll_ctl
//   per read or write, and an idle readable socket never makes poll() spin.
// - A fiber in run_blocking_raw is parked non-cancellably until the pool has finished its call:
//   the call's arguments live on that fiber's stack. If the fiber is unwound first (a killed
//   group, the executor's destruction), the unwind waits for the call to finish.
// - Pool threads block every signal, so process-directed signals reach the reactor thread (and
//   its signalfd, see signals.h).
// - shutdown() (or the destructor) first destroys the executor, unwinding the fibers left while
//   the epoll set and the pool still exist, then stops the pool.
#pragma once

#include <sys/epoll.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/base/assert.h"
#include "core/base/time.h"
#include "core/fiber/executor.h"
#include "net-posix/io_waiter.h"
#include "storage-posix/blocking_offload.h"

namespace eddy {

class Reactor final : public FiberExecutor::Driver, public IoWaiter, public BlockingOffload {
public:
    struct Options {
        size_t io_threads = 2;  // 0: blocking calls run inline on the reactor thread
        size_t stack_bytes = 256 * 1024;
    };

    // Creates the epoll set, the eventfd and the pool. Failure (descriptor exhaustion at start-up)
    // is fatal.
    Reactor() : Reactor(Options{}) {}
    explicit Reactor(Options options);
    ~Reactor() override;
    Reactor(const Reactor&) = delete;
    Reactor& operator=(const Reactor&) = delete;

    FiberExecutor& executor() override {
        ASSERT(executor_ptr_ != nullptr, "the reactor was shut down");
        return *executor_ptr_;
    }
    // Unwinds every fiber left (newest first), then stops the pool. Not from a fiber; afterwards
    // only the destructor may be called. Idempotent.
    void shutdown();

    // --- FiberExecutor::Driver (reactor thread) ---
    // CLOCK_MONOTONIC. Does not suspend.
    Instant now() const override;
    // epoll_wait until the deadline (not at all when block is false, forever when there is no
    // deadline), then dispatches readiness and completions. Returns false only when it would
    // wait forever with no fiber left, which ends FiberExecutor::run().
    bool poll(std::optional<Instant> deadline, bool block) override;

    // --- IoWaiter (reactor thread) ---
    int watch(int fd, FdWatch& watch) override;
    void unwatch(int fd) override;
    // Also BlockingOffload's. Suspends the calling fiber, not cancellably.
    void run_blocking_raw(void (*fn)(void*), void* arg) override;
    template <typename F>
    void run_blocking(F&& f) {
        IoWaiter::run_blocking(std::forward<F>(f));
    }

    // Thread-safe: queues fn to run on the reactor thread during a later poll(). Does not
    // suspend. (Allocates; the pool's completions take an allocation-free path.)
    void post(std::function<void()> fn);

private:
    // A blocking call handed to the pool; it lives on the waiting fiber's stack.
    struct Job {
        enum class State : uint8_t { queued, running, finished };
        void (*fn)(void*) = nullptr;
        void* arg = nullptr;
        Fiber* fiber = nullptr;
        Job* next = nullptr;
        State state = State::queued;  // guarded by mutex_
        bool delivered = false;       // reactor thread only: the fiber was unparked
    };

    void pool_main();
    void drain_wakeups();
    void abandon(Job& job);
    void signal_wakeup_locked(std::unique_lock<std::mutex>& lock);

    Options options_;
    int epoll_fd_ = -1;
    int wake_fd_ = -1;
    std::vector<epoll_event> events_;
    bool have_pwait2_ = true;  // epoll_pwait2 (ns timeouts) until the kernel says ENOSYS

    // Shared with the pool threads and post()ers, under mutex_.
    std::mutex mutex_;
    std::condition_variable work_cv_;  // pool threads: a job is queued, or stop
    std::condition_variable done_cv_;  // abandon(): a job finished
    Job* queued_head_ = nullptr;
    Job* queued_tail_ = nullptr;
    Job* finished_ = nullptr;  // finished jobs not yet seen by the reactor (a stack)
    std::vector<std::function<void()>> posted_;
    bool wakeup_pending_ = false;  // an eventfd write is on its way; no need for another
    bool stopping_ = false;
    size_t abandoning_ = 0;
    std::vector<std::thread> threads_;

    std::vector<std::function<void()>> posted_scratch_;  // reactor thread only

    std::optional<FiberExecutor> executor_;  // reset by shutdown()
    // Stays valid while the executor is being destroyed (std::optional disengages first), so
    // destructors that run during the unwind may still reach it.
    FiberExecutor* executor_ptr_ = nullptr;
};

}  // namespace eddy
