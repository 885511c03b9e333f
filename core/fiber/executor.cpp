#include "core/fiber/executor.h"

#include <boost/context/protected_fixedsize_stack.hpp>
#include <cstdio>
#include <exception>
#include <utility>

#include "core/base/assert.h"

namespace eddy {
namespace {
// How many fibers may run back to back before outside events are polled (fairness for the
// network when fibers keep each other busy).
constexpr int resumes_per_poll_max = 64;
}  // namespace

WakeReason FiberRef::join() const {
    ASSERT(valid());
    FiberExecutor& ex = *fiber_->executor_;
    Fiber* me = ex.current();
    ASSERT(me != nullptr, "join() outside a fiber");
    ASSERT(me != fiber_.get(), "a fiber cannot join itself");
    while (!fiber_->done()) {
        std::shared_ptr<Fiber> self = me->self_.lock();
        ASSERT(self != nullptr);
        fiber_->joiners_.push_back(self);
        if (ex.park() == WakeReason::cancelled && !fiber_->done()) {
            std::erase(fiber_->joiners_, self);
            return WakeReason::cancelled;
        }
    }
    return WakeReason::notified;
}

void FiberRef::cancel() const {
    ASSERT(valid());
    if (!fiber_->done()) {
        fiber_->executor_->cancel(*fiber_);
    }
}

namespace {
constexpr size_t stacks_pooled_max = 4096;
}

StackPool::~StackPool() {
    boost::context::protected_fixedsize_stack system(stack_bytes_);
    for (auto& sc : free_) {
        system.deallocate(sc);
    }
}

boost::context::stack_context StackPool::allocate() {
    if (!free_.empty()) {
        auto sc = free_.back();
        free_.pop_back();
        return sc;
    }
    return boost::context::protected_fixedsize_stack(stack_bytes_).allocate();
}

void StackPool::deallocate(boost::context::stack_context& sc) {
    if (free_.size() < stacks_pooled_max) {
        free_.push_back(sc);
        return;
    }
    boost::context::protected_fixedsize_stack(stack_bytes_).deallocate(sc);
}

FiberExecutor::FiberExecutor(Driver& driver, Options options)
    : driver_(driver), options_(options), stacks_(options.stack_bytes) {}

FiberExecutor::~FiberExecutor() {
    ASSERT(current_ == nullptr, "executor destroyed from inside a fiber");
    // Unwind whatever is still alive, newest first, as a crash would.
    while (!fibers_.empty()) {
        std::shared_ptr<Fiber> f = std::prev(fibers_.end())->second;
        unwind(*f);
    }
    ready_.clear();
    held_.clear();
}

FiberRef FiberExecutor::spawn(GroupId group, std::string name, std::function<void()> body) {
    auto f = std::make_shared<Fiber>();
    f->executor_ = this;
    f->self_ = f;
    f->id_ = next_fiber_id_++;
    f->group_ = group;
    f->name_ = std::move(name);
    f->body_ = std::move(body);
    Fiber* raw = f.get();
    f->context_ = boost::context::fiber(
        std::allocator_arg, StackPool::Allocator{&stacks_},
        [this, raw](boost::context::fiber&& caller) {
            raw->caller_ = std::move(caller);
            // Killed before it ever ran: Boost's ucontext backend (the sanitizer build) starts a
            // never-run fiber in order to unwind it, so the body must not run here.
            if (raw->state_ != Fiber::State::done) {
                entry(*raw);
            }
            return std::move(raw->caller_);
        });
    fibers_.emplace(f->id_, f);
    f->state_ = Fiber::State::parked;  // make_ready expects a non-ready fiber
    make_ready(*f);
    return FiberRef(std::move(f));
}

void FiberExecutor::entry(Fiber& f) {
    try {
        f.body_();
    } catch (const boost::context::detail::forced_unwind&) {
        throw;  // a kill: let Boost.Context unwind the stack
    } catch (const std::exception& e) {
        std::fprintf(stderr, "eddy: fiber '%s' ended with an exception: %s\n", f.name_.c_str(),
                     e.what());
        std::abort();
    } catch (...) {
        std::fprintf(stderr, "eddy: fiber '%s' ended with an unknown exception\n", f.name_.c_str());
        std::abort();
    }
    f.body_ = nullptr;  // release captures while still on this stack
    finish(f);
}

void FiberExecutor::finish(Fiber& f) {
    f.state_ = Fiber::State::done;
    for (auto& joiner : f.joiners_) {
        unpark(*joiner, WakeReason::notified);
    }
    f.joiners_.clear();
}

void FiberExecutor::make_ready(Fiber& f) {
    ASSERT(f.state_ != Fiber::State::ready && f.state_ != Fiber::State::done);
    if (paused_groups_.contains(f.group_.value())) {
        f.state_ = Fiber::State::held;
        held_[f.group_.value()].push_back(&f);
        return;
    }
    f.state_ = Fiber::State::ready;
    ready_.push_back(&f);
}

Fiber* FiberExecutor::pick_ready() {
    ASSERT(!ready_.empty());
    size_t i = 0;
    if (options_.tie_breaker != nullptr && ready_.size() > 1) {
        i = options_.tie_breaker->below(ready_.size());
    }
    Fiber* f = ready_[i];
    if (i == 0) {
        ready_.pop_front();
    } else {
        ready_.erase(ready_.begin() + static_cast<std::ptrdiff_t>(i));
    }
    return f;
}

void FiberExecutor::resume(Fiber& f) {
    ASSERT(current_ == nullptr);
    ASSERT(f.state_ == Fiber::State::ready);
    f.state_ = Fiber::State::running;
    current_ = &f;
    ++steps_;
    f.context_ = std::move(f.context_).resume();
    current_ = nullptr;
    if (f.state_ == Fiber::State::done) {
        ASSERT(!f.context_);
        fibers_.erase(f.id_);  // may free f
    }
}

void FiberExecutor::suspend_current() {
    Fiber* f = current_;
    ASSERT(f != nullptr, "suspending outside a fiber");
    f->caller_ = std::move(f->caller_).resume();
    // Back in the fiber: whoever resumed us set current_.
    ASSERT(current_ == f);
}

void FiberExecutor::run(const std::function<bool()>& until) {
    ASSERT(current_ == nullptr, "run() from inside a fiber");
    stop_requested_ = false;
    int resumes_since_poll = 0;
    while (!stop_requested_) {
        if (until && until()) {
            return;
        }
        if (!ready_.empty()) {
            if (++resumes_since_poll >= resumes_per_poll_max) {
                resumes_since_poll = 0;
                driver_.poll(std::nullopt, false);
            }
            resume(*pick_ready());
            continue;
        }
        resumes_since_poll = 0;
        if (!timers_.empty() && timers_.begin()->first.first <= driver_.now()) {
            auto node = timers_.extract(timers_.begin());
            ++steps_;
            node.mapped()();
            continue;
        }
        std::optional<Instant> deadline;
        if (!timers_.empty()) {
            deadline = timers_.begin()->first.first;
        }
        if (!driver_.poll(deadline, true)) {
            return;
        }
    }
}

WakeReason FiberExecutor::park(Instant deadline, bool cancellable) {
    Fiber* f = current_;
    ASSERT(f != nullptr, "park() outside a fiber");
    ASSERT(f->state_ == Fiber::State::running, "a fiber being killed must not suspend");
    if (cancellable && f->cancel_requested_) {
        return WakeReason::cancelled;
    }
    if (deadline <= now()) {
        return WakeReason::timeout;
    }
    f->state_ = Fiber::State::parked;
    f->parked_cancellable_ = cancellable;
    if (deadline != Instant::max()) {
        f->park_timer_ = call_at(deadline, [this, f] {
            f->park_timer_.reset();
            unpark(*f, WakeReason::timeout);
        });
    }
    suspend_current();
    if (f->park_timer_) {
        cancel_timer(*f->park_timer_);
        f->park_timer_.reset();
    }
    return f->wake_reason_;
}

void FiberExecutor::unpark(Fiber& f, WakeReason reason) {
    if (f.state_ != Fiber::State::parked) {
        return;
    }
    f.wake_reason_ = reason;
    make_ready(f);
}

void FiberExecutor::cancel(Fiber& f) {
    f.cancel_requested_ = true;
    if (f.state_ == Fiber::State::parked && f.parked_cancellable_) {
        unpark(f, WakeReason::cancelled);
    }
}

void FiberExecutor::yield() {
    Fiber* f = current_;
    ASSERT(f != nullptr, "yield() outside a fiber");
    ASSERT(f->state_ == Fiber::State::running, "a fiber being killed must not suspend");
    f->state_ = Fiber::State::parked;
    f->wake_reason_ = WakeReason::notified;
    make_ready(*f);
    suspend_current();
}

WakeReason FiberExecutor::sleep_until(Instant deadline) {
    const WakeReason r = park(deadline, true);
    // Nobody else holds a reference to a sleeping fiber, so only the deadline or a cancel wakes it.
    return r == WakeReason::cancelled ? r : WakeReason::timeout;
}

FiberExecutor::TimerKey FiberExecutor::call_at(Instant when, std::function<void()> callback) {
    TimerKey key{when, next_timer_seq_++};
    timers_.emplace(key, std::move(callback));
    return key;
}

void FiberExecutor::cancel_timer(const TimerKey& key) { timers_.erase(key); }

GroupId FiberExecutor::new_group() { return GroupId(next_group_++); }

void FiberExecutor::kill_group(GroupId group) {
    ASSERT(current_ == nullptr || current_->group_ != group, "a group cannot kill itself");
    std::vector<std::shared_ptr<Fiber>> victims;
    for (auto& [id, f] : fibers_) {
        (void)id;
        if (f->group_ == group) {
            victims.push_back(f);
        }
    }
    std::erase_if(ready_, [group](Fiber* f) { return f->group_ == group; });
    held_.erase(group.value());
    paused_groups_.erase(group.value());
    for (auto it = victims.rbegin(); it != victims.rend(); ++it) {
        unwind(**it);
    }
}

void FiberExecutor::unwind(Fiber& f) {
    std::shared_ptr<Fiber> keep = f.self_.lock();
    fibers_.erase(f.id_);
    if (f.park_timer_) {
        cancel_timer(*f.park_timer_);
        f.park_timer_.reset();
    }
    Fiber* saved = current_;
    current_ = &f;  // destructors that run during the unwind see their own fiber
    f.state_ = Fiber::State::done;
    f.context_ = boost::context::fiber();  // forced_unwind through the fiber's stack
    current_ = saved;
    // Destructors that ran during the unwind (a mutex released, say) may have readied this
    // fiber after it was taken off the queues: it is dead, take it off again.
    std::erase(ready_, &f);
    if (auto h = held_.find(f.group_.value()); h != held_.end()) {
        std::erase(h->second, &f);
    }
    for (auto& joiner : f.joiners_) {
        unpark(*joiner, WakeReason::notified);
    }
    f.joiners_.clear();
}

void FiberExecutor::pause_group(GroupId group) {
    if (!paused_groups_.insert(group.value()).second) {
        return;
    }
    std::deque<Fiber*> keep;
    for (Fiber* f : ready_) {
        if (f->group_ == group) {
            f->state_ = Fiber::State::held;
            held_[group.value()].push_back(f);
        } else {
            keep.push_back(f);
        }
    }
    ready_ = std::move(keep);
}

void FiberExecutor::resume_group(GroupId group) {
    if (paused_groups_.erase(group.value()) == 0) {
        return;
    }
    auto node = held_.extract(group.value());
    if (node.empty()) {
        return;
    }
    for (Fiber* f : node.mapped()) {
        f->state_ = Fiber::State::ready;
        ready_.push_back(f);
    }
}

size_t FiberExecutor::live_fibers(GroupId group) const {
    size_t n = 0;
    for (const auto& [id, f] : fibers_) {
        (void)id;
        n += f->group_ == group ? 1U : 0U;
    }
    return n;
}

}  // namespace eddy
