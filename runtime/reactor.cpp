// Reactor: epoll + eventfd + the blocking-call pool. See reactor.h.
#include "runtime/reactor.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <ctime>

namespace eddy {
namespace {

// Readiness events taken per epoll_wait; the rest stay queued in the kernel for the next poll.
constexpr size_t events_per_poll_max = 256;

}  // namespace

Reactor::Reactor(Options options) : options_(options), events_(events_per_poll_max) {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    ASSERT(epoll_fd_ >= 0, "epoll_create1 failed");
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ASSERT(wake_fd_ >= 0, "eventfd failed");
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET;
    ev.data.ptr = this;  // the reactor's own address tags the eventfd
    const int rc = ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
    ASSERT(rc == 0, "epoll_ctl(eventfd) failed");
    FiberExecutor::Options ex_options;
    ex_options.stack_bytes = options_.stack_bytes;
    executor_.emplace(*this, ex_options);
    executor_ptr_ = &*executor_;
    // Pool threads inherit a mask that blocks every signal, from their first instruction on: the
    // reactor thread (and its signalfd) takes them all.
    sigset_t all;
    sigset_t old;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, &old);
    threads_.reserve(options_.io_threads);
    for (size_t i = 0; i < options_.io_threads; ++i) {
        threads_.emplace_back([this] { pool_main(); });
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

Reactor::~Reactor() {
    shutdown();
    ::close(wake_fd_);
    ::close(epoll_fd_);
}

void Reactor::shutdown() {
    if (executor_ptr_ != nullptr) {
        ASSERT(!executor_ptr_->in_fiber(), "shutdown() from a fiber");
        executor_.reset();  // unwinds the fibers left; their blocking calls are abandoned
        executor_ptr_ = nullptr;
    }
    {
        std::lock_guard lock(mutex_);
        ASSERT(queued_head_ == nullptr, "blocking calls queued after the fibers are gone");
        stopping_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : threads_) {
        t.join();
    }
    threads_.clear();
}

Instant Reactor::now() const {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return Instant::from_nanos(static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec);
}

bool Reactor::poll(std::optional<Instant> deadline, bool block) {
    if (block && !deadline && executor_ptr_->live_fibers() == 0) {
        return false;  // nothing is left that an event could wake
    }
    Duration wait = Duration::zero();
    if (block && deadline) {
        wait = std::max(*deadline - now(), Duration::zero());
    }
    const bool forever = block && !deadline;
    const int max_events = static_cast<int>(events_.size());
    int n = -1;
    if (have_pwait2_) {
        timespec ts{};
        ts.tv_sec = static_cast<time_t>(wait.to_nanos() / 1'000'000'000);
        ts.tv_nsec = static_cast<long>(wait.to_nanos() % 1'000'000'000);
        n = ::epoll_pwait2(epoll_fd_, events_.data(), max_events, forever ? nullptr : &ts, nullptr);
        if (n < 0 && errno == ENOSYS) {
            have_pwait2_ = false;
        }
    }
    if (!have_pwait2_) {
        // Milliseconds, rounded up so that a timer never fires early.
        const int64_t ms = (wait.to_nanos() + 999'999) / 1'000'000;
        const int timeout = forever ? -1 : static_cast<int>(std::min<int64_t>(ms, INT_MAX));
        n = ::epoll_wait(epoll_fd_, events_.data(), max_events, timeout);
    }
    if (n < 0) {
        ASSERT(errno == EINTR, "epoll_wait failed");
        return true;
    }
    bool woken = false;
    for (int i = 0; i < n; ++i) {
        const epoll_event& ev = events_[static_cast<size_t>(i)];
        if (ev.data.ptr == this) {
            woken = true;
        } else {
            static_cast<FdWatch*>(ev.data.ptr)->on_events(ev.events);
        }
    }
    // After the fd events: a posted function may close an fd whose event is in this batch.
    if (woken) {
        drain_wakeups();
    }
    return true;
}

int Reactor::watch(int fd, FdWatch& w) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = &w;
    return ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : errno;
}

void Reactor::unwatch(int fd) {
    // Fails only if fd was never watched; closing it would drop it from the set anyway.
    (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

void Reactor::run_blocking_raw(void (*fn)(void*), void* arg) {
    FiberExecutor& ex = executor();
    if (threads_.empty() || !ex.in_fiber()) {
        fn(arg);
        return;
    }
    Job job;
    job.fn = fn;
    job.arg = arg;
    job.fiber = ex.current();
    {
        std::lock_guard lock(mutex_);
        if (queued_tail_ == nullptr) {
            queued_head_ = &job;
        } else {
            queued_tail_->next = &job;
        }
        queued_tail_ = &job;
    }
    work_cv_.notify_one();
    // If this fiber is unwound before the completion is delivered, the job must not outlive it.
    struct Abandon {
        Reactor& reactor;
        Job& job;
        ~Abandon() {
            if (!job.delivered) {
                reactor.abandon(job);
            }
        }
    } abandon{*this, job};
    while (!job.delivered) {
        (void)ex.park(Instant::max(), false);
    }
}

void Reactor::abandon(Job& job) {
    std::unique_lock lock(mutex_);
    if (job.state == Job::State::queued) {
        Job* prev = nullptr;
        for (Job* j = queued_head_; j != nullptr; prev = j, j = j->next) {
            if (j == &job) {
                (prev == nullptr ? queued_head_ : prev->next) = j->next;
                if (queued_tail_ == j) {
                    queued_tail_ = prev;
                }
                return;
            }
        }
        UNREACHABLE("a queued job is missing from the queue");
    }
    ++abandoning_;
    done_cv_.wait(lock, [&] { return job.state == Job::State::finished; });
    --abandoning_;
    Job* prev = nullptr;
    for (Job* j = finished_; j != nullptr; prev = j, j = j->next) {
        if (j == &job) {
            (prev == nullptr ? finished_ : prev->next) = j->next;
            return;
        }
    }
    UNREACHABLE("a finished, undelivered job is missing from the finished list");
}

void Reactor::pool_main() {
    std::unique_lock lock(mutex_);
    for (;;) {
        work_cv_.wait(lock, [&] { return stopping_ || queued_head_ != nullptr; });
        if (queued_head_ == nullptr) {
            return;  // stopping, and nothing left to run
        }
        Job* job = queued_head_;
        queued_head_ = job->next;
        if (queued_head_ == nullptr) {
            queued_tail_ = nullptr;
        }
        job->state = Job::State::running;
        lock.unlock();
        job->fn(job->arg);
        lock.lock();
        job->state = Job::State::finished;
        job->next = finished_;
        finished_ = job;
        if (abandoning_ > 0) {
            done_cv_.notify_all();
        }
        signal_wakeup_locked(lock);
    }
}

void Reactor::signal_wakeup_locked(std::unique_lock<std::mutex>& lock) {
    if (wakeup_pending_) {
        return;  // a write is on its way and the reactor has not drained since
    }
    wakeup_pending_ = true;
    lock.unlock();
    const uint64_t one = 1;
    // Cannot fail short of a bad fd; a counter overflow (EAGAIN) still leaves it readable.
    if (::write(wake_fd_, &one, sizeof one) < 0) {
    }
    lock.lock();
}

void Reactor::post(std::function<void()> fn) {
    std::unique_lock lock(mutex_);
    posted_.push_back(std::move(fn));
    signal_wakeup_locked(lock);
}

void Reactor::drain_wakeups() {
    uint64_t count = 0;
    if (::read(wake_fd_, &count, sizeof count) < 0) {
        // EAGAIN: the write that woke us was already consumed by an earlier drain.
    }
    Job* finished = nullptr;
    {
        std::lock_guard lock(mutex_);
        wakeup_pending_ = false;  // later completions must write again
        finished = finished_;
        finished_ = nullptr;
        ASSERT(posted_scratch_.empty());
        posted_scratch_.swap(posted_);
    }
    // The finished list is a stack; reverse it so fibers resume in completion order.
    Job* ordered = nullptr;
    while (finished != nullptr) {
        Job* next = finished->next;
        finished->next = ordered;
        ordered = finished;
        finished = next;
    }
    for (Job* j = ordered; j != nullptr;) {
        Job* next = j->next;
        j->delivered = true;
        executor_ptr_->unpark(*j->fiber, WakeReason::notified);
        j = next;
    }
    for (auto& fn : posted_scratch_) {
        fn();
    }
    posted_scratch_.clear();
}

}  // namespace eddy
