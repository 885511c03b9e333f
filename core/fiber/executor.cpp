#include "core/fiber/executor.h"

#include <algorithm>
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
// The seeded tie-break among timers due at the same instant looks at this many of them at most
// (a bound on the work per firing; beyond it the creation order stands).
constexpr size_t timer_ties_max = 64;
// The step budget's report covers the last 1/8 of the stuck stretch: long enough to show who
// spins, late enough that the start-up of the stuck instant is not counted.
constexpr uint64_t stuck_watch_divisor = 8;
constexpr size_t livelock_spinners_max = 5;
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
    deferred_.clear();
}

FiberRef FiberExecutor::spawn(GroupId group, std::string name, std::function<void()> body) {
    auto f = std::make_shared<Fiber>();
    f->executor_ = this;
    f->self_ = f;
    f->id_ = next_fiber_id_++;
    f->group_ = group;
    f->name_ = std::move(name);
    if (options_.step_hash != nullptr) {
        f->name_hash_ = step_name_hash(f->name_);
    }
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
    if (options_.step_hash != nullptr) {
        options_.step_hash->event(StepKind::resume, f.id_, f.group_.value(), f.name_hash_,
                                  f.name_);
    }
    note_step(&f);
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
    while (!stop_requested_ && !livelock_) {
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
            fire_timer(pick_timer());
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

FiberExecutor::Timers::iterator FiberExecutor::pick_timer() {
    const auto first = timers_.begin();
    if (options_.tie_breaker == nullptr) {
        return first;
    }
    const Instant due = first->first.first;
    size_t ties = 1;
    for (auto it = std::next(first); it != timers_.end() && it->first.first == due; ++it) {
        if (++ties == timer_ties_max) {
            break;
        }
    }
    if (ties == 1) {
        return first;
    }
    return std::next(first, static_cast<std::ptrdiff_t>(options_.tie_breaker->below(ties)));
}

void FiberExecutor::fire_timer(Timers::iterator it) {
    auto node = timers_.extract(it);
    const TimerKey& key = node.key();
    const uint32_t group = node.mapped().group;
    if (group != 0 && paused_groups_.contains(group)) {
        // A paused node runs nothing, its timers included: this one waits for resume_group().
        if (options_.step_hash != nullptr) {
            options_.step_hash->event(StepKind::timer_deferred,
                                      static_cast<uint64_t>(key.first.to_nanos()), key.second,
                                      group);
        }
        deferred_[group].insert(std::move(node));
        return;
    }
    ++steps_;
    if (options_.step_hash != nullptr) {
        options_.step_hash->event(StepKind::timer, static_cast<uint64_t>(key.first.to_nanos()),
                                  key.second, group);
    }
    note_step(nullptr);
    node.mapped().callback();
}

FiberExecutor::TimerKey FiberExecutor::call_at(Instant when, std::function<void()> callback) {
    return call_at(when, current_ != nullptr ? current_->group_ : GroupId(), std::move(callback));
}

FiberExecutor::TimerKey FiberExecutor::call_at(Instant when, GroupId owner,
                                              std::function<void()> callback) {
    TimerKey key{when, next_timer_seq_++};
    timers_.emplace(key, Timer{std::move(callback), owner.value()});
    return key;
}

void FiberExecutor::cancel_timer(const TimerKey& key) {
    if (timers_.erase(key) != 0) {
        return;
    }
    for (auto& [group, timers] : deferred_) {
        (void)group;
        if (timers.erase(key) != 0) {
            return;
        }
    }
}

void FiberExecutor::release_deferred(uint32_t group) {
    auto node = deferred_.extract(group);
    if (node.empty()) {
        return;
    }
    // Same keys: their deadlines have passed, so they fire before anything due later.
    timers_.merge(node.mapped());
    ASSERT(node.mapped().empty(), "timer keys are unique");
}

void FiberExecutor::note_step(const Fiber* f) {
    if (options_.stuck_steps_max == 0) {
        return;
    }
    const Instant now = driver_.now();
    if (now != stuck_at_) {
        stuck_at_ = now;
        stuck_steps_ = 0;
        stuck_timers_ = 0;
        stuck_fibers_.clear();
    }
    ++stuck_steps_;
    const uint64_t watch_from =
        options_.stuck_steps_max - options_.stuck_steps_max / stuck_watch_divisor;
    if (stuck_steps_ > watch_from) {
        if (f == nullptr) {
            ++stuck_timers_;
        } else {
            auto& spinner = stuck_fibers_[f->id_];
            if (spinner.resumes == 0) {
                spinner = Livelock::Spinner{f->group_, f->id_, f->name_, 0};
            }
            ++spinner.resumes;
        }
    }
    if (stuck_steps_ >= options_.stuck_steps_max) {
        declare_livelock();
    }
}

void FiberExecutor::declare_livelock() {
    Livelock l;
    l.at = stuck_at_;
    l.steps = stuck_steps_;
    l.watched = options_.stuck_steps_max / stuck_watch_divisor;
    l.timers = stuck_timers_;
    for (const auto& [id, spinner] : stuck_fibers_) {
        (void)id;
        l.top.push_back(spinner);
    }
    // Most resumed first; ties by fiber id (stable_sort keeps the map's id order).
    std::stable_sort(l.top.begin(), l.top.end(),
                     [](const Livelock::Spinner& x, const Livelock::Spinner& y) {
                         return x.resumes > y.resumes;
                     });
    if (l.top.size() > livelock_spinners_max) {
        l.top.resize(livelock_spinners_max);
    }
    livelock_ = std::move(l);
}

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
    // A crash ends the pause: the timers it held back fire as they would have (the unwinds
    // below cancel the ones their owners' destructors cancel).
    release_deferred(group.value());
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
    release_deferred(group.value());
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
