// Fiber synchronisation primitives: WaitQueue (the building block), Event, Mutex, Channel<T>,
// Promise<T>/Future<T>. They suspend the calling fiber, never the thread. Every wait takes an
// optional deadline on the monotonic clock and reports timeout or cancellation as a WaitError.
//
// Invariant: a waiter that is woken by a notify has been removed from its queue by the notifier;
// a waiter that times out, is cancelled, or is unwound by a crash removes itself.
#pragma once

#include <cstddef>
#include <deque>
#include <list>
#include <memory>
#include <optional>
#include <utility>

#include "core/base/assert.h"
#include "core/base/result.h"
#include "core/env/scheduler.h"

namespace eddy {

enum class WaitError : uint8_t { timeout, cancelled, closed };

inline Err<WaitError> wait_error(WakeReason r) {
    ASSERT(r != WakeReason::notified);
    return fail(r == WakeReason::timeout ? WaitError::timeout : WaitError::cancelled);
}

class WaitQueue {
public:
    explicit WaitQueue(FiberExecutor& executor) : executor_(&executor) {}
    explicit WaitQueue(Scheduler& scheduler) : executor_(&scheduler.executor()) {}
    WaitQueue(const WaitQueue&) = delete;
    WaitQueue& operator=(const WaitQueue&) = delete;
    ~WaitQueue();

    // Suspends the current fiber until notified, the deadline passes, or it is cancelled.
    WakeReason wait(Instant deadline = Instant::max(), bool cancellable = true);
    // Wakes the oldest waiter. Returns false if there was none. Does not suspend.
    bool notify_one();
    size_t notify_all();
    bool empty() const { return waiters_.empty(); }
    FiberExecutor& executor() const { return *executor_; }

private:
    struct Waiter {
        Fiber* fiber;
        bool* linked;
    };
    FiberExecutor* executor_;
    std::list<Waiter> waiters_;
};

// A latch that can be reset.
class Event {
public:
    explicit Event(Scheduler& s) : queue_(s) {}
    void set() {
        set_ = true;
        queue_.notify_all();
    }
    void reset() { set_ = false; }
    bool is_set() const { return set_; }
    // Suspends until set. Returns an error on timeout or cancellation.
    Result<void, WaitError> wait(Instant deadline = Instant::max());

private:
    bool set_ = false;
    WaitQueue queue_;
};

// A FIFO mutex with direct hand-off: unlock() passes ownership to the oldest waiter.
class Mutex {
public:
    explicit Mutex(Scheduler& s) : queue_(s) {}
    // Suspends until the mutex is ours. Not cancellable: critical sections are short.
    void lock();
    bool try_lock();
    void unlock();
    bool locked() const { return locked_; }

private:
    bool locked_ = false;
    WaitQueue queue_;
};

class LockGuard {
public:
    explicit LockGuard(Mutex& m) : m_(m) { m_.lock(); }
    ~LockGuard() { m_.unlock(); }
    LockGuard(const LockGuard&) = delete;
    LockGuard& operator=(const LockGuard&) = delete;

private:
    Mutex& m_;
};

// A FIFO channel. capacity == 0 means unbounded. close() wakes everyone: senders fail, receivers
// drain what is buffered and then get WaitError::closed.
template <typename T>
class Channel {
public:
    Channel(Scheduler& s, size_t capacity) : capacity_(capacity), readers_(s), writers_(s) {}

    // Suspends while the channel is full.
    Result<void, WaitError> send(T value, Instant deadline = Instant::max()) {
        while (!closed_ && capacity_ != 0 && items_.size() >= capacity_) {
            const WakeReason r = writers_.wait(deadline);
            if (r != WakeReason::notified) {
                return wait_error(r);
            }
        }
        if (closed_) {
            return fail(WaitError::closed);
        }
        items_.push_back(std::move(value));
        readers_.notify_one();
        return {};
    }
    // Never suspends: fails if full or closed.
    bool try_send(T value) {
        if (closed_ || (capacity_ != 0 && items_.size() >= capacity_)) {
            return false;
        }
        items_.push_back(std::move(value));
        readers_.notify_one();
        return true;
    }
    // Suspends while the channel is empty and open.
    Result<T, WaitError> recv(Instant deadline = Instant::max()) {
        while (items_.empty()) {
            if (closed_) {
                return fail(WaitError::closed);
            }
            const WakeReason r = readers_.wait(deadline);
            if (r != WakeReason::notified) {
                return wait_error(r);
            }
        }
        T v = std::move(items_.front());
        items_.pop_front();
        writers_.notify_one();
        return v;
    }
    std::optional<T> try_recv() {
        if (items_.empty()) {
            return std::nullopt;
        }
        T v = std::move(items_.front());
        items_.pop_front();
        writers_.notify_one();
        return v;
    }
    void close() {
        closed_ = true;
        readers_.notify_all();
        writers_.notify_all();
    }
    bool closed() const { return closed_; }
    size_t size() const { return items_.size(); }

private:
    size_t capacity_;
    bool closed_ = false;
    std::deque<T> items_;
    WaitQueue readers_;
    WaitQueue writers_;
};

template <typename T>
class Future;

// One value, set once, awaited by any number of fibers. A Promise destroyed without a value
// breaks its Future (WaitError::closed).
template <typename T>
class Promise {
public:
    explicit Promise(Scheduler& s) : state_(std::make_shared<State>(s)) {}
    Promise(Promise&&) noexcept = default;
    Promise& operator=(Promise&&) noexcept = default;
    ~Promise() {
        if (state_ != nullptr && !state_->value) {
            state_->broken = true;
            state_->waiters.notify_all();
        }
    }
    void set_value(T v) {
        ASSERT(state_ != nullptr && !state_->value, "promise set twice");
        state_->value.emplace(std::move(v));
        state_->waiters.notify_all();
    }
    bool is_set() const { return state_->value.has_value(); }
    Future<T> future() const { return Future<T>(state_); }

private:
    friend class Future<T>;
    struct State {
        explicit State(Scheduler& s) : waiters(s) {}
        std::optional<T> value;
        bool broken = false;
        WaitQueue waiters;
    };
    std::shared_ptr<State> state_;
};

template <typename T>
class Future {
public:
    bool ready() const { return state_->value.has_value(); }
    // Suspends until the value is set; returns a copy of it.
    Result<T, WaitError> get(Instant deadline = Instant::max()) const {
        while (!state_->value) {
            if (state_->broken) {
                return fail(WaitError::closed);
            }
            const WakeReason r = state_->waiters.wait(deadline);
            if (r != WakeReason::notified) {
                return wait_error(r);
            }
        }
        return *state_->value;
    }

private:
    friend class Promise<T>;
    explicit Future(std::shared_ptr<typename Promise<T>::State> s) : state_(std::move(s)) {}
    std::shared_ptr<typename Promise<T>::State> state_;
};

}  // namespace eddy
